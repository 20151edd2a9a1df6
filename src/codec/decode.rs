//! Glyph stream decoder: every length and distance checked before use.
//!
//! The output is a slice of exactly `raw_len` bytes written at a cursor. Short literal runs and
//! copies move in fixed 16-byte chunks when there is room ("wild copies": bytes past the glyph's end
//! are scratch that the next glyphs overwrite; the final length check guarantees every byte up to
//! `raw_len` was written by a glyph). Fixed-size copies compile to a couple of vector moves instead
//! of a `memcpy` call per glyph.
//!
//! Two `unsafe` blocks move those chunks without a bounds check per chunk, where the check that
//! guards the whole step already proves every chunk in bounds (the copy's chunk loop, and the
//! literal step of [`decode_into`]); the compiler keeps the per-chunk checks otherwise, and they
//! cost 3–8% of decode speed (docs/perf-log.md, optimizations log). Everything else is safe.

use super::{push_offset, use_slot, INITIAL_OFFSETS, MIN_DELTA, MIN_REF, MIN_RUN};
use crate::error::{CodecError, Pos};
use crate::varint;

mod fields;
mod layouts;

use fields::{Fields, Inline};
pub use layouts::decode_payload;
pub(crate) use layouts::{blocked_section, section, u32_field};

const WILD: usize = 16;

/// An error of the glyph loop. It is as small as `CodecError` was when the loop was tuned (four
/// words; positions are plain numbers in the layout's unit): a larger error type cost the loop
/// 3–6% more instructions. [`Fail::error`] makes it a [`CodecError`], with its unit, where
/// decoding returns.
#[derive(Debug)]
enum Fail {
    /// The glyph stream ends inside a glyph (plain and split layouts; a payload byte).
    Truncated {
        at: usize,
    },
    OutputOverrun {
        at: usize,
        len: u64,
        limit: usize,
    },
    BadDistance {
        at: usize,
        distance: u64,
        available: usize,
    },
    /// A malformed varint (plain and split layouts; the payload byte where it starts).
    BadVarint {
        at: usize,
        why: varint::Error,
    },
    ShortOutput {
        expected: usize,
        got: usize,
    },
    /// Glyph `at` cannot take a field from `section`: it runs out (`Incomplete`) or holds a
    /// malformed varint.
    Field {
        at: usize,
        section: &'static str,
        why: varint::Error,
    },
    LeftOver {
        section: &'static str,
        left: usize,
    },
}

impl Fail {
    /// The error for a varint of an inline glyph stream that starts at `at`.
    #[cold]
    fn varint(why: varint::Error, at: usize) -> Fail {
        match why {
            varint::Error::Incomplete => Fail::Truncated { at },
            why => Fail::BadVarint { at, why },
        }
    }

    /// The [`CodecError`], glyph positions made [`Pos`] by `unit`.
    #[cold]
    fn error(self, unit: fn(usize) -> Pos) -> CodecError {
        match self {
            Fail::Truncated { at } => CodecError::Truncated { at },
            Fail::OutputOverrun { at, len, limit } => CodecError::OutputOverrun {
                at: unit(at),
                len,
                limit,
            },
            Fail::BadDistance {
                at,
                distance,
                available,
            } => CodecError::BadDistance {
                at: unit(at),
                distance,
                available,
            },
            Fail::BadVarint { at, why } => CodecError::BadVarint {
                at,
                what: why.what(),
            },
            Fail::ShortOutput { expected, got } => CodecError::ShortOutput { expected, got },
            Fail::Field { at, section, why } => CodecError::Field {
                at: unit(at),
                section,
                what: match why {
                    varint::Error::Incomplete => "runs out",
                    varint::Error::ZeroPadded => "holds a zero-padded varint",
                    varint::Error::TooLarge => "holds a varint above 2^32 - 1",
                    varint::Error::TooLong => "holds a varint longer than 5 bytes",
                },
            },
            Fail::LeftOver { section, left } => CodecError::LeftOver { section, left },
        }
    }
}

/// Checks that `len` more bytes fit before `raw_len` and returns it as `usize`.
#[inline(always)]
fn fits(len: u64, op: usize, raw_len: usize, at: usize) -> Result<usize, Fail> {
    let room = (raw_len - op) as u64;
    if len > room {
        return Err(Fail::OutputOverrun {
            at,
            len: len - room,
            limit: raw_len,
        });
    }
    Ok(len as usize)
}

