//! The `sequences` target: format version 4's sequences layout (`codec::decode_payload(..,
//! Layout::Sequences, ..)`), part of `fuzz/src/lib.rs` (included from there with `#[path]`, so the
//! main crate's tests that include `lib.rs` get it too).

use super::{binary, runs, text};
use sigmalang::codec::{self, Layout, MatchFinder};
use std::cell::RefCell;
use std::sync::OnceLock;

/// `raw_len` of a `sequences` input: the u16 `v`, or `(v & 0x7fff) << 5` (up to 1 MiB) when bit
/// 15 is set.
fn raw_len_of(v: u16) -> usize {
    if v & 0x8000 != 0 {
        usize::from(v & 0x7fff) << 5
    } else {
        usize::from(v)
    }
}

/// The payload decoded, or the error's message.
fn decode(payload: &[u8], raw_len: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    codec::decode_payload(payload, Layout::Sequences, &mut out, raw_len)
        .map(|()| out)
        .map_err(|e| e.to_string())
}

/// A valid sequences payload and its raw bytes, decoded between the two decodes of a fuzz input
/// so that the decoder's per-thread scratch holds something else in between.
fn other() -> &'static (Vec<u8>, Vec<u8>) {
    static OTHER: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    OTHER.get_or_init(|| {
        let data = text(3000, 41);
        let mut enc = Vec::new();
        let layout = codec::encode_payload(&data, &mut MatchFinder::new(3), &mut enc);
        assert_eq!(layout, Some(Layout::Sequences));
        (enc, data)
    })
}

thread_local! {
    /// One match finder per level, reused from input to input (as the encoder reuses them).
    static FINDERS: RefCell<Vec<MatchFinder>> =
        RefCell::new((2..=9).map(MatchFinder::new).collect());
}

/// Input: `[raw_len lo][raw_len hi][level][payload…]` (`raw_len` as [`raw_len_of`] says).
///
/// (1) The payload decoded as a sequences-layout payload of `raw_len` bytes — literal count and
/// section, sequence count, each group's modes, tables, bitstream length and backward bitstream,
/// then every sequence executed — must not panic, and an `Ok` holds exactly `raw_len` bytes.
/// Decoding it again after another payload must give the same result (the decoder keeps its
/// literals and tables per thread). (2) The payload bytes encoded with `encode_payload` at level
/// `2 + level % 8` (the match finders reused from input to input) decode back to themselves,
/// whichever layout the encoder chose.
pub fn check_sequences(input: &[u8]) {
    if input.len() < 3 {
        return;
    }
    let raw_len = raw_len_of(u16::from_le_bytes([input[0], input[1]]));
    let level = 2 + input[2] % 8;
    let body = &input[3..];
    let first = decode(body, raw_len);
    if let Ok(out) = &first {
        assert_eq!(out.len(), raw_len, "decode returned the wrong length");
    }
    let (enc, data) = other();
    assert!(
        decode(enc, data.len()).as_ref() == Ok(data),
        "the other payload"
    );
    assert_eq!(decode(body, raw_len), first, "a second decode differs");

    let mut enc = Vec::new();
    let layout = FINDERS.with(|f| {
        codec::encode_payload(body, &mut f.borrow_mut()[usize::from(level - 2)], &mut enc)
    });
    if let Some(layout) = layout {
        let mut back = Vec::new();
        codec::decode_payload(&enc, layout, &mut back, body.len()).expect("own payload decodes");
        assert!(
            back == body,
            "{layout:?} round trip changed the data at level {level}"
        );
    }
}

/// Seeds of the `sequences` target: valid payloads of one and of two groups at several levels,
/// one of literals alone, and plain data.
pub(crate) fn sequences_seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let samples: [(Vec<u8>, u8); 5] = [
        (text(3000, 42), 3),
        (runs(3000, 43), 5),
        (binary(3000, 44), 9),
        (binary(8000, 45), 2),
        // 5667 sequences: two groups.
        (text(60_000, 41), 3),
    ];
    for (data, level) in samples {
        let mut enc = Vec::new();
        if let Some(Layout::Sequences) =
            codec::encode_payload(&data, &mut MatchFinder::new(level), &mut enc)
        {
            let n = data.len() as u16;
            out.push([&n.to_le_bytes()[..], &[level - 2], &enc].concat());
        }
        out.push([&[0u8, 0, level - 2][..], &data[..1000]].concat());
    }
    // Literals alone: a raw section and no sequence.
    let lits = b"sequences layout, literals alone";
    let n = lits.len() as u32;
    out.push(
        [
            &(n as u16).to_le_bytes()[..],
            &[1],
            &n.to_le_bytes(),
            &[0],
            lits,
            &[0; 4],
        ]
        .concat(),
    );
    out
}
