//! Glyph stream encoder: an LZ-style parser over one segment.
//!
//! Levels 1–4 are greedy single-probe hash parsers with skip acceleration ([`fast`]; lz4-like;
//! levels 2–4 probe a second table of 8-byte hashes first, for longer matches) that take a new
//! distance only for a copy of 5 bytes or more, 6 at level 1 (shorter ones save next to nothing and
//! slow decoding; a repeated distance still needs only 3); levels 5–9 use a greedy or lazy parse
//! ([`chain`]) that finds its copies in rows of the 16 newest positions of each hash at levels 5–7
//! ([`row`]) and in hash chains at levels 8–9, which then parse again, optimally, under the
//! prices of the first parse ([`optimal`], priced by [`prices`]). Levels 2–9 collect the parse as
//! sequences ([`collect`]) and write format version 4's sequences layout ([`super::sequences`]);
//! level 1 writes the plain glyph stream ([`glyphs`]). [`encode_payload_v3`] still writes version
//! 3's streams layout (entropy-coded glyph fields), for tests and tools that need such files. The
//! single-probe tables keep each position's first four bytes (level 3's long table: spare hash
//! bits) beside it ("tagged"), so a wrong candidate rarely costs a read of the input far back;
//! their index hashes the first 5 bytes (6 at level 1), the shortest copy they may give. Every
//! level checks the offset stack first (levels 5–7 only its first slot; levels 1–5 also one byte
//! on, where a copy that stopped at a changed byte usually goes on), so a repeated distance costs
//! a one-byte DELTA glyph, and turns short-period copies (distance ≤ 4 not on the stack) into
//! self-contained COMPOSITE runs that leave the stack untouched.

use super::{MAX_PERIOD, MIN_DELTA, MIN_REF, MIN_RUN};
use crate::varint;
use extend::{common, common_back};
use glyphs::{Emitter, Sink, Streams};
use levels::{params, Params};

mod chain;
mod collect;
mod extend;
mod fast;
mod glyphs;
mod levels;
mod optimal;
mod prices;
mod row;
mod short;

/// Upper bound of the encoded size of `n` raw bytes (all literals, worst case).
pub fn compressed_bound(n: usize) -> usize {
    n + n / 63 + 16
}

/// Reusable match-finder tables. Create one per thread and pass it to every [`compress`] call: the
/// tables are reset (not reallocated) per segment, so no allocation happens on the hot path.
pub struct MatchFinder {
    level: u8,
    params: Params,
    /// Chain levels: the newest position of each hash.
    head: Vec<u32>,
    chain: Vec<u32>,
    /// Levels 5–7: the rows of positions ([`row`]).
    rows: row::Rows,
    /// Optimal levels: the binary trees of the second parse, two children per position of the
    /// trees' window ([`optimal`]).
    tree: Vec<u32>,
    /// Optimal levels: the newest position of each 3-byte hash ([`short`]).
    short: Vec<u32>,
    /// Fast levels: the newest position of each hash with its four bytes, `(bytes << 32) | pos`,
    /// so a candidate is rejected without reading the input at a random distance (a cache miss).
    tagged: Vec<u64>,
    /// Fast levels with `long_log`: the newest position of each hash of 8 bytes in 32 bits, tagged
    /// with more bits of the same hash ([`Tagging`]): half the size of a `tagged` entry, so the
    /// larger table stays in the L2 cache beside the first.
    long: Vec<u32>,
    /// The streams of the streams layout (entropy levels only), reused per segment.
    streams: Streams,
    /// The optimal parser's scratch (levels 8–9 only).
    opt: optimal::Scratch,
    /// The entropy coder's scratch (entropy levels only).
    huff: super::huffman::Scratch,
    /// The sequences of the segment being coded (levels ≥ 2).
    collector: collect::Collector,
    /// The sequence writer's tables and buffers (levels ≥ 2).
    seq: super::sequences::write::Scratch,
    /// Every position below this one is already linked into the chain (chain levels only).
    next: usize,
}

