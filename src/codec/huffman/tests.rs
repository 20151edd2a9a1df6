use super::encode::Counts;
use super::*;

fn roundtrip(lits: &[u8]) -> usize {
    let mut sec = Vec::new();
    encode(lits, &mut Scratch::default(), &mut sec);
    let mut out = Vec::new();
    let used = decode(&sec, lits.len(), &mut out, 0, 3).unwrap();
    assert_eq!(used, sec.len());
    assert_eq!(out, lits);
    sec.len()
}

/// A code that saves under 1/32 of a section is not worth its decode time: 240 equally
/// frequent values (codes of 7 and 8 bits, 0.8% saved) stay raw; 128 (7 bits, 12.5% saved)
/// are coded.
#[test]
fn huffman_only_when_it_saves_a_thirty_second() {
    let near_uniform: Vec<u8> = (0..240u8).cycle().take(60_000).collect();
    let mut sec = Vec::new();
    encode(&near_uniform, &mut Scratch::default(), &mut sec);
    assert_eq!(sec[0], 0, "raw");
    assert_eq!(roundtrip(&near_uniform), near_uniform.len() + 1);
    let seven_bits: Vec<u8> = (0..128u8).cycle().take(60_000).collect();
    let mut sec = Vec::new();
    encode(&seven_bits, &mut Scratch::default(), &mut sec);
    assert_eq!(sec[0], 2, "four bitstreams");
    assert!(roundtrip(&seven_bits) < seven_bits.len() * 7 / 8 + 100);
}

/// The limit of 11 bits forces rare symbols deeper than a Huffman tree would put them; the
/// lengths must still form a complete code (Kraft's sum exactly 1) whenever two or more
/// symbols occur, so the decoder's unchecked loop is the one that runs.
#[test]
fn limited_codes_are_complete() {
    let mut freq = [0u64; 256];
    // Fibonacci weights: an unlimited tree would be 40 levels deep.
    let (mut a, mut b) = (1u64, 1u64);
    for f in freq.iter_mut().take(40) {
        *f = a;
        (a, b) = (b, a + b);
    }
    let mut cases = vec![freq];
    let mut x = 12345u64;
    for n in [2usize, 3, 17, 200, 256] {
        for _ in 0..50 {
            let mut f = [0u64; 256];
            for v in f.iter_mut().take(n) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Skewed: counts spread over many powers of two.
                *v = 1 + (((x >> 8) & 0xffff) >> (x % 24));
            }
            cases.push(f);
        }
    }
    for f in &cases {
        let lens = code_lengths(f);
        assert!(lens.iter().all(|&l| u32::from(l) <= MAX_BITS));
        assert_eq!(kraft(&lens), TABLE as u64, "{lens:?}");
    }
}

/// A hand-made four-bitstream section with an incomplete code ('a' = 0, 'b' = 10; the
/// pattern 11 starts no code) decodes where its codes are valid, and a pattern that starts no
/// code is an error both in the interleaved loop and in the per-bitstream tail.
#[test]
fn incomplete_codes_decode_and_their_gaps_are_errors() {
    fn pack(bits: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8; bits.len().div_ceil(8)];
        for (i, &b) in bits.iter().enumerate() {
            v[i / 8] |= b << (i % 8);
        }
        v
    }
    let quarter = |bad: Option<usize>| -> Vec<u8> {
        let mut bits = Vec::new();
        for i in 0..100 {
            if bad == Some(i) {
                bits.extend([1, 1]);
            } else if i % 2 == 0 {
                bits.push(0); // 'a'
            } else {
                bits.extend([1, 0]); // 'b'
            }
        }
        pack(&bits)
    };
    let section = |bad: Option<(usize, usize)>| -> Vec<u8> {
        let streams: Vec<Vec<u8>> = (0..4)
            .map(|j| quarter(bad.filter(|b| b.0 == j).map(|b| b.1)))
            .collect();
        let total: usize = streams.iter().map(Vec::len).sum();
        let mut lens = [0u8; 50];
        lens[48] = 1 << 4; // 'a' (97): the high nibble of byte 48
        lens[49] = 2; // 'b' (98): the low nibble of byte 49
        let mut sec = vec![2, b'b'];
        sec.extend(lens);
        for v in [total, streams[0].len(), streams[1].len(), streams[2].len()] {
            sec.push(u8::try_from(v).unwrap());
        }
        for s in &streams {
            sec.extend(s);
        }
        sec
    };
    let want: Vec<u8> = (0..400)
        .map(|i| if i % 2 == 0 { b'a' } else { b'b' })
        .collect();
    let mut out = Vec::new();
    let sec = section(None);
    assert_eq!(decode(&sec, 400, &mut out, 0, 3).unwrap(), sec.len());
    assert_eq!(out, want);
    // Symbol 30 of a quarter is inside the interleaved loop; 98 is in the tail.
    for bad in [(0, 30), (2, 30), (3, 98), (1, 0)] {
        let err = decode(&section(Some(bad)), 400, &mut out, 0, 3).unwrap_err();
        assert!(err.what.contains("no code"), "{bad:?}: {err:?}");
    }
}

