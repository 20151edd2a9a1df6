//! Glyph stream decoder: safe code, every length and distance checked before use.

use super::{push_offset, use_slot, INITIAL_OFFSETS, MIN_DELTA, MIN_REF, MIN_RUN};
use crate::error::CodecError;
use crate::varint::{self, Varint};

#[inline(always)]
fn read_varint(input: &[u8], ip: &mut usize) -> Result<u64, CodecError> {
    let at = *ip;
    match varint::get(&input[at..]) {
        Varint::Done(v, n) => {
            *ip += n;
            Ok(v)
        }
        Varint::Incomplete => Err(CodecError::Truncated { at }),
        Varint::Malformed => Err(CodecError::BadVarint { at }),
    }
}

/// Checks that `len` more bytes fit in the segment and returns it as `usize`.
#[inline(always)]
fn fits(len: u64, out: &[u8], raw_len: usize, at: usize) -> Result<usize, CodecError> {
    let room = (raw_len - out.len()) as u64;
    if len > room {
        return Err(CodecError::OutputOverrun {
            at,
            len: len - room,
            limit: raw_len,
        });
    }
    Ok(len as usize)
}

/// Appends `len` bytes copied from `dist` bytes back; `dist` must be in `1..=out.len()`.
#[inline(always)]
fn copy_match(out: &mut Vec<u8>, dist: usize, len: usize) {
    let start = out.len() - dist;
    if dist >= len {
        out.extend_from_within(start..start + len);
    } else {
        // Overlapping copy: the source grows as we write, so copy in doubling chunks.
        let mut left = len;
        let mut chunk = dist;
        while left > 0 {
            let n = chunk.min(left);
            let s = out.len() - chunk;
            out.extend_from_within(s..s + n);
            left -= n;
            chunk *= 2;
        }
    }
}

/// Decodes one segment's glyph stream, replacing the contents of `out` with exactly `raw_len` bytes.
///
/// Never writes more than `raw_len` bytes and never reads outside `input`: a corrupt stream is an
/// error naming the payload offset of the bad glyph.
pub fn decompress(input: &[u8], out: &mut Vec<u8>, raw_len: usize) -> Result<(), CodecError> {
    out.clear();
    out.reserve(raw_len);
    let mut reps = INITIAL_OFFSETS;
    let mut ip = 0usize;
    while ip < input.len() {
        let at = ip;
        let tag = input[ip];
        ip += 1;
        match tag >> 6 {
            0 => {
                let mut n = u64::from(tag & 0x3f);
                if n == 0 {
                    n = read_varint(input, &mut ip)?.saturating_add(64);
                }
                let n = fits(n, out, raw_len, at)?;
                let Some(lits) = input.get(ip..ip + n) else {
                    return Err(CodecError::Truncated { at });
                };
                out.extend_from_slice(lits);
                ip += n;
            }
            1 => {
                let Some(&lo) = input.get(ip) else {
                    return Err(CodecError::Truncated { at });
                };
                ip += 1;
                let mut len = u64::from(tag & 0x3f) + MIN_REF as u64;
                if tag & 0x3f == 0x3f {
                    len += read_varint(input, &mut ip)?;
                }
                let hi = read_varint(input, &mut ip)?;
                let dist = ((hi << 8) | u64::from(lo)) + 1;
                if dist > out.len() as u64 {
                    return Err(CodecError::BadDistance {
                        at,
                        distance: dist,
                        available: out.len(),
                    });
                }
                let len = fits(len, out, raw_len, at)?;
                copy_match(out, dist as usize, len);
                push_offset(&mut reps, dist as usize);
            }
            2 => {
                let slot = usize::from((tag >> 4) & 3);
                let mut len = u64::from(tag & 0x0f) + MIN_DELTA as u64;
                if tag & 0x0f == 0x0f {
                    len += read_varint(input, &mut ip)?;
                }
                let dist = reps[slot];
                if dist > out.len() {
                    return Err(CodecError::BadDistance {
                        at,
                        distance: dist as u64,
                        available: out.len(),
                    });
                }
                let len = fits(len, out, raw_len, at)?;
                copy_match(out, dist, len);
                use_slot(&mut reps, slot);
            }
            _ => {
                let period = usize::from((tag >> 4) & 3) + 1;
                let mut len = u64::from(tag & 0x0f) + MIN_RUN as u64;
                if tag & 0x0f == 0x0f {
                    len += read_varint(input, &mut ip)?;
                }
                let len = fits(len, out, raw_len, at)?;
                let Some(pattern) = input.get(ip..ip + period) else {
                    return Err(CodecError::Truncated { at });
                };
                ip += period;
                if period == 1 {
                    out.resize(out.len() + len, pattern[0]);
                } else {
                    out.extend_from_slice(pattern);
                    copy_match(out, period, len - period);
                }
            }
        }
    }
    if out.len() != raw_len {
        return Err(CodecError::ShortOutput {
            expected: raw_len,
            got: out.len(),
        });
    }
    Ok(())
}
