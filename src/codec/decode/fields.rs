//! Where the glyph decoder takes each field of a glyph from, one source per layout.

use super::{short_distance, Fail};
use crate::varint;

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
pub(super) unsafe trait Fields {
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
pub(super) struct Inline<'a> {
    pub(super) input: &'a [u8],
    pub(super) ip: usize,
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
pub(super) struct Split<'a> {
    pub(super) glyphs: Inline<'a>,
    pub(super) lits: &'a [u8],
    pub(super) lp: usize,
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
pub(super) struct Streams<'a> {
    pub(super) tags: Inline<'a>,
    pub(super) lens: Inline<'a>,
    pub(super) los: &'a [u8],
    pub(super) op: usize,
    pub(super) his: Inline<'a>,
    pub(super) lits: &'a [u8],
    pub(super) lp: usize,
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
