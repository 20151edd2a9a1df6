use super::*;
use crate::codec::{decompress, MAX_LEVEL, MIN_LEVEL};

fn roundtrip(data: &[u8]) {
    for level in MIN_LEVEL..=MAX_LEVEL {
        let mut mf = MatchFinder::new(level);
        let mut enc = Vec::new();
        if compress(data, &mut mf, &mut enc) {
            assert!(enc.len() < data.len());
            let mut dec = Vec::new();
            decompress(&enc, &mut dec, data.len()).unwrap();
            assert!(dec == data, "level {level} mismatch");
        }
    }
}

#[test]
fn runs_patterns_and_text() {
    roundtrip(&[0u8; 10_000]);
    roundtrip(&b"ab".repeat(5000));
    roundtrip(&b"abc".repeat(5000));
    roundtrip(&b"abcd".repeat(5000));
    roundtrip(&b"the quick brown fox jumps over the lazy dog. ".repeat(300));
    let mut x = 12345u64;
    let noisy: Vec<u8> = (0..50_000)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if i % 7 == 0 {
                (x >> 32) as u8
            } else {
                (i / 100) as u8
            }
        })
        .collect();
    roundtrip(&noisy);
}

#[test]
fn all_four_glyph_kinds_are_emitted() {
    // Literals, a long-distance copy, a repeated distance and a short-period run.
    let mut data = b"0123456789abcdefghij-".repeat(3);
    data.extend_from_slice(b"xyzxyzxyzxyzxyz");
    data.extend_from_slice(b"0123456789abcdefghij");
    data.extend_from_slice(&[7u8; 40]);
    let mut mf = MatchFinder::new(3);
    let mut enc = Vec::new();
    assert!(compress(&data, &mut mf, &mut enc));
    let kinds = crate::codec::glyph_kinds(&enc).unwrap();
    assert!(kinds.iter().all(|&k| k > 0), "kinds seen: {kinds:?}");
}
