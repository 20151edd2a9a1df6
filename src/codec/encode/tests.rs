use super::*;
use crate::codec::{decode_payload, decompress, MAX_LEVEL, MIN_LEVEL};

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

/// The sequences a level's parse of `data` collects (levels 2–7: the fast or chain parse), after
/// checking that the payload decodes to `data`.
fn sequences(data: &[u8], level: u8) -> Vec<crate::codec::sequences::Seq> {
    let mut mf = MatchFinder::new(level);
    let mut out = Vec::new();
    let layout = encode_payload(data, &mut mf, &mut out).expect("compressible");
    let mut dec = Vec::new();
    decode_payload(&out, layout, &mut dec, data.len()).unwrap();
    assert!(dec == data, "level {level} round trip");
    mf.collector.seqs.clone()
}

/// Noise over all byte values (no copies of four bytes or more by chance).
fn noise(seed: u32, n: usize) -> Vec<u8> {
    let bytes: Vec<u8> = (0..=255).collect();
    crate::codec::lcg_bytes(seed, n, &bytes)
}

#[test]
fn parsers_go_on_at_the_repeat_offset_past_a_changed_byte() {
    // T' repeats T (U, 'Z', P, V) with 'Q' for 'Z'; "Q" + P also occurs at the start, where the
    // parse puts it in its tables. After copying U from T, the copy from T goes on one byte on
    // (1 literal, repeat offset) rather than from the far "Q" + P (13 bytes, a new distance).
    let (u, p, v) = (noise(1, 100), noise(2, 12), noise(3, 87));
    let mut data = vec![0, b'Q'];
    data.extend_from_slice(&p);
    data.extend_from_slice(&noise(4, 1000));
    let mut at_q = 0;
    for changed in [b'Z', b'Q'] {
        data.extend_from_slice(&u);
        at_q = data.len();
        data.push(changed);
        data.extend_from_slice(&p);
        data.extend_from_slice(&v);
    }
    data.extend_from_slice(&noise(5, 100));
    let far = u32::from(crate::codec::sequences::NEW_CODE) - 1 + (at_q - 1) as u32;
    // Levels 2–4 probe the repeat offset one byte on, level 5 tries it before taking a copy,
    // levels 6–7 find it by lazy matching.
    for level in 2..=7 {
        let seqs = sequences(&data, level);
        assert!(
            !seqs.iter().any(|s| s.offset == far),
            "level {level}: copied from the far \"Q\" + P: {seqs:?}"
        );
        assert!(
            seqs.iter()
                .any(|s| s.lit_len == 1 && s.offset == 0 && s.match_len as usize >= 12 + 87),
            "level {level}: {seqs:?}"
        );
    }
}

#[test]
fn row_levels_look_at_as_many_earlier_places_as_their_depth() {
    // Twenty places start with the same 8 bytes P, each followed by its own 40 bytes X_k; at
    // the end comes P X_5 again. From there the copy of P X_5 is at the 15th newest place of P:
    // within the depth of levels 6–7 (16 places), beyond that of level 5 (8), which
    // copy P from a newer place and X_5 on its own. The filler between uses 64 byte values, so
    // that the literals compress.
    let values: Vec<u8> = (0..64).collect();
    let filler = |seed, n| crate::codec::lcg_bytes(seed, n, &values);
    let p = noise(1, 8);
    let mut data = Vec::new();
    let mut at = Vec::new();
    for k in 0..20 {
        data.extend_from_slice(&filler(100 + k, 50));
        at.push(data.len());
        data.extend_from_slice(&p);
        data.extend_from_slice(&noise(200 + k, 40));
    }
    // (Not 50 bytes: the repeat offset would copy P.)
    data.extend_from_slice(&filler(300, 57));
    let end = data.len();
    data.extend_from_slice(&p);
    data.extend_from_slice(&noise(205, 40));
    data.extend_from_slice(&filler(301, 50));
    let far = u32::from(crate::codec::sequences::NEW_CODE) - 1 + (end - at[5]) as u32;
    for level in 5..=7 {
        let seqs = sequences(&data, level);
        let whole = seqs.iter().any(|s| s.offset == far && s.match_len >= 48);
        assert_eq!(whole, level >= 6, "level {level}: {seqs:?}");
    }
}

