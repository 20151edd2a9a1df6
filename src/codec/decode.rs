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
/// instructions at level 3 than inlined into [`decode_layout`]).
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

thread_local! {
    /// Per-thread scratch for the decoded streams of an entropy-coded payload.
    static SCRATCH: std::cell::RefCell<[Vec<u8>; 5]> = const {
        std::cell::RefCell::new([Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()])
    };
}

/// The names of the streams layout's five sections, in payload order (docs/FORMAT.md).
pub(crate) const STREAM_SECTIONS: [&str; 5] = ["tags", "lengths", "los", "his", "bytes"];

/// The `u32` count field of section `name` at `input[at..]`.
fn count_at(input: &[u8], at: usize, name: &'static str) -> Result<usize, CodecError> {
    u32_field(input, at, name, "count")
}

/// The `u32` field `field` of section `section` at `input[at..]`; an error naming both when the
/// payload ends before its four bytes.
pub(crate) fn u32_field(
    input: &[u8],
    at: usize,
    section: &'static str,
    field: &str,
) -> Result<usize, CodecError> {
    input
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()) as usize)
        .ok_or_else(|| CodecError::BadSection {
            section,
            field: field.into(),
            at,
            what: format!(
                "cut short: needs 4 bytes, the payload has {}",
                input.len().saturating_sub(at)
            ),
        })
}

/// Decodes section `name` (a `count` u32, then a byte section of modes up to `max_mode`) at
/// `input[at..]` into `out`; returns where the next section starts. A count above `limit` is an
/// error before anything is allocated.
pub(crate) fn section(
    input: &[u8],
    at: usize,
    name: &'static str,
    limit: usize,
    max_mode: u8,
    out: &mut Vec<u8>,
) -> Result<usize, CodecError> {
    let count = count_at(input, at, name)?;
    if count > limit {
        return Err(CodecError::BadSection {
            section: name,
            field: "count".into(),
            at,
            what: format!("{count} bytes, more than the segment's raw length {limit}"),
        });
    }
    let start = at + 4;
    let used = super::huffman::decode(
        input.get(start..).unwrap_or(&[]),
        count,
        out,
        start,
        max_mode,
    )
    .map_err(|e| e.in_section(name))?;
    Ok(start + used)
}

/// Decodes a segment payload of any layout into `out` (exactly `raw_len` bytes). The entropy
/// layouts' sections are decoded first (into per-thread scratch buffers), then the glyphs, which
/// take their fields from them. On any error `out` is emptied, as by [`decompress`].
pub fn decode_payload(
    input: &[u8],
    layout: super::Layout,
    out: &mut Vec<u8>,
    raw_len: usize,
) -> Result<(), CodecError> {
    let r = decode_layout(input, layout, out, raw_len);
    if r.is_err() {
        out.clear();
    }
    r
}

fn decode_layout(
    input: &[u8],
    layout: super::Layout,
    out: &mut Vec<u8>,
    raw_len: usize,
) -> Result<(), CodecError> {
    match layout {
        super::Layout::Plain => decompress(input, out, raw_len),
        super::Layout::Sequences => super::sequences::read::decode(input, out, raw_len),
        super::Layout::Split => {
            // Positions inside the glyphs count from the payload's start, 4 bytes before them.
            let glyph_len = count_at(input, 0, "glyphs")?;
            let Some(glyphs) = input.get(4..).and_then(|r| r.get(..glyph_len)) else {
                return Err(CodecError::BadSection {
                    section: "glyphs",
                    field: "count".into(),
                    at: 0,
                    what: format!(
                        "{glyph_len} bytes, but the payload has {} after the count",
                        input.len() - 4
                    ),
                });
            };
            SCRATCH.with(|cell| {
                let mut bufs = cell.borrow_mut();
                let lits = &mut bufs[4];
                // The split layout is version 1's: its byte section has modes 0 and 1.
                let end = section(input, 4 + glyph_len, "literals", raw_len, 1, lits)?;
                if end != input.len() {
                    return Err(CodecError::TrailingBytes {
                        at: end,
                        left: input.len() - end,
                    });
                }
                let mut fields = Split {
                    glyphs: Inline {
                        input: glyphs,
                        ip: 0,
                    },
                    lits,
                    lp: 0,
                };
                into_exact(out, raw_len, Pos::Byte, |out| decode_into(&mut fields, out))
                    .map_err(|e| e.shifted(4))
            })
        }
        super::Layout::Streams => SCRATCH.with(|cell| {
            let mut bufs = cell.borrow_mut();
            for (v, cap) in bufs.iter_mut().zip(super::stream_caps(raw_len)) {
                super::touch_once(v, cap);
            }
            let [tags, lens, los, his, lits] = &mut *bufs;
            // No stream of a valid payload holds more bytes than the segment's raw length
            // (docs/FORMAT.md, "Streams layout"): a count above it is an error before anything is
            // allocated for it.
            let mut at = 0;
            for (name, buf) in STREAM_SECTIONS
                .into_iter()
                .zip([&mut *tags, &mut *lens, &mut *los, &mut *his, &mut *lits])
            {
                at = section(input, at, name, raw_len, 3, buf)?;
            }
            if at != input.len() {
                return Err(CodecError::TrailingBytes {
                    at,
                    left: input.len() - at,
                });
            }
            let mut fields = Streams {
                tags: Inline { input: tags, ip: 0 },
                lens: Inline { input: lens, ip: 0 },
                los,
                op: 0,
                his: Inline { input: his, ip: 0 },
                lits,
                lp: 0,
            };
            into_exact(out, raw_len, Pos::Glyph, |out| {
                decode_into(&mut fields, out)
            })
        }),
    }
}

