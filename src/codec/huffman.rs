//! Canonical Huffman coding of byte sections (the entropy stage; levels ≥ 2).
//!
//! Byte section layout (docs/FORMAT.md, "Byte section"):
//!
//! | field          | size              | meaning                                                   |
//! |----------------|-------------------|-----------------------------------------------------------|
//! | mode           | 1                 | 0 = raw: `count` bytes follow; 1 = Huffman                  |
//! | max_symbol     | 1                 | (Huffman) symbols `0..=max_symbol` have a length below      |
//! | lengths        | ⌈(max_symbol+1)/2⌉ | 4-bit code lengths, symbol 2k in the low nibble; 0 = absent, 1..=11 |
//! | stream_len     | varint            | bytes of bitstream                                          |
//! | bitstream      | stream_len        | codes packed least-significant bit first; padding bits 0    |
//!
//! Codes are canonical: sorted by (length, symbol), each code the previous plus one, shifted left
//! when the length grows. Code bits are emitted most significant first into an LSB-first stream,
//! i.e. the code is bit-reversed before packing. The lengths must satisfy Kraft (Σ 2^-len ≤ 1).

use crate::error::CodecError;
use crate::varint;

/// Longest code.
pub const MAX_BITS: u32 = 11;
const TABLE: usize = 1 << MAX_BITS;

/// Code lengths for the given symbol counts, limited to [`MAX_BITS`]. Symbols with count 0 get 0.
fn code_lengths(freq: &[u64; 256]) -> [u8; 256] {
    let mut lens = [0u8; 256];
    let syms: Vec<usize> = (0..256).filter(|&s| freq[s] > 0).collect();
    match syms.len() {
        0 => return lens,
        1 => {
            lens[syms[0]] = 1;
            return lens;
        }
        _ => {}
    }
    // Plain Huffman tree with a binary heap of (weight, node); leaves are 0..256, inner nodes above.
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut parent = vec![0usize; 512];
    let mut heap: BinaryHeap<Reverse<(u64, usize)>> =
        syms.iter().map(|&s| Reverse((freq[s], s))).collect();
    let mut next = 256;
    while heap.len() > 1 {
        let Reverse((wa, a)) = heap.pop().expect("two nodes");
        let Reverse((wb, b)) = heap.pop().expect("two nodes");
        parent[a] = next;
        parent[b] = next;
        heap.push(Reverse((wa + wb, next)));
        next += 1;
    }
    let root = next - 1;
    for &s in &syms {
        let mut d = 0;
        let mut n = s;
        while n != root {
            n = parent[n];
            d += 1;
        }
        lens[s] = d.min(MAX_BITS as usize) as u8;
    }
    // Clamping may break Kraft's inequality: lengthen the rarest symbols that can still grow
    // until the code fits again.
    let mut by_rarity = syms.clone();
    by_rarity.sort_by_key(|&s| (freq[s], s));
    let mut k = kraft(&lens);
    while k > TABLE as u64 {
        for &s in &by_rarity {
            if lens[s] < MAX_BITS as u8 {
                k -= 1u64 << (MAX_BITS - u32::from(lens[s]) - 1);
                lens[s] += 1;
                if k <= TABLE as u64 {
                    break;
                }
            }
        }
    }
    lens
}

/// Kraft sum of the code lengths, scaled so that a complete code sums to 2^MAX_BITS.
fn kraft(lens: &[u8; 256]) -> u64 {
    lens.iter()
        .filter(|&&l| l > 0)
        .map(|&l| 1u64 << (MAX_BITS - u32::from(l)))
        .sum()
}

/// Canonical codes (not reversed) for the given lengths.
fn canonical(lens: &[u8; 256]) -> [u16; 256] {
    let mut codes = [0u16; 256];
    let mut order: Vec<usize> = (0..256).filter(|&s| lens[s] > 0).collect();
    order.sort_by_key(|&s| (lens[s], s));
    let mut code: u32 = 0;
    let mut prev_len = 0u8;
    for (i, &s) in order.iter().enumerate() {
        if i > 0 {
            code += 1;
        }
        code <<= lens[s] - prev_len;
        prev_len = lens[s];
        codes[s] = code as u16;
    }
    codes
}

fn reverse(code: u16, len: u8) -> u32 {
    (u32::from(code).reverse_bits()) >> (32 - u32::from(len))
}