#[test]
fn roundtrips() {
    roundtrip(b"");
    roundtrip(b"a");
    roundtrip(&[7u8; 1000]);
    let text = b"the quick brown fox jumps over the lazy dog ".repeat(50);
    assert!(roundtrip(&text) < text.len() * 6 / 10);
    let all: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    roundtrip(&all);
    // Skewed counts that force the 11-bit limit (Fibonacci-like frequencies).
    let mut skew = Vec::new();
    let (mut a, mut b) = (1usize, 1usize);
    for s in 0..30u8 {
        skew.extend(std::iter::repeat_n(s, a));
        (a, b) = (b, a + b);
        if a > 200_000 {
            break;
        }
    }
    roundtrip(&skew);
}

/// Long sections use four bitstreams, short ones one; every count around the quarter
/// boundaries (including quarters that are empty) round-trips.
#[test]
fn four_streams_from_4096_bytes() {
    let text = b"the quick brown fox jumps over the lazy dog ".repeat(200);
    for n in [4095, 4096, 4097, 4098, 4099, 4100, 8191] {
        let mut sec = Vec::new();
        encode(&text[..n], &mut Scratch::default(), &mut sec);
        assert_eq!(
            sec[0],
            if n >= FOUR_STREAMS_FROM { 2 } else { 1 },
            "n = {n}"
        );
        roundtrip(&text[..n]);
    }
    for n in 0..12 {
        assert_eq!(quarters(n).iter().map(|r| r.len()).sum::<usize>(), n);
    }
}

#[test]
fn hostile_four_stream_sections_are_errors() {
    let text = b"the quick brown fox jumps over the lazy dog ".repeat(200);
    let mut sec = Vec::new();
    encode(&text, &mut Scratch::default(), &mut sec);
    assert_eq!(sec[0], 2);
    let mut out = Vec::new();
    // Every flip is an error or exactly `count` bytes; every cut is an error.
    for at in 0..sec.len() {
        let mut bad = sec.clone();
        bad[at] ^= 0x41;
        if decode(&bad, text.len(), &mut out, 0, 3).is_ok() {
            assert_eq!(out.len(), text.len());
        }
    }
    for cut in 0..sec.len() {
        assert!(decode(&sec[..cut], text.len(), &mut out, 0, 3).is_err());
    }
    // Stream lengths summing past the total: mode 2, one symbol of length 1, total 1 byte,
    // first three streams 1 byte each.
    assert!(decode(&[2, 0, 0x01, 1, 1, 1, 1, 0], 1, &mut out, 0, 3).is_err());
}

/// Histograms summed from per-chunk counts equal direct counts for ranges of every kind: inside
/// one chunk, across boundaries, aligned, the whole section and empty.
#[test]
fn range_counts_match_direct_counts() {
    let n = 5 * Counts::CHUNK + 123;
    let mut x = 7u32;
    let data: Vec<u8> = (0..n)
        .map(|i| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 24) as u8 & if i < n / 2 { 0x0f } else { 0xff }
        })
        .collect();
    let mut chunks = Vec::new();
    let counts = Counts::new(&data, &mut chunks);
    let c = Counts::CHUNK;
    for (a, b) in [
        (0, n),
        (0, 0),
        (5, 17),
        (c - 1, c + 1),
        (c, 3 * c),
        (c + 7, 4 * c - 3),
        (3, 5 * c),
        (2 * c, n),
        (n - 10, n),
    ] {
        assert_eq!(counts.of(a..b), histogram(&data[a..b]), "{a}..{b}");
    }
}