/// The section of a streams-layout payload that is in mode 3 (blocks), if any: its name and the
/// payload offset of its mode byte. Walks the five sections' headers without decoding them and
/// stops (`None`) at anything malformed, which decoding reports. Version 2 files may not use
/// mode 3 (docs/FORMAT.md, "Versioning").
pub(crate) fn blocked_section(input: &[u8]) -> Option<(&'static str, usize)> {
    let mut at = 0;
    for name in STREAM_SECTIONS {
        let count = input.get(at..at + 4)?;
        let count = u32::from_le_bytes(count.try_into().unwrap()) as usize;
        at += 4;
        let mode = *input.get(at)?;
        let mut ip = at + 1;
        match mode {
            0 => ip += count,
            1 | 2 => {
                ip += 1 + usize::from(*input.get(ip)?) / 2 + 1;
                let mut len = varint::read(input, &mut ip).ok()?;
                if mode == 2 {
                    for _ in 0..3 {
                        varint::read(input, &mut ip).ok()?;
                    }
                }
                len = len.min(input.len() as u64);
                ip += len as usize;
            }
            3 => return Some((name, at)),
            _ => return None,
        }
        at = ip;
    }
    None
}

/// Where the glyph decoder takes each field of a glyph from. The plain layout reads them all from
/// one stream in order ([`Inline`]); the split layout takes literal bytes from a separate buffer
/// ([`Split`]); the streams layout takes every kind of field from its own stream ([`Streams`]).
///
/// # Safety
///
/// The glyph decoder moves 16 literal bytes without a bounds check when
/// [`Fields::literals_left`] says more than 16 are left: an implementation must guarantee that
/// then, even after a [`Fields::skip`] of one tag, [`Fields::literals`] returns a cursor with at
/// least 16 bytes after it.
unsafe trait Fields {
    /// Whether copies move two 16-byte chunks before looping over the rest: one mispredicted loop
    /// exit less for copies of 17–32 bytes, one chunk more for short ones. It pays on the plain
    /// layout (level 1: decode +1–7.5% on the four samples) and not on the streams layout (level 3:
    /// src +5%, but bin and mixed −1–3%), so the plain layout's fields say yes.
    const TWO_CHUNKS: bool;
    /// The next glyph's tag and its position for error messages, not consumed; `None` after the
    /// last glyph.
    fn peek(&self) -> Option<(u8, usize)>;
    /// Consumes `k` (0 or 1) tags after a [`Fields::peek`] that returned one.
    fn skip(&mut self, k: usize);
    /// The low distance byte of a REFERENCE.
    fn lo(&mut self, at: usize) -> Result<u8, Fail>;
    /// A length varint.
    fn len(&mut self) -> Result<u64, Fail>;
    /// The high distance varint of a REFERENCE.
    fn hi(&mut self) -> Result<u64, Fail>;
    /// The distance fields a REFERENCE without a length varint would have next, not consumed:
    /// `(hi << 8 | lo, bytes of the hi varint)`. `None` unless both are there and the varint has one
    /// or two bytes; the general path then decides.
    fn peek_distance(&self) -> Option<(u64, usize)>;
    /// Consumes `k` (0 or 1) distances of `hi_len` varint bytes after [`Fields::peek_distance`].
    fn skip_distance(&mut self, hi_len: usize, k: usize);
    /// The buffer literal bytes come from and its cursor.
    fn literals(&mut self) -> (&[u8], &mut usize);
    /// Literal bytes left after the cursor (for [`Inline`], counting the next tag's byte, which a
    /// `skip` may consume); never more than that (see the trait's safety contract).
    fn literals_left(&self) -> usize;
    /// The error for a literal run that overruns [`Fields::literals`].
    fn literals_short(at: usize) -> Fail;
    /// The `n` pattern bytes of a COMPOSITE.
    fn pattern(&mut self, n: usize, at: usize) -> Result<&[u8], Fail>;
    /// Called after the last glyph: every field must have been used.
    fn finish(&self) -> Result<(), Fail>;
}

