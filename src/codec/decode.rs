//! Glyph stream decoder: safe code, every length and distance checked before use.
//!
//! The output is a slice of exactly `raw_len` bytes written at a cursor. Short literal runs and
//! copies move in fixed 16-byte chunks when there is room ("wild copies": bytes past the glyph's end
//! are scratch that the next glyphs overwrite; the final length check guarantees every byte up to
//! `raw_len` was written by a glyph). Fixed-size copies compile to a couple of vector moves instead
//! of a `memcpy` call per glyph.

use super::{push_offset, use_slot, INITIAL_OFFSETS, MIN_DELTA, MIN_REF, MIN_RUN};
use crate::error::CodecError;
use crate::varint;

const WILD: usize = 16;

/// Checks that `len` more bytes fit before `raw_len` and returns it as `usize`.
#[inline(always)]
fn fits(len: u64, op: usize, raw_len: usize, at: usize) -> Result<usize, CodecError> {
    let room = (raw_len - op) as u64;
    if len > room {
        return Err(CodecError::OutputOverrun {
            at,
            len: len - room,
            limit: raw_len,
        });
    }
    Ok(len as usize)
}

/// Copies `len` bytes from `dist` back to `op`; `1 <= dist <= op` and `op + len <= out.len()`.
#[inline(always)]
fn copy_match(out: &mut [u8], op: usize, dist: usize, len: usize) {
    let src = op - dist;
    if dist >= WILD {
        if op + len + WILD <= out.len() {
            // Non-overlapping 16-byte chunks: each chunk's source lies entirely before `op + k`.
            let mut k = 0;
            while k < len {
                let (head, tail) = out.split_at_mut(op + k);
                tail[..WILD].copy_from_slice(&head[src + k..src + k + WILD]);
                k += WILD;
            }
        } else if dist >= len {
            out.copy_within(src..src + len, op);
        } else {
            let mut k = 0;
            while k < len {
                let n = dist.min(len - k);
                out.copy_within(src + k..src + k + n, op + k);
                k += n;
            }
        }
    } else if dist == 1 {
        let b = out[src];
        out[op..op + len].fill(b);
    } else {
        // Overlapping short distance: the output repeats with period `dist`. Copy from `src` in
        // growing chunks; `done` stays a multiple of `dist`, so each chunk continues the pattern,
        // and a chunk of `done + dist` bytes ends exactly where it is written (no overlap).
        let mut done = 0;
        while done < len {
            let n = (done + dist).min(len - done);
            out.copy_within(src..src + n, op + done);
            done += n;
        }
    }
}

/// Decodes one segment's glyph stream into `out`, which ends up holding exactly `raw_len` bytes.
///
/// Never writes more than `raw_len` bytes (plus scratch inside that length) and never reads outside
/// `input`: a corrupt stream is an error naming the payload offset of the bad glyph, and `out` is
/// then emptied.
pub fn decompress(input: &[u8], out: &mut Vec<u8>, raw_len: usize) -> Result<(), CodecError> {
    into_exact(out, raw_len, |out| decode_into::<false>(input, &[], out))
}

/// Runs `decode` on `out` sized to exactly `raw_len` bytes; on error `out` is emptied, so no
/// partial output is ever left behind.
fn into_exact(
    out: &mut Vec<u8>,
    raw_len: usize,
    decode: impl FnOnce(&mut [u8]) -> Result<(), CodecError>,
) -> Result<(), CodecError> {
    // Reusing the buffer's previous contents as scratch avoids zeroing it per segment.
    out.resize(raw_len, 0);
    let r = decode(out);
    if r.is_err() {
        out.clear();
    }
    r
}

thread_local! {
    static LITS: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn le32_at(input: &[u8], at: usize) -> Result<usize, CodecError> {
    input
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()) as usize)
        .ok_or(CodecError::Truncated { at })
}