const EMPTY: u32 = u32::MAX;
/// An empty tagged entry: its position (field) is all ones, never before the current position.
const EMPTY_TAGGED: u64 = u64::MAX;
const EMPTY_LONG: u32 = u32::MAX;

impl MatchFinder {
    /// Tables for `level` (1..=9; larger values are clamped to 9).
    pub fn new(level: u8) -> MatchFinder {
        let params = params(level);
        let chains = params.depth > 0 && !params.rows;
        /// `1 << log` entries of `fill`, or none when the level does not use the table.
        fn table<T: Clone>(used: bool, fill: T, log: u32) -> Vec<T> {
            if used {
                vec![fill; 1 << log]
            } else {
                Vec::new()
            }
        }
        MatchFinder {
            level,
            params,
            head: table(chains, EMPTY, params.hash_log),
            chain: table(chains, EMPTY, params.chain_log),
            tree: table(params.optimal > 0, EMPTY, params.tree_log + 1),
            short: table(params.short_log > 0, EMPTY, params.short_log),
            rows: row::Rows::new(if params.rows { params.hash_log } else { 0 }),
            tagged: table(params.depth == 0, EMPTY_TAGGED, params.hash_log),
            long: table(params.long_log > 0, EMPTY_LONG, params.long_log),
            streams: Streams::default(),
            opt: optimal::Scratch::default(),
            huff: Default::default(),
            collector: Default::default(),
            seq: Default::default(),
            next: 0,
        }
    }

    /// The level these tables were built for.
    pub fn level(&self) -> u8 {
        self.level
    }

    /// Heap bytes held by the tables (used by the memory estimate).
    pub fn table_bytes(level: u8) -> usize {
        let p = params(level);
        if p.rows {
            row::Rows::bytes(p.hash_log)
        } else if p.depth > 0 {
            let opt = if p.optimal > 0 {
                optimal::SCRATCH_BYTES
                    + (8 << p.tree_log)
                    + if p.short_log > 0 { 4 << p.short_log } else { 0 }
            } else {
                0
            };
            (4 << p.hash_log) + (4 << p.chain_log) + opt
        } else {
            (8 << p.hash_log) + if p.long_log > 0 { 4 << p.long_log } else { 0 }
        }
    }

    /// Heap bytes of per-thread scratch for segments of `segment` bytes (the streams of the entropy
    /// levels, and the entropy coder's histograms of them).
    pub fn scratch_bytes(level: u8, segment: usize) -> usize {
        if params(level).entropy {
            collect::Collector::scratch_bytes(segment) + super::huffman::scratch_bytes(segment)
        } else {
            0
        }
    }

    fn reset(&mut self) {
        self.head.fill(EMPTY);
        self.chain.fill(EMPTY);
        self.short.fill(EMPTY);
        self.tagged.fill(EMPTY_TAGGED);
        self.long.fill(EMPTY_LONG);
        self.rows.reset();
        self.next = 0;
    }
}

#[inline(always)]
fn read_u32(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().unwrap())
}

#[inline(always)]
fn read_u16(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes(b[i..i + 2].try_into().unwrap())
}

#[inline(always)]
fn read_u64(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().unwrap())
}

/// How a 32-bit tagged entry is split for a segment of `n` bytes: the position in the low
/// `pos_bits` (enough for `n`, so an all-ones field is never a position), and in the bits above it
/// a tag: the hash bits below the table index. A 4 MiB segment leaves 10 tag bits, so a wrong
/// candidate passes the tag check once in 1024 probes; then the input is compared anyway.
#[derive(Clone, Copy)]
struct Tagging {
    pos_mask: u32,
}