/// Every field inline, in glyph order, from one buffer.
struct Inline<'a> {
    input: &'a [u8],
    ip: usize,
}

// SAFETY: literals and tags share `input`: `literals_left` counts from the tag's cursor, and a
// `skip` of one tag leaves one byte fewer.
unsafe impl Fields for Inline<'_> {
    const TWO_CHUNKS: bool = true;
    #[inline(always)]
    fn peek(&self) -> Option<(u8, usize)> {
        let &t = self.input.get(self.ip)?;
        Some((t, self.ip))
    }
    #[inline(always)]
    fn skip(&mut self, k: usize) {
        self.ip += k;
    }
    #[inline(always)]
    fn lo(&mut self, at: usize) -> Result<u8, Fail> {
        let &b = self.input.get(self.ip).ok_or(Fail::Truncated { at })?;
        self.ip += 1;
        Ok(b)
    }
    #[inline(always)]
    fn len(&mut self) -> Result<u64, Fail> {
        let r = varint::read(self.input, &mut self.ip);
        r.map_err(|e| Fail::varint(e, self.ip))
    }
    #[inline(always)]
    fn hi(&mut self) -> Result<u64, Fail> {
        let r = varint::read(self.input, &mut self.ip);
        r.map_err(|e| Fail::varint(e, self.ip))
    }
    #[inline(always)]
    fn peek_distance(&self) -> Option<(u64, usize)> {
        let &[lo, b0, b1] = self.input.get(self.ip..self.ip + 3)?.first_chunk()?;
        short_distance(lo, b0, b1)
    }
    #[inline(always)]
    fn skip_distance(&mut self, hi_len: usize, k: usize) {
        self.ip += (1 + hi_len) * k;
    }
    #[inline(always)]
    fn literals(&mut self) -> (&[u8], &mut usize) {
        (self.input, &mut self.ip)
    }
    #[inline(always)]
    fn literals_left(&self) -> usize {
        self.input.len() - self.ip
    }
    fn literals_short(at: usize) -> Fail {
        Fail::Truncated { at }
    }
    #[inline(always)]
    fn pattern(&mut self, n: usize, at: usize) -> Result<&[u8], Fail> {
        let p = self
            .input
            .get(self.ip..self.ip + n)
            .ok_or(Fail::Truncated { at })?;
        self.ip += n;
        Ok(p)
    }
    fn finish(&self) -> Result<(), Fail> {
        Ok(())
    }
}

/// The split layout: glyphs inline, literal bytes from their own buffer.
struct Split<'a> {
    glyphs: Inline<'a>,
    lits: &'a [u8],
    lp: usize,
}

// SAFETY: `literals_left` counts the bytes of `lits` after `lp`, which `skip` does not move.
unsafe impl Fields for Split<'_> {
    const TWO_CHUNKS: bool = false;
    #[inline(always)]
    fn peek(&self) -> Option<(u8, usize)> {
        self.glyphs.peek()
    }
    #[inline(always)]
    fn skip(&mut self, k: usize) {
        self.glyphs.skip(k)
    }
    #[inline(always)]
    fn lo(&mut self, at: usize) -> Result<u8, Fail> {
        self.glyphs.lo(at)
    }
    #[inline(always)]
    fn len(&mut self) -> Result<u64, Fail> {
        self.glyphs.len()
    }
    #[inline(always)]
    fn hi(&mut self) -> Result<u64, Fail> {
        self.glyphs.hi()
    }
    #[inline(always)]
    fn peek_distance(&self) -> Option<(u64, usize)> {
        self.glyphs.peek_distance()
    }
    #[inline(always)]
    fn skip_distance(&mut self, hi_len: usize, k: usize) {
        self.glyphs.skip_distance(hi_len, k)
    }
    #[inline(always)]
    fn literals(&mut self) -> (&[u8], &mut usize) {
        (self.lits, &mut self.lp)
    }
    #[inline(always)]
    fn literals_left(&self) -> usize {
        self.lits.len() - self.lp
    }
    fn literals_short(at: usize) -> Fail {
        Fail::Field {
            at,
            section: "literals",
            why: varint::Error::Incomplete,
        }
    }
    #[inline(always)]
    fn pattern(&mut self, n: usize, at: usize) -> Result<&[u8], Fail> {
        self.glyphs.pattern(n, at)
    }
    fn finish(&self) -> Result<(), Fail> {
        if self.lp != self.lits.len() {
            return Err(Fail::LeftOver {
                section: "literals",
                left: self.lits.len() - self.lp,
            });
        }
        Ok(())
    }
}

