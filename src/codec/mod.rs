//! The ΣLANG glyph codec: one segment of raw bytes in, one glyph stream out, and back.
//!
//! A segment is coded with a freshly reset context (match tables and the offset stack), so every
//! segment decodes on its own. Format version 4 writes the sequences layout at levels ≥ 2
//! (`sequences/`: literals and FSE-coded sequences, `docs/FORMAT.md` "Sequences layout") and the
//! plain glyph stream at level 1; the glyph layout is specified in `docs/FORMAT.md` ("Glyph
//! stream"), and the constants below are that table.
//!
//! | tag byte     | kind       | fields after the tag                                            |
//! |--------------|------------|------------------------------------------------------------------|
//! | `00LLLLLL`   | PRIMITIVE  | `L=0`: varint `n-64`; then `n` literal bytes (`n = L` when 1..=63) |
//! | `01LLLLLL`   | REFERENCE  | `lo` byte; `L=63`: varint `len-67`; varint `hi`; dist = `(hi<<8 \| lo)+1`, len = `L+4` |
//! | `10SSLLLL`   | DELTA      | `L=15`: varint `len-18`; len = `L+3`, distance = offset stack slot `S` |
//! | `11PPLLLL`   | COMPOSITE  | `L=15`: varint `len-19`; then `P+1` pattern bytes; len = `L+4`   |
//!
//! The hot loops (the fast, lazy and row parsers, the sequence and Huffman writers, the sequence
//! and Huffman decoders) carry `#[multiversion(targets("x86_64+avx2+bmi1+bmi2+lzcnt+popcnt"))]`:
//! each is compiled twice, once for any x86-64 and once for CPUs with AVX2 and BMI2 (Haswell, Zen
//! and later), and the first call picks the one the CPU runs. BMI2's shifts by a register count
//! are most of the gain (level 3 encodes in 8% fewer instructions; docs/perf-log.md, seventeenth
//! session). Both are the same source, integer code only, so they write the same bytes: the
//! version-4 vectors, written before there were two builds, are reproduced by either. A function
//! named there must not hand its work to a closure or a helper that is not inlined, which would
//! be compiled for any x86-64 only.

mod decode;
mod encode;
pub mod fse;
pub(crate) mod huffman;
pub(crate) mod sequences;

pub(crate) use decode::blocked_section;
pub use decode::decode_payload;
pub use decode::decompress;
pub use encode::{
    compress, compressed_bound, encode_payload, encode_payload_v3, Layout, MatchFinder,
};

/// Test data: `n` bytes drawn from `alphabet` by a 32-bit linear congruential generator started at
/// `seed` (the same data for the same arguments, on every machine).
#[cfg(test)]
pub(crate) fn lcg_bytes(seed: u32, n: usize, alphabet: &[u8]) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            alphabet[(x >> 16) as usize % alphabet.len()]
        })
        .collect()
}

/// Shortest REFERENCE copy.
pub(crate) const MIN_REF: usize = 4;
/// Shortest DELTA copy.
pub(crate) const MIN_DELTA: usize = 3;
/// Shortest COMPOSITE run.
pub(crate) const MIN_RUN: usize = 4;
/// Longest COMPOSITE pattern.
pub(crate) const MAX_PERIOD: usize = 4;
/// The offset stack every segment starts with.
pub(crate) const INITIAL_OFFSETS: [usize; 4] = [1, 4, 8, 16];

/// Room given to each of the five streams of the streams layout (tags, lengths, low distance bytes,
/// high distance varints, literals) for a segment of `n` bytes. Encoder and decoder write these
/// buffers' pages once per thread, on first use, so memory stays flat instead of creeping up with
/// each stream's largest segment (high-water marks over 1 GiB of real data at level 3: 0.18n,
/// 0.01n, 0.09n, 0.10n, 0.91n); a stream that needs more still grows.
pub(crate) fn stream_caps(n: usize) -> [usize; 5] {
    [n / 4, n / 32, n / 8, n / 8, n]
}

/// Per-thread scratch bytes of the streams layout for segments of `n` bytes (encoder or decoder).
pub fn stream_scratch_bytes(n: usize) -> usize {
    stream_caps(n).iter().sum()
}

/// Writes the pages of `v` once, up to `cap` bytes (see [`stream_caps`]). What `v` holds is left
/// as it is (zeros the first time): the encoder empties it, the decoder overwrites what it uses.
pub(crate) fn touch_once(v: &mut Vec<u8>, cap: usize) {
    if v.capacity() < cap {
        v.resize(cap, 0);
    }
}

/// Lowest and highest compression level.
pub const MIN_LEVEL: u8 = 1;
/// Highest compression level.
pub const MAX_LEVEL: u8 = 9;
/// Level used when none is given.
pub const DEFAULT_LEVEL: u8 = 3;

/// Moves offset-stack slot `slot` to the front (DELTA), keeping the others in order.
#[inline(always)]
pub(crate) fn use_slot(reps: &mut [usize; 4], slot: usize) {
    let d = reps[slot];
    let mut k = slot;
    while k > 0 {
        reps[k] = reps[k - 1];
        k -= 1;
    }
    reps[0] = d;
}

/// Pushes a new distance on the offset stack (REFERENCE); the oldest one falls off.
#[inline(always)]
pub(crate) fn push_offset(reps: &mut [usize; 4], dist: usize) {
    reps[3] = reps[2];
    reps[2] = reps[1];
    reps[1] = reps[0];
    reps[0] = dist;
}

/// Counts the glyphs of each kind in a glyph stream: `[PRIMITIVE, REFERENCE, DELTA, COMPOSITE]`.
/// A diagnostic for tests and tools; a stream cut inside a glyph or with a bad varint is an error.
pub fn glyph_kinds(stream: &[u8]) -> Result<[u64; 4], crate::error::CodecError> {
    use crate::error::CodecError;
    let mut counts = [0u64; 4];
    let mut ip = 0;
    let var = |ip: &mut usize, glyph: usize| {
        let start = *ip;
        crate::varint::read(stream, ip).map_err(|e| match e {
            crate::varint::Error::Incomplete => CodecError::Truncated { at: glyph },
            e => CodecError::BadVarint {
                at: start,
                what: e.what(),
            },
        })
    };
    while ip < stream.len() {
        let glyph = ip;
        let tag = stream[ip];
        ip += 1;
        let kind = usize::from(tag >> 6);
        counts[kind] += 1;
        match kind {
            0 => {
                let mut n = u64::from(tag & 0x3f);
                if n == 0 {
                    n = var(&mut ip, glyph)? + 64;
                }
                ip = ip.saturating_add(n as usize);
            }
            1 => {
                ip += 1;
                if tag & 0x3f == 0x3f {
                    var(&mut ip, glyph)?;
                }
                var(&mut ip, glyph)?;
            }
            2 => {
                if tag & 0x0f == 0x0f {
                    var(&mut ip, glyph)?;
                }
            }
            _ => {
                if tag & 0x0f == 0x0f {
                    var(&mut ip, glyph)?;
                }
                ip += usize::from((tag >> 4) & 3) + 1;
            }
        }
        if ip > stream.len() {
            return Err(CodecError::Truncated { at: glyph });
        }
    }
    Ok(counts)
}