impl Tagging {
    fn new(n: usize) -> Tagging {
        let pos_bits = usize::BITS - n.leading_zeros();
        debug_assert!(pos_bits <= 32);
        let pos_mask = if pos_bits >= 32 {
            u32::MAX
        } else {
            (1 << pos_bits) - 1
        };
        Tagging { pos_mask }
    }
    /// The table index (the top `log` bits of `h`) and the tag (the bits after them, placed above
    /// the position field).
    #[inline(always)]
    fn slot(self, h: u64, log: u32) -> (usize, u32) {
        let tag = (((h << log) >> 32) as u32) & !self.pos_mask;
        ((h >> (64 - log)) as usize, tag)
    }
    /// The position of `entry` if its tag is `tag` and it lies before `i`.
    #[inline(always)]
    fn candidate(self, entry: u32, tag: u32, i: usize) -> Option<usize> {
        let c = (entry & self.pos_mask) as usize;
        ((entry & !self.pos_mask == tag) & (c < i)).then_some(c)
    }
}

/// The 64-bit hash of the first `len` bytes of `v8` (little-endian): the fast parsers' 4-byte
/// table takes its index from the top bits, the rows their row and tag.
#[inline(always)]
fn hash_prefix(v8: u64, len: usize) -> u64 {
    (v8 << (64 - 8 * len)).wrapping_mul(0xcf1b_bcdc_b7a5_6463)
}

/// The 64-bit hash of the 8 bytes `v` (the long table: index and tag bits).
#[inline(always)]
fn hash8(v: u64) -> u64 {
    v.wrapping_mul(0x9e37_79b1_85eb_ca87)
}

#[inline(always)]
fn hash(v: u32, log: u32) -> usize {
    (v.wrapping_mul(2_654_435_761) >> (32 - log)) as usize
}

/// A tagged table entry: position `pos` with `bytes`, the four input bytes found there.
#[inline(always)]
fn tagged(bytes: u32, pos: usize) -> u64 {
    (u64::from(bytes) << 32) | pos as u64
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Reference,
    Delta(usize),
    Composite,
}

#[derive(Clone, Copy, Debug)]
struct Match {
    len: usize,
    dist: usize,
    kind: Kind,
}

impl Match {
    const NONE: Match = Match {
        len: 0,
        dist: 0,
        kind: Kind::Reference,
    };

    #[inline(always)]
    fn cost(&self) -> usize {
        match self.kind {
            Kind::Delta(_) => {
                1 + if self.len - MIN_DELTA >= 15 {
                    varint::len((self.len - 18) as u64)
                } else {
                    0
                }
            }
            Kind::Composite => {
                1 + self.dist
                    + if self.len - MIN_RUN >= 15 {
                        varint::len((self.len - 19) as u64)
                    } else {
                        0
                    }
            }
            Kind::Reference => {
                2 + varint::len(((self.dist - 1) >> 8) as u64)
                    + if self.len - MIN_REF >= 63 {
                        varint::len((self.len - 67) as u64)
                    } else {
                        0
                    }
            }
        }
    }

    /// How good a copy is when choosing between copies (zstd's rule of thumb): four points a byte,
    /// less the bits of its distance code (a DELTA's slot, a REFERENCE's distance), so a longer
    /// copy from far away can lose to a shorter one from near. [`Match::gain`] decides whether a
    /// copy is worth taking at all.
    #[inline(always)]
    fn score(&self) -> isize {
        let code = match self.kind {
            Kind::Delta(slot) => slot + 1,
            Kind::Composite => 1,
            Kind::Reference => self.dist + 3,
        };
        4 * self.len as isize - (usize::BITS - code.leading_zeros()) as isize
    }

    /// Bytes saved over emitting the same span as literals (may be negative).
    #[inline(always)]
    fn gain(&self) -> isize {
        if self.len == 0 {
            return 0;
        }
        self.len as isize - self.cost() as isize
    }
}

/// Classifies a copy of `len` bytes from `dist` back, choosing the cheapest glyph for it.
#[inline(always)]
fn classify(len: usize, dist: usize, reps: &[usize; 4]) -> Match {
    if let Some(s) = reps.iter().position(|&r| r == dist) {
        return Match {
            len,
            dist,
            kind: Kind::Delta(s),
        };
    }
    if dist <= MAX_PERIOD && len >= MIN_RUN {
        return Match {
            len,
            dist,
            kind: Kind::Composite,
        };
    }
    Match {
        len,
        dist,
        kind: Kind::Reference,
    }
}