/// The streams layout: tags, lengths, low distance bytes, high distance varints and literal
/// (and pattern) bytes each from their own decoded section. Error positions are glyph numbers.
struct Streams<'a> {
    tags: Inline<'a>,
    lens: Inline<'a>,
    los: &'a [u8],
    op: usize,
    his: Inline<'a>,
    lits: &'a [u8],
    lp: usize,
}

// SAFETY: as for `Split`: `lits` after `lp`, which `skip` does not move.
unsafe impl Fields for Streams<'_> {
    const TWO_CHUNKS: bool = false;
    #[inline(always)]
    fn peek(&self) -> Option<(u8, usize)> {
        self.tags.peek()
    }
    #[inline(always)]
    fn skip(&mut self, k: usize) {
        self.tags.skip(k)
    }
    #[inline(always)]
    fn lo(&mut self, at: usize) -> Result<u8, Fail> {
        let &b = self.los.get(self.op).ok_or(Fail::Field {
            at,
            section: "los",
            why: varint::Error::Incomplete,
        })?;
        self.op += 1;
        Ok(b)
    }
    #[inline(always)]
    fn len(&mut self) -> Result<u64, Fail> {
        let r = varint::read(self.lens.input, &mut self.lens.ip);
        r.map_err(|why| self.field("lengths", why))
    }
    #[inline(always)]
    fn hi(&mut self) -> Result<u64, Fail> {
        let r = varint::read(self.his.input, &mut self.his.ip);
        r.map_err(|why| self.field("his", why))
    }
    #[inline(always)]
    fn peek_distance(&self) -> Option<(u64, usize)> {
        let &lo = self.los.get(self.op)?;
        let his = &self.his;
        let &[b0, b1] = his.input.get(his.ip..his.ip + 2)?.first_chunk()?;
        short_distance(lo, b0, b1)
    }
    #[inline(always)]
    fn skip_distance(&mut self, hi_len: usize, k: usize) {
        self.op += k;
        self.his.ip += hi_len * k;
    }
    #[inline(always)]
    fn literals(&mut self) -> (&[u8], &mut usize) {
        (self.lits, &mut self.lp)
    }
    #[inline(always)]
    fn literals_left(&self) -> usize {
        self.lits.len() - self.lp
    }
    fn literals_short(at: usize) -> Fail {
        Fail::Field {
            at,
            section: "bytes",
            why: varint::Error::Incomplete,
        }
    }
    #[inline(always)]
    fn pattern(&mut self, n: usize, at: usize) -> Result<&[u8], Fail> {
        let p = self
            .lits
            .get(self.lp..self.lp + n)
            .ok_or(Self::literals_short(at))?;
        self.lp += n;
        Ok(p)
    }
    fn finish(&self) -> Result<(), Fail> {
        let left = [
            ("lengths", self.lens.input.len() - self.lens.ip),
            ("los", self.los.len() - self.op),
            ("his", self.his.input.len() - self.his.ip),
            ("bytes", self.lits.len() - self.lp),
        ];
        match left.into_iter().find(|&(_, n)| n > 0) {
            Some((section, left)) => Err(Fail::LeftOver { section, left }),
            None => Ok(()),
        }
    }
}

impl Streams<'_> {
    /// The error for the current glyph (whose tag was the last one taken) when `section` runs out
    /// or holds a malformed varint.
    #[cold]
    fn field(&self, section: &'static str, why: varint::Error) -> Fail {
        Fail::Field {
            at: self.tags.ip - 1,
            section,
            why,
        }
    }
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
mod tests {
    //! The decoder against a byte-at-a-time model of `docs/FORMAT.md`'s glyph table, on random
    //! glyph sequences written by hand here (not by the encoder), so that sequences this encoder
    //! never writes — runs after runs, runs at the end, every slot, every length and varint size —
    //! take the decoder's fast and general paths alike.
    use super::*;
    use crate::codec::Layout;