#[test]
fn fast_levels_take_the_second_repeat_offset_right_after_a_copy() {
    // A and B, then a decoy holding A[60..76] with other bytes after it, then A[20..40]
    // B[40..60] A[60..76]: copies of alternating distances. Where A[60..] starts the tables
    // hold the decoy (the newest place of those bytes, as long a copy), but the second repeat
    // offset, tried first, copies them with no literal before. Runs between the parts end the
    // literal runs, so the parse probes every position of A and B.
    let (a, b) = (noise(7, 80), noise(8, 80));
    let run = |byte: u8| [byte; 16];
    let mut data = vec![0];
    data.extend_from_slice(&a);
    data.extend_from_slice(&run(0x55));
    data.extend_from_slice(&b);
    data.extend_from_slice(&run(0xaa));
    data.extend_from_slice(&a[60..76]);
    data.extend_from_slice(&noise(9, 20));
    data.extend_from_slice(&run(0x33));
    data.extend_from_slice(&a[20..40]);
    data.extend_from_slice(&b[40..60]);
    let third = data.len();
    data.extend_from_slice(&a[60..76]);
    data.extend_from_slice(&noise(10, 40));
    for level in 2..=4 {
        let seqs = sequences(&data, level);
        // The sequence whose copy starts at `third`.
        let mut pos = 0;
        let at_third = seqs.iter().find(|s| {
            pos += (s.lit_len + s.match_len) as usize;
            pos - s.match_len as usize == third
        });
        let s = at_third.unwrap_or_else(|| panic!("level {level}: no copy at A[60]: {seqs:?}"));
        assert_eq!((s.lit_len, s.offset), (0, 1), "level {level}: {seqs:?}");
        assert!(s.match_len >= 16, "level {level}: {s:?}");
    }
}

#[test]
fn common_back_counts_the_equal_bytes_before_two_positions() {
    // Two copies of a noisy block with a few bytes changed, compared from every pair of ends and
    // every bound: the answer is the byte-by-byte count, also past 8 bytes and near the start.
    let mut data = noise(21, 64);
    data.extend_from_slice(&data.clone());
    data[64 + 5] ^= 1;
    data[64 + 30] ^= 1;
    data[10] ^= 2;
    for a in 0..64 {
        for i in a + 1..data.len() {
            for max in [0, 1, 2, 7, 8, 9, 20, a] {
                let max = max.min(a);
                let mut want = 0;
                while want < max && data[a - 1 - want] == data[i - 1 - want] {
                    want += 1;
                }
                assert_eq!(common_back(&data, a, i, max), want, "a {a} i {i} max {max}");
            }
        }
    }
}

#[test]
fn the_fast_table_hashes_as_many_bytes_as_the_shortest_copy_it_may_give() {
    // K, then a decoy that starts as K does for one byte less than the shortest copy taken (5
    // bytes at levels 2–4, 6 at level 1), then K again. A table indexed by four bytes holds the
    // decoy (the newer place of K's first four) when the parse reaches the second K, and the
    // decoy gives too short a copy; indexed by as many bytes as that shortest copy, it holds the
    // first K.
    // A run before each part ends the literals there, so the parse probes the part's start.
    for (level, len, shared) in [(1u8, 6usize, 5usize), (2, 6, 4), (3, 6, 4), (4, 6, 4)] {
        let key = noise(31, len);
        let mut data = noise(32, 40);
        data.extend_from_slice(&[0x11; 16]);
        let first = data.len();
        data.extend_from_slice(&key);
        data.extend_from_slice(&noise(33, 200));
        data.extend_from_slice(&[0x22; 16]);
        data.extend_from_slice(&key[..shared]);
        data.push(key[shared] ^ 0x80);
        data.extend_from_slice(&noise(34, 200));
        data.extend_from_slice(&[0x33; 16]);
        let second = data.len();
        data.extend_from_slice(&key);
        data.extend_from_slice(&noise(35, 200));
        let mut mf = MatchFinder::new(level);
        let mut c = collect::Collector::default();
        c.reset(data.len());
        assert!(parse(&data, &mut mf, &mut c, 0));
        let far = u32::from(crate::codec::sequences::NEW_CODE) - 1 + (second - first) as u32;
        assert!(
            c.seqs
                .iter()
                .any(|s| s.offset == far && s.match_len as usize >= len),
            "level {level}: no copy of K from its first place: {:?}",
            c.seqs
        );
    }
}