/// Whether [`copy_match`] moves a copy of `len` bytes from `dist` back to `op` in whole 16-byte
/// chunks: its source lies at least a chunk back (`WILD <= dist <= op`), and `out` has room for
/// every chunk written (the last ends before `op + len + WILD`; with `two`, a copy shorter than 32
/// bytes still writes two). Such a copy is also valid (`op + len <= out.len()`), so the glyph
/// decoder tests this first and checks validity only for the copies that fail it.
#[inline(always)]
fn wild(out: &[u8], op: usize, dist: usize, len: usize, two: bool) -> bool {
    let slack = if two { 2 * WILD } else { WILD };
    WILD <= dist && dist <= op && op + len + slack <= out.len()
}

/// Copies `len` bytes from `dist` back to `op`; `1 <= dist <= op` and `op + len <= out.len()`.
/// With `two` (a constant at every call), copies of distance 16 or more move two 16-byte chunks
/// whatever their length (see [`Fields::TWO_CHUNKS`]).
#[inline(always)]
pub(crate) fn copy_match(out: &mut [u8], op: usize, dist: usize, len: usize, two: bool) {
    let src = op - dist;
    if wild(out, op, dist, len, two) {
        // Non-overlapping 16-byte chunks: each chunk's source lies entirely before `op + k`.
        let end = out.len();
        let p = out.as_mut_ptr();
        let chunk = |k: usize| {
            debug_assert!(src + k + WILD <= op + k && op + k + WILD <= end);
            // SAFETY: every chunk is in bounds and its source and destination do not overlap.
            // Chunks start at `k < len` (with `two`, also at `k = WILD < 2 * WILD`), so a
            // destination `op + k .. op + k + WILD` ends at most at `op + len - 1 + WILD`, or
            // `op + 2 * WILD` with `two`: both within the room `wild` checked above. Its source
            // is `dist >= WILD` bytes earlier, `src + k .. src + k + WILD` with
            // `src + k + WILD <= op + k`: entirely before the destination and at or after
            // `src >= 0` (`dist <= op`, also checked by `wild`). Both pointers come from one
            // `as_mut_ptr` of `out`, which nothing else borrows meanwhile.
            unsafe { std::ptr::copy_nonoverlapping(p.add(src + k), p.add(op + k), WILD) };
        };
        let mut k = 0;
        if two {
            chunk(0);
            chunk(WILD);
            k = 2 * WILD;
        }
        while k < len {
            chunk(k);
            k += WILD;
        }
    } else if dist >= WILD {
        // Too near the end of `out` for whole chunks.
        if dist >= len {
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
    into_exact(out, raw_len, Pos::Byte, |out| {
        decode_into(&mut Inline { input, ip: 0 }, out)
    })
}

/// Runs `decode` on `out` sized to exactly `raw_len` bytes; on error `out` is emptied, so no
/// partial output is ever left behind, and the error's glyph positions are made [`Pos`] by `unit`.
/// Not inlined: the glyph loop inside compiles best as a function of its own (3% fewer
/// instructions at level 3 than inlined into `layouts::decode_layout`).
#[inline(never)]
fn into_exact(
    out: &mut Vec<u8>,
    raw_len: usize,
    unit: fn(usize) -> Pos,
    decode: impl FnOnce(&mut [u8]) -> Result<(), Fail>,
) -> Result<(), CodecError> {
    // Reusing the buffer's previous contents as scratch avoids zeroing it per segment.
    out.resize(raw_len, 0);
    let r = decode(out);
    if let Err(e) = r {
        out.clear();
        return Err(e.error(unit));
    }
    Ok(())
}

/// `(hi << 8 | lo, varint bytes)` for a high distance varint of one or two bytes starting with
/// `b0, b1`, decoded without a branch on its length; `None` for a longer one.
#[inline(always)]
fn short_distance(lo: u8, b0: u8, b1: u8) -> Option<(u64, usize)> {
    let more = b0 >> 7;
    if more & (b1 >> 7) != 0 {
        return None;
    }
    let hi = u64::from(b0 & 0x7f) | (u64::from(b1 & 0x7f) * u64::from(more)) << 7;
    let d = (hi << 8) | u64::from(lo);
    // A second byte of 0 (zero-padding, an error) leaves `hi` below 128: the general path, which
    // reports it.
    if d < u64::from(more) << 15 {
        return None;
    }
    Some((d, 1 + usize::from(more)))
}

/// `a` when `c`, else `b`, as a conditional move rather than a branch.
#[inline(always)]
fn pick(c: bool, a: usize, b: usize) -> usize {
    std::hint::select_unpredictable(c, a, b)
}

/// Decodes a REFERENCE or DELTA glyph without a branch on which of the two it is (that branch is
/// hard to predict): both become a distance, a length, and a move to the front of the offset stack
/// (a REFERENCE's distance enters at slot 3, whose old value falls off). COMPOSITE glyphs, length
/// varints, distances above 2^22 and fields near the end of their stream take [`copy_glyph`].
#[inline(always)]
fn ref_or_delta<F: Fields>(
    f: &mut F,
    out: &mut [u8],
    op: usize,
    reps: &mut [usize; 4],
    tag: u8,
    at: usize,
) -> Result<usize, Fail> {
    let r = tag < 0x80;
    let mask = 0x0f | (0x30 * u8::from(r));
    let field = tag & mask;
    let fields = if tag < 0xc0 && field != mask {
        f.peek_distance()
    } else {
        None
    };
    let Some((d, hi_len)) = fields else {
        return copy_glyph(f, out, op, reps, tag, at);
    };
    f.skip_distance(hi_len, usize::from(r));
    let slot = usize::from((tag >> 4) & 3) | (3 * usize::from(r));
    let dist = pick(r, d as usize + 1, reps[slot]);
    let len = usize::from(field) + pick(r, MIN_REF, MIN_DELTA);
    // One test for most copies (decode +3–6% at levels 2–3; docs/perf-log.md, "One test for most
    // copies"). The plain layout's two-chunk copies keep the checks in order: testing their larger
    // room first decoded level 1 2–3% slower.
    if F::TWO_CHUNKS || !wild(out, op, dist, len, F::TWO_CHUNKS) {
        if dist > op {
            return Err(Fail::BadDistance {
                at,
                distance: dist as u64,
                available: op,
            });
        }
        fits(len as u64, op, out.len(), at)?;
    }
    copy_match(out, op, dist, len, F::TWO_CHUNKS);
    reps[3] = pick(slot >= 3, reps[2], reps[3]);
    reps[2] = pick(slot >= 2, reps[1], reps[2]);
    reps[1] = pick(slot >= 1, reps[0], reps[1]);
    reps[0] = dist;
    Ok(op + len)
}

/// Decodes a PRIMITIVE glyph with tag `tag` at `op`; returns the new `op`.
#[inline(always)]
fn literal_glyph<F: Fields>(
    f: &mut F,
    out: &mut [u8],
    op: usize,
    tag: u8,
    at: usize,
) -> Result<usize, Fail> {
    let raw_len = out.len();
    let mut op = op;
    let mut n = u64::from(tag & 0x3f);
    if n == 0 {
        n = f.len()?.saturating_add(64);
    }
    let n = fits(n, op, raw_len, at)?;
    let (src, sp) = f.literals();
    if n <= WILD && *sp + WILD <= src.len() && op + WILD <= raw_len {
        out[op..op + WILD].copy_from_slice(&src[*sp..*sp + WILD]);
    } else {
        let Some(bytes) = src.get(*sp..*sp + n) else {
            return Err(F::literals_short(at));
        };
        out[op..op + n].copy_from_slice(bytes);
    }
    *sp += n;
    op += n;
    Ok(op)
}

/// Decodes a REFERENCE, DELTA or COMPOSITE glyph (`tag >> 6` is 1, 2 or 3) at `op`; returns the new
/// `op`.
#[inline(always)]
fn copy_glyph<F: Fields>(
    f: &mut F,
    out: &mut [u8],
    op: usize,
    reps: &mut [usize; 4],
    tag: u8,
    at: usize,
) -> Result<usize, Fail> {
    let raw_len = out.len();
    let mut op = op;
    match tag >> 6 {
        1 => {
            let lo = f.lo(at)?;
            let mut len = u64::from(tag & 0x3f) + MIN_REF as u64;
            if tag & 0x3f == 0x3f {
                len += f.len()?;
            }
            let hi = f.hi()?;
            let dist = ((hi << 8) | u64::from(lo)) + 1;
            if dist > op as u64 {
                return Err(Fail::BadDistance {
                    at,
                    distance: dist,
                    available: op,
                });
            }
            let len = fits(len, op, raw_len, at)?;
            copy_match(out, op, dist as usize, len, F::TWO_CHUNKS);
            op += len;
            push_offset(reps, dist as usize);
        }
        2 => {
            let slot = usize::from((tag >> 4) & 3);
            let mut len = u64::from(tag & 0x0f) + MIN_DELTA as u64;
            if tag & 0x0f == 0x0f {
                len += f.len()?;
            }
            let dist = reps[slot];
            if dist > op {
                return Err(Fail::BadDistance {
                    at,
                    distance: dist as u64,
                    available: op,
                });
            }
            let len = fits(len, op, raw_len, at)?;
            copy_match(out, op, dist, len, F::TWO_CHUNKS);
            op += len;
            use_slot(reps, slot);
        }
        _ => {
            let period = usize::from((tag >> 4) & 3) + 1;
            let mut len = u64::from(tag & 0x0f) + MIN_RUN as u64;
            if tag & 0x0f == 0x0f {
                len += f.len()?;
            }
            let len = fits(len, op, raw_len, at)?;
            let pattern = f.pattern(period, at)?;
            if period == 1 {
                out[op..op + len].fill(pattern[0]);
            } else {
                out[op..op + period].copy_from_slice(pattern);
                copy_match(out, op + period, period, len - period, false);
            }
            op += len;
        }
    }
    Ok(op)
}

/// The glyph decoder: reads glyphs from `f` until it has none left, writing `out`, which must end
/// up exactly full.
///
/// Whether the next glyph is a literal run or a copy is the least predictable branch of the loop,
/// so while there is room for wild copies it is not taken: a step copies 16 literal bytes and
/// advances the cursors by the run's length, or by nothing when the glyph is a copy, then decodes
/// the copy that follows (every stream this encoder writes has one after each literal run). Long
/// runs, runs after runs and the last bytes take the general path.
fn decode_into<F: Fields>(f: &mut F, out: &mut [u8]) -> Result<(), Fail> {
    let raw_len = out.len();
    let mut reps = INITIAL_OFFSETS;
    let mut op = 0usize;
    while let Some((tag, at)) = f.peek() {
        if tag != 0 && op + WILD <= raw_len && f.literals_left() > WILD {
            // Tags 1..=63: a run of `tag` literal bytes; 64.. a copy, a run of none.
            let short = usize::from(tag < 64);
            f.skip(short);
            let n = usize::from(tag) * short;
            let (src, sp) = f.literals();
            debug_assert!(*sp + WILD <= src.len() && op + WILD <= out.len());
            // SAFETY: `op + WILD <= raw_len = out.len()` was checked above, and so was
            // `literals_left() > WILD`, which by the contract of the unsafe trait `Fields` leaves
            // at least `WILD` literal bytes after the cursor once `skip` has consumed the tag.
            // `src` is a shared slice and `out` an exclusive one, so they do not overlap.
            unsafe {
                std::ptr::copy_nonoverlapping(src.as_ptr().add(*sp), out.as_mut_ptr().add(op), WILD)
            };
            if n > WILD {
                let rest = fits(n as u64, op, raw_len, at)?;
                let Some(bytes) = src.get(*sp..*sp + rest) else {
                    return Err(F::literals_short(at));
                };
                out[op..op + rest].copy_from_slice(bytes);
            }
            *sp += n;
            op += n;
            match f.peek() {
                Some((tag, at)) if tag >> 6 != 0 => {
                    f.skip(1);
                    op = ref_or_delta(f, out, op, &mut reps, tag, at)?;
                }
                Some(_) => {}
                None => break,
            }
            continue;
        }
        f.skip(1);
        op = if tag >> 6 != 0 {
            copy_glyph(f, out, op, &mut reps, tag, at)?
        } else {
            literal_glyph(f, out, op, tag, at)?
        };
    }
    if op != raw_len {
        return Err(Fail::ShortOutput {
            expected: raw_len,
            got: op,
        });
    }
    f.finish()
}

#[cfg(test)]
mod tests;
