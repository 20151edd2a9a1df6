//! The glyph fields of format versions 1–3, as a parse writes them through [`Emitter`]: one
//! buffer in glyph order (the plain stream, `Vec<u8>`; level 1 still writes it) or the five
//! streams of the streams layout ([`Streams`]; written by [`super::encode_payload_v3`]).

use super::{append, Emit, Kind, Match};
use crate::codec::{push_offset, use_slot, MIN_DELTA, MIN_REF, MIN_RUN};
use crate::varint;

/// Where the encoder puts the fields of each glyph: one buffer in glyph order (the plain layout,
/// `Vec<u8>`) or one stream per kind of field ([`Streams`], the entropy levels). Mirrors the
/// decoder's `Fields`.
pub(super) trait Sink {
    fn tag(&mut self, t: u8);
    /// The low distance byte of a REFERENCE.
    fn lo(&mut self, b: u8);
    /// A length varint.
    fn length(&mut self, v: u64);
    /// The high distance varint of a REFERENCE.
    fn hi(&mut self, v: u64);
    /// Literal and COMPOSITE pattern bytes: the first `n` of `from` (see [`append`]).
    fn bytes(&mut self, from: &[u8], n: usize);
    /// Whether what was written since the size was `base` already rules out a payload smaller
    /// than `n` bytes, so the parse may give up. The plain stream is the payload: it is hopeless
    /// once it is `n` bytes long. The streams are entropy-coded afterwards, so their raw size
    /// proves nothing (literals of 16 byte values code in half): never hopeless.
    fn hopeless(&self, base: usize, n: usize) -> bool;
}

impl Sink for Vec<u8> {
    #[inline(always)]
    fn tag(&mut self, t: u8) {
        self.push(t);
    }
    #[inline(always)]
    fn lo(&mut self, b: u8) {
        self.push(b);
    }
    #[inline(always)]
    fn length(&mut self, v: u64) {
        varint::put(self, v);
    }
    #[inline(always)]
    fn hi(&mut self, v: u64) {
        varint::put(self, v);
    }
    #[inline(always)]
    fn bytes(&mut self, from: &[u8], n: usize) {
        append(self, from, n);
    }
    #[inline(always)]
    fn hopeless(&self, base: usize, n: usize) -> bool {
        self.len() - base >= n
    }
}

/// The five streams of the streams layout (docs/FORMAT.md), in section order.
#[derive(Default)]
pub(super) struct Streams {
    pub(super) tags: Vec<u8>,
    pub(super) lens: Vec<u8>,
    pub(super) los: Vec<u8>,
    pub(super) his: Vec<u8>,
    pub(super) lits: Vec<u8>,
}

impl Streams {
    pub(super) fn all(&self) -> [&Vec<u8>; 5] {
        [&self.tags, &self.lens, &self.los, &self.his, &self.lits]
    }
    /// The streams' total bytes: the size of the same glyphs as a plain stream.
    pub(super) fn size(&self) -> usize {
        self.all().iter().map(|v| v.len()).sum()
    }
    /// Empties the streams; on first use gives each its room for segments of `n` bytes
    /// ([`crate::codec::stream_caps`]), so they are allocated and touched once per thread.
    pub(super) fn reset(&mut self, n: usize) {
        let vs = [
            &mut self.tags,
            &mut self.lens,
            &mut self.los,
            &mut self.his,
            &mut self.lits,
        ];
        for (v, cap) in vs.into_iter().zip(crate::codec::stream_caps(n)) {
            crate::codec::touch_once(v, cap);
            v.clear();
        }
    }
}

impl Sink for Streams {
    #[inline(always)]
    fn tag(&mut self, t: u8) {
        self.tags.push(t);
    }
    #[inline(always)]
    fn lo(&mut self, b: u8) {
        self.los.push(b);
    }
    #[inline(always)]
    fn length(&mut self, v: u64) {
        varint::put(&mut self.lens, v);
    }
    #[inline(always)]
    fn hi(&mut self, v: u64) {
        varint::put(&mut self.his, v);
    }
    #[inline(always)]
    fn bytes(&mut self, from: &[u8], n: usize) {
        append(&mut self.lits, from, n);
    }
    #[inline(always)]
    fn hopeless(&self, _base: usize, _n: usize) -> bool {
        false
    }
}

/// Writes glyphs to a [`Sink`].
pub(super) struct Emitter<'a, S: Sink> {
    pub(super) s: &'a mut S,
}

impl<S: Sink> Emit for Emitter<'_, S> {
    #[inline(always)]
    fn literals(&mut self, input: &[u8], from: usize, to: usize) {
        let n = to - from;
        if n == 0 {
            return;
        }
        if n < 64 {
            self.s.tag(n as u8);
        } else {
            self.s.tag(0);
            self.s.length((n - 64) as u64);
        }
        self.s.bytes(&input[from..], n);
    }

    #[inline(always)]
    fn hopeless(&self, base: usize, n: usize) -> bool {
        self.s.hopeless(base, n)
    }

    /// Whether a fast parser's copy is worth its glyph. A repeated distance's copy is at least 4
    /// bytes, its DELTA glyph 1 byte (and a length varint from 18 bytes on); a new distance's
    /// copy at least 6 bytes at level 1 and 5 at levels 2–4, its REFERENCE glyph 2 bytes and the
    /// varint of `(distance − 1) >> 8` (and a length varint from 67 bytes on): never longer than
    /// the copy for a distance below 2^29 at level 1, 2^22 at levels 2–4 (where this emitter
    /// writes segments of at most 1 KiB, and the version-3 streams). Only a short run of period
    /// 3 or 4 could cost as much as its bytes or more, so only runs are priced.
    #[inline(always)]
    fn pays(&self, m: &Match) -> bool {
        !matches!(m.kind, Kind::Composite) || m.gain() > 0
    }

    #[inline(always)]
    fn copy(&mut self, m: Match, input: &[u8], pos: usize, reps: &mut [usize; 4]) {
        match m.kind {
            Kind::Delta(slot) => {
                let l = m.len - MIN_DELTA;
                let tag = 0x80 | ((slot as u8) << 4);
                if l < 15 {
                    self.s.tag(tag | l as u8);
                } else {
                    self.s.tag(tag | 15);
                    self.s.length((l - 15) as u64);
                }
                use_slot(reps, slot);
            }
            Kind::Composite => {
                let l = m.len - MIN_RUN;
                let tag = 0xc0 | (((m.dist - 1) as u8) << 4);
                if l < 15 {
                    self.s.tag(tag | l as u8);
                } else {
                    self.s.tag(tag | 15);
                    self.s.length((l - 15) as u64);
                }
                self.s.bytes(&input[pos - m.dist..], m.dist);
            }
            Kind::Reference => {
                let l = m.len - MIN_REF;
                let d = m.dist - 1;
                if l < 63 {
                    self.s.tag(0x40 | l as u8);
                    self.s.lo(d as u8);
                } else {
                    self.s.tag(0x7f);
                    self.s.lo(d as u8);
                    self.s.length((l - 63) as u64);
                }
                self.s.hi((d >> 8) as u64);
                push_offset(reps, m.dist);
            }
        }
    }
}