    /// One glyph's fields, in the five streams of the streams layout.
    #[derive(Default)]
    struct Streams5 {
        tags: Vec<u8>,
        lens: Vec<u8>,
        los: Vec<u8>,
        his: Vec<u8>,
        lits: Vec<u8>,
    }

    struct Gen {
        x: u64,
        /// The expected output, built by the model.
        out: Vec<u8>,
        reps: [usize; 4],
        plain: Vec<u8>,
        st: Streams5,
    }

    impl Gen {
        fn next(&mut self) -> u64 {
            self.x ^= self.x << 13;
            self.x ^= self.x >> 7;
            self.x ^= self.x << 17;
            self.x
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        /// A length of at least `min` with its field: short ones in the tag (`field < max`),
        /// longer ones as `max` and a varint.
        fn length(&mut self, min: usize, max: u8) -> (usize, u8, Option<u64>) {
            let len = match self.below(4) {
                0 => min + self.below(u64::from(max)) as usize,
                1 => min + usize::from(max) + self.below(300) as usize,
                _ => min + self.below(24) as usize,
            };
            let field = (len - min).min(usize::from(max)) as u8;
            let extra = (field == max).then(|| (len - min - usize::from(max)) as u64);
            (len, field, extra)
        }
        fn literals(&mut self, n: usize) {
            let bytes: Vec<u8> = (0..n).map(|_| self.next() as u8).collect();
            if n < 64 {
                self.tag(n as u8);
            } else {
                self.tag(0);
                self.len_varint((n - 64) as u64);
            }
            self.plain.extend_from_slice(&bytes);
            self.st.lits.extend_from_slice(&bytes);
            self.out.extend_from_slice(&bytes);
        }
        fn tag(&mut self, t: u8) {
            self.plain.push(t);
            self.st.tags.push(t);
        }
        fn len_varint(&mut self, v: u64) {
            varint::put(&mut self.plain, v);
            varint::put(&mut self.st.lens, v);
        }
        fn copy(&mut self, dist: usize, len: usize) {
            for _ in 0..len {
                let b = self.out[self.out.len() - dist];
                self.out.push(b);
            }
        }
        fn reference(&mut self, dist: usize) {
            let (len, field, extra) = self.length(MIN_REF, 63);
            let (hi, lo) = ((dist - 1) >> 8, (dist - 1) as u8);
            self.tag(0x40 | field);
            self.plain.push(lo);
            self.st.los.push(lo);
            if let Some(e) = extra {
                self.len_varint(e);
            }
            varint::put(&mut self.plain, hi as u64);
            varint::put(&mut self.st.his, hi as u64);
            self.copy(dist, len);
            push_offset(&mut self.reps, dist);
        }
        fn delta(&mut self, slot: usize) {
            let (len, field, extra) = self.length(MIN_DELTA, 15);
            self.tag(0x80 | (slot as u8) << 4 | field);
            if let Some(e) = extra {
                self.len_varint(e);
            }
            self.copy(self.reps[slot], len);
            use_slot(&mut self.reps, slot);
        }
        fn composite(&mut self, period: usize) {
            let (len, field, extra) = self.length(MIN_RUN, 15);
            self.tag(0xc0 | ((period - 1) as u8) << 4 | field);
            if let Some(e) = extra {
                self.len_varint(e);
            }
            let pattern: Vec<u8> = (0..period).map(|_| self.next() as u8).collect();
            self.plain.extend_from_slice(&pattern);
            self.st.lits.extend_from_slice(&pattern);
            self.out.extend((0..len).map(|i| pattern[i % period]));
        }
        /// A random glyph that is valid at this point.
        fn glyph(&mut self) {
            let op = self.out.len();
            match self.below(10) {
                0..=2 => {
                    let n = if self.below(8) == 0 {
                        1 + self.below(200) as usize
                    } else {
                        1 + self.below(20) as usize
                    };
                    self.literals(n);
                }
                3..=5 => {
                    // Distances of one-, two- and three-byte high varints where the output
                    // allows, and the shortest ones (overlapping copies).
                    let max = match self.below(4) {
                        0 => 20,
                        1 => 1 << 15,
                        _ => op,
                    };
                    let dist = 1 + self.below(max.min(op) as u64) as usize;
                    self.reference(dist);
                }
                6..=8 => {
                    let slot = self.below(4) as usize;
                    if self.reps[slot] <= op {
                        self.delta(slot);
                    }
                }
                _ => {
                    let period = 1 + self.below(4) as usize;
                    self.composite(period);
                }
            }
        }
    }