/// Appends the first `n` bytes of `from` to `v`. Short runs with 16 bytes to read move as one
/// fixed 16-byte chunk, the excess cut off again, instead of a `memcpy` call of variable length.
#[inline(always)]
fn append(v: &mut Vec<u8>, from: &[u8], n: usize) {
    const WILD: usize = 16;
    match from.get(..WILD) {
        Some(chunk) if n <= WILD => {
            let len = v.len();
            let chunk: &[u8; WILD] = chunk.try_into().unwrap();
            v.extend_from_slice(chunk);
            v.truncate(len + n);
        }
        _ => v.extend_from_slice(&from[..n]),
    }
}

/// What a parser hands its parse to, literal run by copy: the glyph fields of format versions
/// 1–3 ([`Emitter`]) or the sequences of version 4 ([`collect::Collector`]).
trait Emit {
    /// The literal run `input[from..to]` (possibly empty).
    fn literals(&mut self, input: &[u8], from: usize, to: usize);
    /// The copy `m` at `pos`, which updates the offset stack `reps` as its kind says.
    fn copy(&mut self, m: Match, input: &[u8], pos: usize, reps: &mut [usize; 4]);
    /// See [`Sink::hopeless`].
    fn hopeless(&self, base: usize, n: usize) -> bool;
    /// Whether the fast parsers take the copy `m` they found: whether it is coded in fewer bits
    /// than its bytes as literals.
    fn pays(&self, m: &Match) -> bool;
}

/// How a coded segment's payload is laid out (segment header flags, docs/FORMAT.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// The glyph stream with every field inline (flags 0; level 1, and levels ≥ 2 when it is
    /// smaller than the streams layout).
    Plain,
    /// `glyph_len u32 | glyph stream without literal bytes | lit_count u32 | literal section`
    /// (flag `SPLIT`). Written by format-1 builds before the streams layout; still decoded.
    Split,
    /// Five sections — tags, lengths, low distance bytes, high distance varints, literal bytes —
    /// each a `count u32` and a raw or Huffman-coded byte section (flag `STREAMS`; written at
    /// levels ≥ 2 by format-2 and format-3 builds; still decoded).
    Streams,
    /// A literal section and FSE-coded sequences (flag `SEQUENCES`; format version 4, levels ≥ 2).
    Sequences,
}

/// Appends the payload of one segment at the finder's level, as this build writes it (format
/// version 4): the sequences layout at levels ≥ 2, the plain glyph stream at level 1. `None`
/// (with the appended bytes unspecified) when it would not be smaller than `input`: store it raw.
pub fn encode_payload(input: &[u8], mf: &mut MatchFinder, out: &mut Vec<u8>) -> Option<Layout> {
    if !mf.params.entropy {
        return compress(input, mf, out).then_some(Layout::Plain);
    }
    let base = out.len();
    let n = input.len();
    let mut c = std::mem::take(&mut mf.collector);
    c.reset(n);
    // Levels 8–9: the lazy parse only gives the optimal parse its first prices, which then
    // follow the optimal parse's own statistics: the segment's first MiB is enough.
    let first = if mf.params.optimal > 0 {
        n.min(OPTIMAL_SEED)
    } else {
        n
    };
    let mut parsed = parse(&input[..first], mf, &mut c, 0);
    if parsed && mf.params.optimal > 0 {
        let mut prices = prices::SeqPrices::of(&c);
        c.reset(n);
        mf.reset();
        parsed = optimal::parse(input, mf, &mut c, 0, &mut prices);
    }
    let mut layout = None;
    if parsed {
        super::sequences::write::write(&c.lits, &c.seqs, &mut mf.seq, &mut mf.huff, out);
        if out.len() - base < n {
            layout = Some(Layout::Sequences);
        }
    }
    mf.collector = c;
    // The layout's counts, modes and bitstream lengths cost a dozen bytes and more: on small
    // segments the plain glyph stream can be smaller.
    if n <= SMALL_SEGMENT {
        let mut plain = Vec::with_capacity(n);
        if compress(input, mf, &mut plain) && plain.len() < layout.map_or(n, |_| out.len() - base) {
            out.truncate(base);
            out.extend_from_slice(&plain);
            layout = Some(Layout::Plain);
        }
    }
    layout
}

