//! The `glyph` target: glyph streams (`codec::compress` / `codec::decompress`) against
//! [`reference_decompress`], an independent decoder written from `docs/FORMAT.md`.

use sigmalang::codec::{self, MatchFinder};
use std::cell::RefCell;

/// A byte-at-a-time decoder written from `docs/FORMAT.md` ("Glyph stream"), independent of
/// `sigmalang::codec::decompress`: `None` for any invalid stream.
pub fn reference_decompress(input: &[u8], raw_len: usize) -> Option<Vec<u8>> {
    // At most 5 bytes, the shortest encoding (no zero-padding), a value of at most 2^32 - 1.
    fn varint(input: &[u8], ip: &mut usize) -> Option<u64> {
        let mut v = 0u64;
        for i in 0..5 {
            let b = *input.get(*ip)?;
            *ip += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return (!(b == 0 && i > 0) && v <= u64::from(u32::MAX)).then_some(v);
            }
        }
        None
    }
    fn copy(out: &mut Vec<u8>, dist: u64, len: u64, raw_len: usize) -> Option<()> {
        if dist == 0 || dist > out.len() as u64 || out.len() as u64 + len > raw_len as u64 {
            return None;
        }
        for _ in 0..len {
            out.push(out[out.len() - dist as usize]);
        }
        Some(())
    }
    let mut out = Vec::new();
    let mut stack = [1u64, 4, 8, 16];
    let mut ip = 0;
    while ip < input.len() {
        let tag = input[ip];
        ip += 1;
        match tag >> 6 {
            0 => {
                let l = u64::from(tag & 0x3f);
                let n = if l == 0 {
                    64 + varint(input, &mut ip)?
                } else {
                    l
                };
                if out.len() as u64 + n > raw_len as u64 {
                    return None;
                }
                let lits = input.get(ip..ip + n as usize)?;
                out.extend_from_slice(lits);
                ip += n as usize;
            }
            1 => {
                let lo = u64::from(*input.get(ip)?);
                ip += 1;
                let l = u64::from(tag & 0x3f);
                let len = if l == 63 {
                    67 + varint(input, &mut ip)?
                } else {
                    4 + l
                };
                let hi = varint(input, &mut ip)?;
                let dist = ((hi << 8) | lo) + 1;
                copy(&mut out, dist, len, raw_len)?;
                stack = [dist, stack[0], stack[1], stack[2]];
            }
            2 => {
                let slot = usize::from(tag >> 4 & 3);
                let l = u64::from(tag & 0x0f);
                let len = if l == 15 {
                    18 + varint(input, &mut ip)?
                } else {
                    3 + l
                };
                let dist = stack[slot];
                copy(&mut out, dist, len, raw_len)?;
                stack[..=slot].rotate_right(1);
            }
            _ => {
                let p = usize::from(tag >> 4 & 3) + 1;
                let l = u64::from(tag & 0x0f);
                let len = if l == 15 {
                    19 + varint(input, &mut ip)?
                } else {
                    4 + l
                };
                let pattern = input.get(ip..ip + p)?;
                ip += p;
                if out.len() as u64 + len > raw_len as u64 {
                    return None;
                }
                for k in 0..len as usize {
                    out.push(pattern[k % p]);
                }
            }
        }
    }
    (out.len() == raw_len).then_some(out)
}

thread_local! {
    /// Match finders reused across calls, one per level, as the pipeline's workers reuse theirs.
    static FINDERS: RefCell<Vec<Option<MatchFinder>>> = RefCell::new((0..10).map(|_| None).collect());
}

/// `glyph` target. Input: `[len lo][len hi][glyph stream ...]`; the 16-bit value `v` gives
/// `raw_len = v` when bit 15 is clear, else `(v & 0x7fff) << 5` (up to 1 MiB).
/// 1. `decompress(stream, raw_len)` must agree with [`reference_decompress`] (both fail, or both
///    succeed with the same `raw_len` bytes).
/// 2. The whole input compressed at level `input[0] % 9 + 1`, with a reused and with a fresh
///    match finder (same bytes), appended after a few junk bytes, must decode back to the input.
pub fn check_glyph(input: &[u8]) {
    if input.len() < 2 {
        return;
    }
    let v = u16::from_le_bytes([input[0], input[1]]);
    let raw_len = if v & 0x8000 == 0 {
        usize::from(v)
    } else {
        usize::from(v & 0x7fff) << 5
    };
    let stream = &input[2..];
    let mut out = vec![0xEE; 3];
    let got = codec::decompress(stream, &mut out, raw_len);
    let want = reference_decompress(stream, raw_len);
    match (&got, &want) {
        (Ok(()), Some(w)) => {
            assert_eq!(out.len(), raw_len, "decompress returned a wrong length");
            assert!(out == *w, "decompress disagrees with the reference decoder");
        }
        (Err(_), None) => {}
        (Ok(()), None) => panic!("decompress accepted a stream the reference decoder rejects"),
        (Err(e), Some(_)) => {
            panic!("decompress rejected ({e}) a stream the reference decoder accepts")
        }
    }

    // Round trip.
    let level = input[0] % 9 + 1;
    let junk = usize::from(input[1] % 4);
    let mut enc = vec![0xA5; junk];
    let coded = FINDERS.with(|f| {
        let mut f = f.borrow_mut();
        let mf = f[usize::from(level)].get_or_insert_with(|| MatchFinder::new(level));
        codec::compress(input, mf, &mut enc)
    });
    assert!(
        enc[..junk].iter().all(|&b| b == 0xA5),
        "compress overwrote bytes already in its output"
    );
    let mut fresh = Vec::new();
    let fresh_coded = codec::compress(input, &mut MatchFinder::new(level), &mut fresh);
    assert_eq!(
        coded, fresh_coded,
        "a reused match finder changed the outcome"
    );
    if coded {
        let payload = &enc[junk..];
        assert!(
            payload == &fresh[..],
            "a reused match finder changed the bytes"
        );
        assert!(
            payload.len() < input.len(),
            "compress returned true for a stream of {} bytes from {} bytes",
            payload.len(),
            input.len()
        );
        assert!(payload.len() <= codec::compressed_bound(input.len()));
        let mut back = Vec::new();
        codec::decompress(payload, &mut back, input.len()).expect("own output decodes");
        assert!(
            back == input,
            "round trip at level {level} changed the data"
        );
        assert_eq!(
            reference_decompress(payload, input.len()).as_deref(),
            Some(input),
            "the reference decoder disagrees with the encoder at level {level}"
        );
    }
}