/// Appends the byte section for `lits` to `out`: Huffman when it is smaller than raw, else raw.
pub fn encode(lits: &[u8], out: &mut Vec<u8>) {
    let mut freq = [0u64; 256];
    for &b in lits {
        freq[usize::from(b)] += 1;
    }
    let lens = code_lengths(&freq);
    let max_sym = (0..256).rev().find(|&s| lens[s] > 0);
    let bits: u64 = (0..256).map(|s| freq[s] * u64::from(lens[s])).sum();
    let table_len = max_sym.map_or(0, |m| 2 + (m + 2) / 2);
    let huff_len = table_len as u64 + varint::len(bits.div_ceil(8)) as u64 + bits.div_ceil(8);
    let Some(max_sym) = max_sym.filter(|_| huff_len < lits.len() as u64) else {
        out.push(0);
        out.extend_from_slice(lits);
        return;
    };
    out.push(1);
    out.push(max_sym as u8);
    for pair in 0..max_sym / 2 + 1 {
        let lo = lens[2 * pair];
        let hi = if 2 * pair < max_sym {
            lens[2 * pair + 1]
        } else {
            0
        };
        out.push(lo | (hi << 4));
    }
    varint::put(out, bits.div_ceil(8));
    let codes = canonical(&lens);
    let mut rev = [0u32; 256];
    for s in 0..256 {
        if lens[s] > 0 {
            rev[s] = reverse(codes[s], lens[s]);
        }
    }
    let start = out.len();
    let mut acc: u64 = 0;
    let mut n: u32 = 0;
    for &b in lits {
        acc |= u64::from(rev[usize::from(b)]) << n;
        n += u32::from(lens[usize::from(b)]);
        if n >= 32 {
            out.extend_from_slice(&(acc as u32).to_le_bytes());
            acc >>= 32;
            n -= 32;
        }
    }
    while n > 0 {
        out.push(acc as u8);
        acc >>= 8;
        n = n.saturating_sub(8);
    }
    debug_assert_eq!((out.len() - start) as u64, bits.div_ceil(8));
}

