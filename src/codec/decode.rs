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
    into_exact(out, raw_len, |out| {
        decode_into(&mut Inline { input, ip: 0 }, out)
    })
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
    /// Per-thread scratch for the decoded streams of an entropy-coded payload.
    static SCRATCH: std::cell::RefCell<[Vec<u8>; 5]> = const {
        std::cell::RefCell::new([Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()])
    };
}

fn le32_at(input: &[u8], at: usize) -> Result<usize, CodecError> {
    input
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()) as usize)
        .ok_or(CodecError::Truncated { at })
}

/// Decodes the section (`count` u32, then a byte section) at `input[at..]` into `out`;
/// returns where the next section starts. `limit`, when given, bounds `count` and names the
/// violation.
fn section(
    input: &[u8],
    at: usize,
    limit: Option<(usize, &'static str)>,
    out: &mut Vec<u8>,
) -> Result<usize, CodecError> {
    let count = le32_at(input, at)?;
    if let Some((limit, what)) = limit {
        if count > limit {
            return Err(CodecError::BadLiterals { at, what });
        }
    }
    let start = at + 4;
    let used = super::huffman::decode(input.get(start..).unwrap_or(&[]), count, out, start)?;
    Ok(start + used)
}

/// Decodes a segment payload of any layout into `out` (exactly `raw_len` bytes). The entropy
/// layouts' sections are decoded first (into per-thread scratch buffers), then the glyphs, which
/// take their fields from them.
pub fn decode_payload(
    input: &[u8],
    layout: super::Layout,
    out: &mut Vec<u8>,
    raw_len: usize,
) -> Result<(), CodecError> {
    match layout {
        super::Layout::Plain => decompress(input, out, raw_len),
        super::Layout::Split => {
            let glyph_len = le32_at(input, 0)?;
            let Some(glyphs) = input.get(4..).and_then(|r| r.get(..glyph_len)) else {
                return Err(CodecError::Truncated { at: 0 });
            };
            SCRATCH.with(|cell| {
                let mut bufs = cell.borrow_mut();
                let lits = &mut bufs[4];
                let end = section(
                    input,
                    4 + glyph_len,
                    Some((raw_len, "more literals than the segment's length")),
                    lits,
                )?;
                if end != input.len() {
                    return Err(CodecError::BadLiterals {
                        at: end,
                        what: "bytes after the literal section",
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
                into_exact(out, raw_len, |out| decode_into(&mut fields, out))
            })
        }
        super::Layout::Streams => SCRATCH.with(|cell| {
            let mut bufs = cell.borrow_mut();
            for (v, cap) in bufs.iter_mut().zip(super::stream_caps(raw_len)) {
                super::touch_once(v, cap);
            }
            let [tags, lens, los, his, lits] = &mut *bufs;
            // Every glyph writes at least one byte, and so does every literal: a count above
            // `raw_len` is an error before anything is allocated for it.
            let mut at = 0;
            let most = |what| Some((raw_len, what));
            at = section(
                input,
                at,
                most("more glyphs than the segment's length"),
                tags,
            )?;
            at = section(input, at, None, lens)?;
            at = section(
                input,
                at,
                most("more offsets than the segment's length"),
                los,
            )?;
            at = section(input, at, None, his)?;
            at = section(
                input,
                at,
                most("more literals than the segment's length"),
                lits,
            )?;
            if at != input.len() {
                return Err(CodecError::BadLiterals {
                    at,
                    what: "bytes after the last section",
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
            into_exact(out, raw_len, |out| decode_into(&mut fields, out))
        }),
    }
}

/// Where the glyph decoder takes each field of a glyph from. The plain layout reads them all from
/// one stream in order ([`Inline`]); the split layout takes literal bytes from a separate buffer
/// ([`Split`]); the streams layout takes every kind of field from its own stream ([`Streams`]).
trait Fields {
    /// The next glyph's tag and its position for error messages; `None` after the last glyph.
    fn tag(&mut self) -> Option<(u8, usize)>;
    /// The low distance byte of a REFERENCE.
    fn lo(&mut self, at: usize) -> Result<u8, CodecError>;
    /// A length varint.
    fn len(&mut self) -> Result<u64, CodecError>;
    /// The high distance varint of a REFERENCE.
    fn hi(&mut self) -> Result<u64, CodecError>;
    /// The buffer literal bytes come from and its cursor.
    fn literals(&mut self) -> (&[u8], &mut usize);
    /// The error for a literal run that overruns [`Fields::literals`].
    fn literals_short(at: usize) -> CodecError;
    /// The `n` pattern bytes of a COMPOSITE.
    fn pattern(&mut self, n: usize, at: usize) -> Result<&[u8], CodecError>;
    /// Called after the last glyph: every field must have been used.
    fn finish(&self) -> Result<(), CodecError>;
}

/// Every field inline, in glyph order, from one buffer.
struct Inline<'a> {
    input: &'a [u8],
    ip: usize,
}

impl Fields for Inline<'_> {
    #[inline(always)]
    fn tag(&mut self) -> Option<(u8, usize)> {
        let at = self.ip;
        let &t = self.input.get(at)?;
        self.ip += 1;
        Some((t, at))
    }
    #[inline(always)]
    fn lo(&mut self, at: usize) -> Result<u8, CodecError> {
        let &b = self
            .input
            .get(self.ip)
            .ok_or(CodecError::Truncated { at })?;
        self.ip += 1;
        Ok(b)
    }
    #[inline(always)]
    fn len(&mut self) -> Result<u64, CodecError> {
        varint::read(self.input, &mut self.ip)
    }
    #[inline(always)]
    fn hi(&mut self) -> Result<u64, CodecError> {
        varint::read(self.input, &mut self.ip)
    }
    #[inline(always)]
    fn literals(&mut self) -> (&[u8], &mut usize) {
        (self.input, &mut self.ip)
    }
    fn literals_short(at: usize) -> CodecError {
        CodecError::Truncated { at }
    }
    #[inline(always)]
    fn pattern(&mut self, n: usize, at: usize) -> Result<&[u8], CodecError> {
        let p = self
            .input
            .get(self.ip..self.ip + n)
            .ok_or(CodecError::Truncated { at })?;
        self.ip += n;
        Ok(p)
    }
    fn finish(&self) -> Result<(), CodecError> {
        Ok(())
    }
}

/// The split layout: glyphs inline, literal bytes from their own buffer.
struct Split<'a> {
    glyphs: Inline<'a>,
    lits: &'a [u8],
    lp: usize,
}

impl Fields for Split<'_> {
    #[inline(always)]
    fn tag(&mut self) -> Option<(u8, usize)> {
        self.glyphs.tag()
    }
    #[inline(always)]
    fn lo(&mut self, at: usize) -> Result<u8, CodecError> {
        self.glyphs.lo(at)
    }
    #[inline(always)]
    fn len(&mut self) -> Result<u64, CodecError> {
        self.glyphs.len()
    }
    #[inline(always)]
    fn hi(&mut self) -> Result<u64, CodecError> {
        self.glyphs.hi()
    }
    #[inline(always)]
    fn literals(&mut self) -> (&[u8], &mut usize) {
        (self.lits, &mut self.lp)
    }
    fn literals_short(at: usize) -> CodecError {
        CodecError::BadLiterals {
            at,
            what: "glyphs use more literals than the section holds",
        }
    }
    #[inline(always)]
    fn pattern(&mut self, n: usize, at: usize) -> Result<&[u8], CodecError> {
        self.glyphs.pattern(n, at)
    }
    fn finish(&self) -> Result<(), CodecError> {
        if self.lp != self.lits.len() {
            return Err(CodecError::BadLiterals {
                at: self.glyphs.ip,
                what: "literals left over after the last glyph",
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

impl Fields for Streams<'_> {
    #[inline(always)]
    fn tag(&mut self) -> Option<(u8, usize)> {
        self.tags.tag()
    }
    #[inline(always)]
    fn lo(&mut self, at: usize) -> Result<u8, CodecError> {
        let &b = self.los.get(self.op).ok_or(CodecError::BadLiterals {
            at,
            what: "glyphs use more distance bytes than the section holds",
        })?;
        self.op += 1;
        Ok(b)
    }
    #[inline(always)]
    fn len(&mut self) -> Result<u64, CodecError> {
        self.lens.len()
    }
    #[inline(always)]
    fn hi(&mut self) -> Result<u64, CodecError> {
        self.his.hi()
    }
    #[inline(always)]
    fn literals(&mut self) -> (&[u8], &mut usize) {
        (self.lits, &mut self.lp)
    }
    fn literals_short(at: usize) -> CodecError {
        Split::literals_short(at)
    }
    #[inline(always)]
    fn pattern(&mut self, n: usize, at: usize) -> Result<&[u8], CodecError> {
        let p = self
            .lits
            .get(self.lp..self.lp + n)
            .ok_or(Self::literals_short(at))?;
        self.lp += n;
        Ok(p)
    }
    fn finish(&self) -> Result<(), CodecError> {
        let at = self.tags.ip;
        let left = |what| Err(CodecError::BadLiterals { at, what });
        if self.lens.ip != self.lens.input.len() {
            return left("lengths left over after the last glyph");
        }
        if self.op != self.los.len() || self.his.ip != self.his.input.len() {
            return left("distances left over after the last glyph");
        }
        if self.lp != self.lits.len() {
            return left("literals left over after the last glyph");
        }
        Ok(())
    }
}

/// Decodes a PRIMITIVE glyph with tag `tag` at `op`; returns the new `op`.
#[inline(always)]
fn literal_glyph<F: Fields>(
    f: &mut F,
    out: &mut [u8],
    op: usize,
    tag: u8,
    at: usize,
) -> Result<usize, CodecError> {
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
) -> Result<usize, CodecError> {
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
                return Err(CodecError::BadDistance {
                    at,
                    distance: dist,
                    available: op,
                });
            }
            let len = fits(len, op, raw_len, at)?;
            copy_match(out, op, dist as usize, len);
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
                return Err(CodecError::BadDistance {
                    at,
                    distance: dist as u64,
                    available: op,
                });
            }
            let len = fits(len, op, raw_len, at)?;
            copy_match(out, op, dist, len);
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
                copy_match(out, op + period, period, len - period);
            }
            op += len;
        }
    }
    Ok(op)
}

/// The glyph decoder: reads glyphs from `f` until it has none left, writing `out`, which must end
/// up exactly full. A literal run is followed by a copy in every stream this encoder writes, so
/// the copy after a PRIMITIVE is decoded right there: its kind is then predicted at its own branch,
/// apart from the kinds that follow copies.
fn decode_into<F: Fields>(f: &mut F, out: &mut [u8]) -> Result<(), CodecError> {
    let raw_len = out.len();
    let mut reps = INITIAL_OFFSETS;
    let mut op = 0usize;
    while let Some((tag, at)) = f.tag() {
        if tag >> 6 != 0 {
            op = copy_glyph(f, out, op, &mut reps, tag, at)?;
            continue;
        }
        op = literal_glyph(f, out, op, tag, at)?;
        match f.tag() {
            Some((tag, at)) if tag >> 6 != 0 => op = copy_glyph(f, out, op, &mut reps, tag, at)?,
            Some((tag, at)) => op = literal_glyph(f, out, op, tag, at)?,
            None => break,
        }
    }
    if op != raw_len {
        return Err(CodecError::ShortOutput {
            expected: raw_len,
            got: op,
        });
    }
    f.finish()
}