/// Bytes of a segment the lazy parse of levels 8–9 prices the optimal parse with.
const OPTIMAL_SEED: usize = 1 << 20;

/// Segments up to this size are also tried in the plain layout, which has no headers.
const SMALL_SEGMENT: usize = 1024;

/// Appends the payload of one segment as format versions 2 and 3 wrote it: the streams layout at
/// levels ≥ 2 (unless the plain glyph stream is smaller), the plain glyph stream at level 1.
/// `None` as for [`encode_payload`]. For tests and tools that need files of those versions.
#[doc(hidden)]
pub fn encode_payload_v3(input: &[u8], mf: &mut MatchFinder, out: &mut Vec<u8>) -> Option<Layout> {
    if !mf.params.entropy {
        return compress(input, mf, out).then_some(Layout::Plain);
    }
    let base = out.len();
    let n = input.len();
    let mut st = std::mem::take(&mut mf.streams);
    st.reset(n);
    let mut layout = None;
    let mut parsed = compress_with(input, mf, &mut st, 0);
    if parsed && mf.params.optimal > 0 {
        // Levels 8–9: the lazy parse above only prices the glyphs; parse again, optimally.
        let mut prices = optimal::Prices::of(&st);
        st.reset(n);
        mf.reset();
        parsed = optimal::parse(input, mf, Emitter { s: &mut st }, 0, &mut prices);
    }
    if parsed {
        for v in st.all() {
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
            super::huffman::encode(v, &mut mf.huff, out);
        }
        // The sections cost ~25 bytes of counts and modes: on tiny or incompressible segments the
        // plain stream (exactly the streams' total) can be smaller. Either must be smaller than
        // the input, or the segment is stored.
        let plain = st.size();
        if out.len() - base < plain.min(n) {
            layout = Some(Layout::Streams);
        } else if plain < n {
            out.truncate(base);
            layout = compress(input, mf, out).then_some(Layout::Plain);
        }
    }
    mf.streams = st;
    layout
}

/// Appends the glyph stream of `input` (one segment) to `out` at the finder's level.
///
/// Returns `false`, leaving the appended bytes unspecified, as soon as the glyph stream would not be
/// smaller than `input`: the caller then truncates `out` and stores the segment raw.
pub fn compress(input: &[u8], mf: &mut MatchFinder, out: &mut Vec<u8>) -> bool {
    let base = out.len();
    out.reserve(compressed_bound(input.len()));
    compress_with(input, mf, out, base)
}

/// Parses `input` into glyphs written to `sink`, whose size was `base` before; `false` as soon as
/// they would not be smaller than `input`.
fn compress_with<S: Sink>(input: &[u8], mf: &mut MatchFinder, sink: &mut S, base: usize) -> bool {
    parse(input, mf, Emitter { s: sink }, base)
}

/// Parses `input` at the finder's level into `e`, whose output size was `base` before; `false`
/// as soon as it would not be smaller than `input` (always for fewer than 16 bytes).
fn parse<E: Emit>(input: &[u8], mf: &mut MatchFinder, e: E, base: usize) -> bool {
    let n = input.len();
    if n < 16 {
        return false;
    }
    mf.reset();
    if mf.params.depth == 0 {
        return match mf.level {
            ..=1 => fast::parse::<E, false, 1>(input, mf, e, base),
            3 => fast::parse::<E, true, 3>(input, mf, e, base),
            _ => fast::parse::<E, true, 0>(input, mf, e, base),
        };
    }
    if mf.params.rows {
        chain::parse::<E, row::Rows>(input, mf, e, base)
    } else {
        chain::parse::<E, chain::Chains>(input, mf, e, base)
    }
}

#[cfg(test)]
mod entropy_tests;
#[cfg(test)]
mod tests;
