//! The `split` target: the entropy stage (the streams layout, and version 1's split layout; byte
//! sections).

use sigmalang::codec::{self, MatchFinder};

/// The payload of the one segment of `tests/vectors/v1-split-level3.sigma` (a version-1 file:
/// 16-byte file header, 36-byte segment header, split-layout payload) and its raw length.
pub fn v1_split_payload() -> (&'static [u8], usize) {
    let file: &[u8] = include_bytes!("../../tests/vectors/v1-split-level3.sigma");
    let le32 = |at: usize| u32::from_le_bytes(file[at..at + 4].try_into().unwrap()) as usize;
    let (raw_len, enc_len) = (le32(16 + 12), le32(16 + 16));
    (&file[16 + 36..16 + 36 + enc_len], raw_len)
}

/// Input: `raw_len` (u16 LE, at most 64 KiB), a level byte, then bytes used twice: (1) decoded as
/// a streams-layout payload and as a split-layout payload (`codec::decode_payload(.., Layout::
/// Streams | Layout::Split, ..)`: section counts, byte sections with their code lengths and
/// bitstreams, glyphs taking their fields from the sections) — it must not panic and an `Ok` must
/// hold exactly `raw_len` bytes; (2) encoded with `encode_payload` at level 2..=9 and decoded
/// back, which must give the same bytes (whichever layout the encoder chose).
pub fn check_split(input: &[u8]) {
    if input.len() < 3 {
        return;
    }
    let raw_len = usize::from(u16::from_le_bytes([input[0], input[1]]));
    let level = 2 + input[2] % 8;
    let body = &input[3..];
    let mut out = Vec::new();
    for layout in [codec::Layout::Streams, codec::Layout::Split] {
        if codec::decode_payload(body, layout, &mut out, raw_len).is_ok() {
            assert_eq!(
                out.len(),
                raw_len,
                "{layout:?} decode returned the wrong length"
            );
        }
    }
    let mut enc = Vec::new();
    if let Some(layout) = codec::encode_payload(body, &mut MatchFinder::new(level), &mut enc) {
        let mut back = Vec::new();
        codec::decode_payload(&enc, layout, &mut back, body.len()).expect("own payload decodes");
        assert!(
            back == body,
            "split roundtrip changed the data at level {level}"
        );
    }
}