/// Decodes a byte section of `count` bytes at the start of `input` into `out` (replaced).
/// Returns the bytes of `input` it occupied. `at` is the section's offset in the payload, for errors.
pub fn decode(
    input: &[u8],
    count: usize,
    out: &mut Vec<u8>,
    at: usize,
) -> Result<usize, CodecError> {
    let bad = |what: &'static str, off: usize| CodecError::BadLiterals { at: at + off, what };
    out.clear();
    let Some(&mode) = input.first() else {
        return Err(CodecError::Truncated { at });
    };
    match mode {
        0 => {
            let Some(raw) = input.get(1..1 + count) else {
                return Err(CodecError::Truncated { at });
            };
            out.extend_from_slice(raw);
            Ok(1 + count)
        }
        1 => {
            let Some(&max_sym) = input.get(1) else {
                return Err(CodecError::Truncated { at });
            };
            let max_sym = usize::from(max_sym);
            let nbytes = max_sym / 2 + 1;
            let Some(packed) = input.get(2..2 + nbytes) else {
                return Err(CodecError::Truncated { at });
            };
            let mut lens = [0u8; 256];
            for s in 0..=max_sym {
                let l = if s % 2 == 0 {
                    packed[s / 2] & 15
                } else {
                    packed[s / 2] >> 4
                };
                if u32::from(l) > MAX_BITS {
                    return Err(bad("code length above 11", 2 + s / 2));
                }
                lens[s] = l;
            }
            if max_sym % 2 == 0 && packed[nbytes - 1] >> 4 != 0 {
                return Err(bad("unused length nibble set", 1 + nbytes));
            }
            let kraft = kraft(&lens);
            if kraft == 0 || kraft > TABLE as u64 {
                return Err(bad("code lengths violate Kraft's inequality", 1));
            }
            let mut ip = 2 + nbytes;
            let stream_len = varint::read(input, &mut ip).map_err(|e| match e {
                CodecError::Truncated { at: a } => CodecError::Truncated { at: at + a },
                CodecError::BadVarint { at: a } => CodecError::BadVarint { at: at + a },
                other => other,
            })?;
            let Some(stream) = usize::try_from(stream_len)
                .ok()
                .and_then(|l| input.get(ip..ip.checked_add(l)?))
            else {
                return Err(CodecError::Truncated { at: at + ip });
            };
            // A code is at least one bit: more literals than bits cannot be right (and would
            // otherwise let a tiny stream demand a large buffer).
            if count as u64 > stream.len() as u64 * 8 {
                return Err(bad("more literals than bits", ip));
            }
            // Decoding table indexed by the next MAX_BITS stream bits: (symbol << 4) | length.
            let codes = canonical(&lens);
            let mut table = [0u16; TABLE];
            for s in 0..256 {
                let l = lens[s];
                if l == 0 {
                    continue;
                }
                let r = reverse(codes[s], l) as usize;
                let entry = ((s as u16) << 4) | u16::from(l);
                let mut j = r;
                while j < TABLE {
                    table[j] = entry;
                    j += 1 << l;
                }
            }
            out.resize(count, 0);
            let mut acc: u64 = 0;
            let mut nbits: u32 = 0;
            let mut sp = 0usize;
            let mut k = 0usize;
            // Fast path: refill to at least 56 bits, then decode five codes (5 × 11 ≤ 56) with no
            // further checks; an invalid pattern (length 0) consumes nothing and is caught per batch.
            const BATCH: usize = 5;
            while k + BATCH <= count && sp + 8 <= stream.len() {
                acc |= u64::from_le_bytes(stream[sp..sp + 8].try_into().unwrap()) << nbits;
                sp += ((63 - nbits) / 8) as usize;
                nbits |= 56;
                let mut invalid = false;
                for slot in &mut out[k..k + BATCH] {
                    let e = table[(acc & (TABLE as u64 - 1)) as usize];
                    let l = u32::from(e & 15);
                    invalid |= l == 0;
                    *slot = (e >> 4) as u8;
                    acc >>= l;
                    nbits -= l;
                }
                if invalid {
                    return Err(bad("bit pattern matches no code", ip + sp));
                }
                k += BATCH;
            }
            // The rest, a byte at a time near the end of the stream.
            while k < count {
                while nbits <= 56 && sp < stream.len() {
                    acc |= u64::from(stream[sp]) << nbits;
                    sp += 1;
                    nbits += 8;
                }
                let e = table[(acc & (TABLE as u64 - 1)) as usize];
                let l = u32::from(e & 15);
                if l == 0 {
                    return Err(bad("bit pattern matches no code", ip + sp));
                }
                if l > nbits {
                    return Err(CodecError::Truncated {
                        at: at + ip + stream.len(),
                    });
                }
                out[k] = (e >> 4) as u8;
                acc >>= l;
                nbits -= l;
                k += 1;
            }
            let consumed = sp as u64 * 8 - u64::from(nbits);
            if consumed.div_ceil(8) != stream.len() as u64 {
                return Err(bad("bitstream longer than its codes", ip));
            }
            let pad = (8 - consumed % 8) % 8;
            if pad > 0 && stream[stream.len() - 1] >> (8 - pad) != 0 {
                return Err(bad("padding bits set", ip + stream.len() - 1));
            }
            Ok(ip + stream.len())
        }
        m => Err(CodecError::ReservedTag { at, tag: m }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(lits: &[u8]) -> usize {
        let mut sec = Vec::new();
        encode(lits, &mut sec);
        let mut out = Vec::new();
        let used = decode(&sec, lits.len(), &mut out, 0).unwrap();
        assert_eq!(used, sec.len());
        assert_eq!(out, lits);
        sec.len()
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

    #[test]
    fn hostile_sections_are_errors() {
        let mut out = Vec::new();
        assert!(decode(&[], 1, &mut out, 0).is_err());
        assert!(decode(&[2], 1, &mut out, 0).is_err());
        assert!(decode(&[1, 0, 0x0c], 1, &mut out, 0).is_err()); // length 12
        assert!(decode(&[1, 1, 0x11, 0], 1, &mut out, 0).is_err()); // no stream bytes for 1 literal
        assert!(decode(&[1, 3, 0x11, 0x11, 1, 0], 1000, &mut out, 0).is_err()); // more literals than bits
        assert!(decode(&[1, 255, 0x11], 1, &mut out, 0).is_err()); // table cut short
    }
}