    fn raw_section(v: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        out.push(0);
        out.extend_from_slice(v);
    }

    /// The streams layout's payload of `g`'s glyphs, every section raw.
    fn streams_payload(g: &Gen) -> Vec<u8> {
        let st = &g.st;
        let mut payload = Vec::new();
        for v in [&st.tags, &st.lens, &st.los, &st.his, &st.lits] {
            raw_section(v, &mut payload);
        }
        payload
    }

    fn check(g: &Gen) {
        let mut dec = Vec::new();
        decompress(&g.plain, &mut dec, g.out.len()).unwrap();
        assert!(dec == g.out, "plain layout differs from the model");
        dec.clear();
        decode_payload(&streams_payload(g), Layout::Streams, &mut dec, g.out.len()).unwrap();
        assert!(dec == g.out, "streams layout differs from the model");
    }

    fn generator(seed: u64) -> Gen {
        Gen {
            x: seed | 1,
            out: Vec::new(),
            reps: INITIAL_OFFSETS,
            plain: Vec::new(),
            st: Streams5::default(),
        }
    }

    /// `lits` literals, then `glyphs` random glyphs, from the generator seeded with `seed`.
    fn short_stream(seed: u64, lits: usize, glyphs: u64) -> Gen {
        let mut g = generator(seed);
        g.literals(lits);
        for _ in 0..glyphs {
            g.glyph();
        }
        g
    }

    /// Also the test to run under Miri (`cargo +nightly miri test --lib random_glyph`), which
    /// checks the decoder's `unsafe` chunk moves: there it runs fewer, shorter sequences.
    #[test]
    fn random_glyph_sequences_decode_as_the_model_says() {
        let (seeds, glyphs) = if cfg!(miri) { (6, 300) } else { (40, 2000) };
        for seed in 1..=seeds {
            let mut g = generator(seed * 0x9e37_79b9);
            g.literals(16 + seed as usize);
            for _ in 0..glyphs {
                g.glyph();
            }
            check(&g);
        }
    }

    /// Thousands of short streams (a few glyphs, tens to hundreds of bytes), so that every
    /// glyph kind ends at every distance from the end of the output and of the literals: the
    /// bounds that decide between the wild 16-byte chunk moves (`unsafe`, checked once per step)
    /// and the exact copies are crossed in every way. The `debug_assert!`s of the chunk moves are
    /// on in tests.
    #[test]
    fn short_streams_decode_at_every_end() {
        let seeds = if cfg!(miri) { 300 } else { 5000 };
        for seed in 1..=seeds {
            check(&short_stream(
                seed * 0x2545_f491,
                1 + seed as usize % 40,
                seed % 8,
            ));
        }
    }

    /// Glyphs that write more or fewer bytes than the segment's declared length are an error,
    /// whichever glyph crosses the end and by however much: never a panic, and no output left.
    /// A copy that ends up to 48 bytes past the end is the case the copies' single test
    /// (`wild`) must refuse.
    #[test]
    fn glyphs_past_or_short_of_the_declared_length_are_errors() {
        let seeds = if cfg!(miri) { 30 } else { 600 };
        for seed in 1..=seeds {
            let g = short_stream(seed * 0x6c07_8965, 1 + seed as usize % 40, 1 + seed % 6);
            let payload = streams_payload(&g);
            let n = g.out.len();
            for raw_len in (n.saturating_sub(48)..n + 48).filter(|&l| l != n) {
                let mut dec = vec![0xaa; 7];
                assert!(decompress(&g.plain, &mut dec, raw_len).is_err());
                assert!(dec.is_empty(), "plain layout left output");
                dec.push(0xaa);
                assert!(decode_payload(&payload, Layout::Streams, &mut dec, raw_len).is_err());
                assert!(dec.is_empty(), "streams layout left output");
            }
        }
    }

    #[test]
    fn distances_past_two_varint_bytes_decode() {
        // A REFERENCE reaching back 2^22 + 5 bytes has a three-byte high varint.
        let mut g = generator(7);
        while g.out.len() < (1 << 22) + 100 {
            g.literals(30_000);
        }
        g.reference((1 << 22) + 5);
        g.delta(0);
        g.reference(1 << 22);
        check(&g);
    }
}