/// A boundary between two of the four bitstreams moved by a few bytes (the total kept): the
/// interleaved loop reads across boundaries, so a bitstream whose codes run into the next one
/// must still be an error, as must one with bytes left over.
#[test]
fn moved_bitstream_boundaries_are_errors() {
    let data = crate::codec::lcg_bytes(99, 40_000, b"etaoinshrdlu");
    let mut sec = Vec::new();
    encode(&data, &mut Scratch::default(), &mut sec);
    assert_eq!(sec[0], 2);
    // The header: mode, max symbol, packed lengths, then the total and three sizes.
    let mut ip = 2 + usize::from(sec[1]) / 2 + 1;
    let head = ip;
    let mut fields = [0u64; 4];
    for f in &mut fields {
        *f = varint::read(&sec, &mut ip).unwrap();
    }
    let body = &sec[ip..];
    let mut out = Vec::new();
    for j in 0..3 {
        for delta in [-200i64, -21, -3, -1, 1, 3, 21, 200] {
            let mut f = fields;
            f[1 + j] = (f[1 + j] as i64 + delta) as u64;
            if j < 2 {
                f[2 + j] = (f[2 + j] as i64 - delta) as u64;
            }
            let mut bad = sec[..head].to_vec();
            for v in f {
                varint::put(&mut bad, v);
            }
            bad.extend_from_slice(body);
            assert!(
                decode(&bad, data.len(), &mut out, 0, 3).is_err(),
                "bitstream {j} moved by {delta}"
            );
        }
    }
    assert!(decode(&sec, data.len(), &mut out, 0, 3).is_ok());
    assert!(out == data);
}

#[test]
fn hostile_sections_are_errors() {
    let mut out = Vec::new();
    assert!(decode(&[], 1, &mut out, 0, 3).is_err());
    assert!(decode(&[3], 1, &mut out, 0, 3).is_err());
    assert!(decode(&[1, 0, 0x0c], 1, &mut out, 0, 3).is_err()); // length 12
    assert!(decode(&[1, 1, 0x11, 0], 1, &mut out, 0, 3).is_err()); // no stream bytes for 1 literal
    assert!(decode(&[1, 3, 0x11, 0x11, 1, 0], 1000, &mut out, 0, 3).is_err()); // more literals than bits
    assert!(decode(&[1, 255, 0x11], 1, &mut out, 0, 3).is_err()); // table cut short
}

/// Bytes from 16 values, then from 16 others: one code needs 5 bits a byte, a code per block 4.
fn two_alphabets(n: usize) -> Vec<u8> {
    let mut x = 0x2545_f491u32;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (if i < n / 2 { b'a' } else { 0xc0 }) + (x >> 28) as u8
        })
        .collect()
}

#[test]
fn sections_whose_statistics_change_are_coded_in_blocks() {
    // Two and a half blocks: the last one short, the middle one mixing both alphabets.
    let lits = two_alphabets(BLOCK * 5 / 2);
    let mut sec = Vec::new();
    encode(&lits, &mut Scratch::default(), &mut sec);
    assert_eq!(sec[0], 3, "mode 3");
    assert!(sec.len() < lits.len() * 9 / 16, "{} bytes", sec.len());
    assert_eq!(roundtrip(&lits), sec.len());
    // Same statistics throughout: one section, and no blocks at or below one block's size.
    let mut x = 7u32;
    let uniform: Vec<u8> = (0..BLOCK * 3)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            b'a' + (x >> 28) as u8
        })
        .collect();
    sec.clear();
    encode(&uniform, &mut Scratch::default(), &mut sec);
    assert_ne!(sec[0], 3);
    sec.clear();
    encode(&two_alphabets(BLOCK), &mut Scratch::default(), &mut sec);
    assert_ne!(sec[0], 3);
    roundtrip(&uniform);
}

#[test]
fn hostile_blocked_sections_are_errors() {
    let lits = two_alphabets(BLOCK * 2);
    let mut sec = Vec::new();
    encode(&lits, &mut Scratch::default(), &mut sec);
    assert_eq!(sec[0], 3);
    let mut out = Vec::new();
    // Every cut is an error; so is a count the blocks do not match (the last block's bitstream
    // then ends early or has codes left over).
    for cut in (0..sec.len()).step_by(97).chain([sec.len() - 1]) {
        assert!(
            decode(&sec[..cut], lits.len(), &mut out, 0, 3).is_err(),
            "cut {cut}"
        );
    }
    assert!(decode(&sec, lits.len() + 1, &mut out, 0, 3).is_err());
    assert!(decode(&sec, lits.len() - 1, &mut out, 0, 3).is_err());
    // A block in mode 3 is an error, not a recursion.
    let mut nested = vec![3, 3];
    nested.extend_from_slice(&sec[1..]);
    assert!(decode(&nested, lits.len(), &mut out, 0, 3).is_err());
    // An empty section is mode 0 (mode 3 with no blocks is an error); a count beyond 8 bits per
    // input byte is an error before anything is allocated.
    assert_eq!(decode(&[0], 0, &mut out, 0, 3).unwrap(), 1);
    assert!(decode(&[3], 0, &mut out, 0, 3).is_err());
    assert!(decode(&[3, 0], usize::MAX / 2, &mut out, 0, 3).is_err());
}
