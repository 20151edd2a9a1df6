//! Canonical Huffman coding of byte sections (the entropy stage; levels ≥ 2).
//!
//! Byte section layout (docs/FORMAT.md, "Byte section"):
//!
//! | field          | size              | meaning                                                   |
//! |----------------|-------------------|-----------------------------------------------------------|
//! | mode           | 1                 | 0 = raw: `count` bytes follow; 1 = Huffman; 2 = Huffman, four bitstreams; 3 = blocks |
//! | max_symbol     | 1                 | (Huffman) symbols `0..=max_symbol` have a length below      |
//! | lengths        | ⌈(max_symbol+1)/2⌉ | 4-bit code lengths, symbol 2k in the low nibble; 0 = absent, 1..=11 |
//! | stream_len     | varint            | bytes of bitstream(s)                                       |
//! | sizes          | 3 varints         | (mode 2) bytes of bitstreams 0–2; bitstream 3 is the rest   |
//! | bitstream      | stream_len        | codes packed least-significant bit first; padding bits 0    |
//!
//! Mode 3 is nothing but a byte section of mode 0–2 per block of [`BLOCK`] bytes (format version 3
//! and later).
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
pub(crate) fn code_lengths(freq: &[u64; 256]) -> [u8; 256] {
    let mut lens = [0u8; 256];
    // The symbols present, by (weight, symbol): keys are distinct, so an unstable sort (which
    // needs no scratch allocation) gives the one order.
    let mut leaves = [0usize; 256];
    let mut n = 0;
    for s in (0..256).filter(|&s| freq[s] > 0) {
        leaves[n] = s;
        n += 1;
    }
    let leaves = &mut leaves[..n];
    match n {
        0 => return lens,
        1 => {
            lens[leaves[0]] = 1;
            return lens;
        }
        _ => {}
    }
    // Huffman tree by the two-queue method: leaves sorted by (weight, symbol), inner nodes (256
    // and up) made in order of nondecreasing weight; each step joins the two lightest fronts, a
    // leaf before an inner node of the same weight.
    leaves.sort_unstable_by_key(|&s| (freq[s], s));
    let leaves = &*leaves;
    let mut weight = [0u64; 512];
    for &s in leaves {
        weight[s] = freq[s];
    }
    let mut parent = [0usize; 512];
    let (mut li, mut ni, mut next) = (0, 256, 256);
    for _ in 1..n {
        let mut lightest = || {
            if li < n && (ni == next || weight[leaves[li]] <= weight[ni]) {
                li += 1;
                leaves[li - 1]
            } else {
                ni += 1;
                ni - 1
            }
        };
        let (a, b) = (lightest(), lightest());
        weight[next] = weight[a] + weight[b];
        parent[a] = next;
        parent[b] = next;
        next += 1;
    }
    let root = next - 1;
    for &s in leaves {
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
    let by_rarity = leaves;
    let mut k = kraft(&lens);
    while k > TABLE as u64 {
        for &s in by_rarity {
            if lens[s] < MAX_BITS as u8 {
                k -= 1u64 << (MAX_BITS - u32::from(lens[s]) - 1);
                lens[s] += 1;
                if k <= TABLE as u64 {
                    break;
                }
            }
        }
    }
    // The lengthening may overshoot and leave code space unused. Give it to the most frequent
    // symbols that can take it: the code is then complete (Kraft's sum exactly 1; the slack is a
    // multiple of the longest code's share, so one pass fills it), which a decoder can decode
    // without looking for bit patterns that match no code.
    for &s in by_rarity.iter().rev() {
        while lens[s] > 1 && k + (1u64 << (MAX_BITS - u32::from(lens[s]))) <= TABLE as u64 {
            k += 1u64 << (MAX_BITS - u32::from(lens[s]));
            lens[s] -= 1;
        }
    }
    debug_assert!(k == TABLE as u64);
    lens
}

/// Kraft sum of the code lengths, scaled so that a complete code sums to 2^MAX_BITS.
fn kraft(lens: &[u8; 256]) -> u64 {
    lens.iter()
        .filter(|&&l| l > 0)
        .map(|&l| 1u64 << (MAX_BITS - u32::from(l)))
        .sum()
}

/// Canonical codes (not reversed) for the given lengths: in order of (length, symbol), each code
/// the previous plus one, shifted left when the length grows. Built from the count of codes per
/// length (the first code of each length), with no sort.
fn canonical(lens: &[u8; 256]) -> [u16; 256] {
    let mut per_len = [0u32; MAX_BITS as usize + 1];
    for &l in lens.iter().filter(|&&l| l > 0) {
        per_len[usize::from(l)] += 1;
    }
    let mut next = [0u32; MAX_BITS as usize + 1];
    let mut code = 0u32;
    for l in 1..=MAX_BITS as usize {
        code = (code + per_len[l - 1]) << 1;
        next[l] = code;
    }
    let mut codes = [0u16; 256];
    for (c, &l) in codes.iter_mut().zip(lens) {
        if l > 0 {
            *c = next[usize::from(l)] as u16;
            next[usize::from(l)] += 1;
        }
    }
    codes
}

/// A decoding table entry is `(symbol << 8) | length`: the length sits in the low six bits, so a
/// shift by the whole entry (shift counts are taken modulo 64) consumes the code, and the symbol is
/// the high byte.
const LEN_BITS: u16 = 63;
/// The entry for a bit pattern that starts no code: length 0 (consumes nothing) and a flag bit
/// above the length, so OR-ing a batch of entries tells whether one was invalid.
const NO_CODE: u16 = 0x40;

/// The decoding table entry of `symbol` with a code of `len` bits.
fn entry(symbol: u8, len: u8) -> u16 {
    (u16::from(symbol) << 8) | u16::from(len)
}

/// The code length of a decoding table entry: 0 for a pattern that starts no code.
#[inline(always)]
fn code_len(e: u16) -> u32 {
    u32::from(e & LEN_BITS)
}

/// The symbol of a decoding table entry.
#[inline(always)]
fn symbol(e: u16) -> u8 {
    (e >> 8) as u8
}

fn reverse(code: u16, len: u8) -> u32 {
    (u32::from(code).reverse_bits()) >> (32 - u32::from(len))
}

/// Sections of at least this many bytes are coded as four bitstreams (mode 2), which decode in
/// parallel; shorter ones as one (mode 1), saving the three stream lengths.
const FOUR_STREAMS_FROM: usize = 4096;

/// The four quarters mode 2 splits `count` symbols into: the first three hold ⌈count/4⌉ each, the
/// last the rest (possibly none).
fn quarters(count: usize) -> [std::ops::Range<usize>; 4] {
    let q = count.div_ceil(4);
    let at = |j: usize| (j * q).min(count);
    [at(0)..at(1), at(1)..at(2), at(2)..at(3), at(3)..count]
}

/// Sections of more than this many bytes may be coded in blocks of this many (mode 3), each with
/// its own code, so the code follows data whose statistics change along the segment.
pub(crate) const BLOCK: usize = 1 << 16;

mod decode;
mod encode;
#[cfg(test)]
mod tests;

pub(crate) use decode::decode;
pub(crate) use encode::{encode, histogram, scratch_bytes, Scratch};