/// Decodes a segment payload of either layout into `out` (exactly `raw_len` bytes). The split
/// layout's literal section is decoded first (into a per-thread scratch buffer), then the glyphs,
/// whose PRIMITIVE glyphs take their bytes from it in order.
pub fn decode_payload(
    input: &[u8],
    layout: super::Layout,
    out: &mut Vec<u8>,
    raw_len: usize,
) -> Result<(), CodecError> {
    if layout == super::Layout::Plain {
        return decompress(input, out, raw_len);
    }
    let glyph_len = le32_at(input, 0)?;
    let Some(glyphs) = input.get(4..).and_then(|r| r.get(..glyph_len)) else {
        return Err(CodecError::Truncated { at: 0 });
    };
    let count_at = 4 + glyph_len;
    let lit_count = le32_at(input, count_at)?;
    if lit_count > raw_len {
        return Err(CodecError::BadLiterals {
            at: count_at,
            what: "more literals than the segment's length",
        });
    }
    let section_at = count_at + 4;
    LITS.with(|cell| {
        let mut lits = cell.borrow_mut();
        let used = super::huffman::decode(&input[section_at..], lit_count, &mut lits, section_at)?;
        if section_at + used != input.len() {
            return Err(CodecError::BadLiterals {
                at: section_at + used,
                what: "bytes after the literal section",
            });
        }
        into_exact(out, raw_len, |out| decode_into::<true>(glyphs, &lits, out))
    })
}

/// The glyph decoder. With `SPLIT`, PRIMITIVE glyphs carry no bytes and take them from `lits`.
fn decode_into<const SPLIT: bool>(
    input: &[u8],
    lits: &[u8],
    out: &mut [u8],
) -> Result<(), CodecError> {
    let mut lp = 0usize;
    let raw_len = out.len();
    let mut reps = INITIAL_OFFSETS;
    let mut ip = 0usize;
    let mut op = 0usize;
    while ip < input.len() {
        let at = ip;
        let tag = input[ip];
        ip += 1;
        match tag >> 6 {
            0 => {
                let mut n = u64::from(tag & 0x3f);
                if n == 0 {
                    n = varint::read(input, &mut ip)?.saturating_add(64);
                }
                let n = fits(n, op, raw_len, at)?;
                let (src, sp) = if SPLIT {
                    (lits, &mut lp)
                } else {
                    (input, &mut ip)
                };
                if n <= WILD && *sp + WILD <= src.len() && op + WILD <= raw_len {
                    out[op..op + WILD].copy_from_slice(&src[*sp..*sp + WILD]);
                } else {
                    let Some(bytes) = src.get(*sp..*sp + n) else {
                        return Err(if SPLIT {
                            CodecError::BadLiterals {
                                at,
                                what: "glyphs use more literals than the section holds",
                            }
                        } else {
                            CodecError::Truncated { at }
                        });
                    };
                    out[op..op + n].copy_from_slice(bytes);
                }
                *sp += n;
                op += n;
            }
            1 => {
                let Some(&lo) = input.get(ip) else {
                    return Err(CodecError::Truncated { at });
                };
                ip += 1;
                let mut len = u64::from(tag & 0x3f) + MIN_REF as u64;
                if tag & 0x3f == 0x3f {
                    len += varint::read(input, &mut ip)?;
                }
                let hi = varint::read(input, &mut ip)?;
                let dist = ((hi << 8) | u64::from(lo)) + 1;
                if dist > op as u64 {
                    return Err(CodecError::BadDistance {
                        at,
                        distance: dist,
                        available: op,
                    });
                }
                let len = fits(len, op, raw_len, at)?;
                copy_match(out, op, dist as usize, len);
                op += len;
                push_offset(&mut reps, dist as usize);
            }
            2 => {
                let slot = usize::from((tag >> 4) & 3);
                let mut len = u64::from(tag & 0x0f) + MIN_DELTA as u64;
                if tag & 0x0f == 0x0f {
                    len += varint::read(input, &mut ip)?;
                }
                let dist = reps[slot];
                if dist > op {
                    return Err(CodecError::BadDistance {
                        at,
                        distance: dist as u64,
                        available: op,
                    });
                }
                let len = fits(len, op, raw_len, at)?;
                copy_match(out, op, dist, len);
                op += len;
                use_slot(&mut reps, slot);
            }
            _ => {
                let period = usize::from((tag >> 4) & 3) + 1;
                let mut len = u64::from(tag & 0x0f) + MIN_RUN as u64;
                if tag & 0x0f == 0x0f {
                    len += varint::read(input, &mut ip)?;
                }
                let len = fits(len, op, raw_len, at)?;
                let Some(pattern) = input.get(ip..ip + period) else {
                    return Err(CodecError::Truncated { at });
                };
                ip += period;
                if period == 1 {
                    out[op..op + len].fill(pattern[0]);
                } else {
                    out[op..op + period].copy_from_slice(pattern);
                    copy_match(out, op + period, period, len - period);
                }
                op += len;
            }
        }
    }
    if op != raw_len {
        return Err(CodecError::ShortOutput {
            expected: raw_len,
            got: op,
        });
    }
    Ok(())
}
