//! Levels 8 and 9: price-based optimal parsing.
//!
//! The segment is parsed twice. The first pass is the lazy chain parser over the segment's first
//! MiB (with a shallow chain: it only has to get the statistics right); its statistics become the
//! first *prices* (in bits, or 1/256 bit in version 4) of every code and literal. The second pass
//! finds, window by window, the cheapest sequence of glyphs under the prices: a shortest path
//! over the positions of the window, where a literal steps one byte and a copy steps its length,
//! each costing the bits its fields would take. After each window the prices may follow what the
//! parse wrote ([`Price::window_done`]; version 4's do, [`super::prices`]). Every copy the match
//! finder sees is tried at every length it covers, offset-stack copies included, and each
//! position carries the offset stack of its cheapest path, so DELTA glyphs are priced where they
//! can really be used. The second pass finds its copies in binary trees ([`tree`]), which meet
//! the long copies in far fewer steps than the first pass's hash chains, and, where the layout
//! has copies of 3 bytes, the nearest 3-byte copy in a table of 3-byte hashes ([`short`]).

use super::chain::{inside_match, rep_len};
use super::{
    classify, common, hash, read_u32, short, Emit, Kind, Match, MatchFinder, Streams, EMPTY,
};
use crate::codec::{huffman, push_offset, use_slot, INITIAL_OFFSETS, MIN_DELTA, MIN_REF, MIN_RUN};

/// Positions per window of the shortest-path search.
const WINDOW: usize = 4096;
/// A copy at least this long is taken as soon as it is found (no search around it): long copies
/// are almost always right, and trying every length of each would cost quadratic time.
const SUFFICIENT: usize = 256;
/// The price of a symbol the first pass never wrote: more than any code the coder would give it.
const UNSEEN: u32 = huffman::MAX_BITS + 1;

/// Bits per symbol of each stream of the streams layout.
pub(super) struct Prices {
    tag: [u32; 256],
    len: [u32; 256],
    lo: [u32; 256],
    hi: [u32; 256],
    lit: [u32; 256],
}

impl Prices {
    /// The prices a Huffman coder would give the streams of a parse.
    pub(super) fn of(st: &Streams) -> Prices {
        let bits = |v: &[u8]| {
            let lens = huffman::code_lengths(&huffman::histogram(v).map(u64::from));
            lens.map(|l| if l == 0 { UNSEEN } else { u32::from(l) })
        };
        Prices {
            tag: bits(&st.tags),
            len: bits(&st.lens),
            lo: bits(&st.los),
            hi: bits(&st.his),
            lit: bits(&st.lits),
        }
    }

    fn varint(table: &[u32; 256], mut v: u64) -> u32 {
        let mut bits = 0;
        while v >= 0x80 {
            bits += table[usize::from(v as u8 | 0x80)];
            v >>= 7;
        }
        bits + table[v as usize]
    }

    /// The PRIMITIVE tag (and length) of a literal run of `n` bytes, without the bytes; 0 for none.
    fn run(&self, n: usize) -> u32 {
        match n {
            0 => 0,
            1..=63 => self.tag[n],
            _ => self.tag[0] + Self::varint(&self.len, (n - 64) as u64),
        }
    }
}

/// The prices the optimal parse minimizes, in any one unit.
pub(super) trait Price {
    /// The shortest copy of a new distance the layout can write.
    fn min_new(&self) -> usize;
    /// What one more literal costs after a run of `n`: the byte, and the change of the run's
    /// length field.
    fn literal(&self, byte: u8, n: usize) -> i64;
    /// What copy `m` at `pos` costs.
    fn copy(&self, m: &Match, input: &[u8], pos: usize) -> i64;
    /// The parse wrote the literals `lits`, then copy `m`.
    fn wrote(&mut self, _lits: &[u8], _m: &Match) {}
    /// The parse wrote the path of a window: prices may change for the next.
    fn window_done(&mut self) {}
}

impl Price for Prices {
    fn min_new(&self) -> usize {
        MIN_REF
    }

    fn literal(&self, byte: u8, n: usize) -> i64 {
        i64::from(self.lit[usize::from(byte)]) + i64::from(self.run(n + 1)) - i64::from(self.run(n))
    }

    fn copy(&self, m: &Match, input: &[u8], pos: usize) -> i64 {
        i64::from(self.glyph(m, input, pos))
    }
}

impl Prices {
    /// The bits of the glyph for copy `m` at `pos`.
    fn glyph(&self, m: &Match, input: &[u8], pos: usize) -> u32 {
        // A tag `base | l` whose length field holds `l` up to `last`, which means "varint follows".
        let tagged = |base: usize, l: usize, last: usize| {
            if l < last {
                self.tag[base | l]
            } else {
                self.tag[base | last] + Self::varint(&self.len, (l - last) as u64)
            }
        };
        match m.kind {
            Kind::Delta(slot) => tagged(0x80 | slot << 4, m.len - MIN_DELTA, 15),
            Kind::Composite => {
                let pattern: u32 = input[pos - m.dist..pos]
                    .iter()
                    .map(|&b| self.lit[usize::from(b)])
                    .sum();
                tagged(0xc0 | (m.dist - 1) << 4, m.len - MIN_RUN, 15) + pattern
            }
            Kind::Reference => {
                let d = m.dist - 1;
                tagged(0x40, m.len - MIN_REF, 63)
                    + self.lo[d & 0xff]
                    + Self::varint(&self.hi, (d >> 8) as u64)
            }
        }
    }
}

/// One position of the window: the cheapest way found to reach it.
#[derive(Clone, Copy)]
pub(super) struct Node {
    price: i64,
    /// The step that reaches this position: 0 for a literal, else a copy of `len` bytes.
    len: u32,
    dist: u32,
    /// Literals pending at this position (the run the next literal would extend).
    lits: u32,
    /// The offset stack after the cheapest path to this position.
    reps: [usize; 4],
}

const UNREACHED: Node = Node {
    price: i64::MAX,
    len: 0,
    dist: 0,
    lits: 0,
    reps: INITIAL_OFFSETS,
};

/// Heap bytes of [`Scratch`] in use (for the memory estimate).
pub(super) const SCRATCH_BYTES: usize = (WINDOW + 1) * std::mem::size_of::<Node>();

/// Scratch of the optimal parser, kept in the [`MatchFinder`] so a segment allocates nothing.
#[derive(Default)]
pub(super) struct Scratch {
    nodes: Vec<Node>,
    cands: Vec<Match>,
    path: Vec<(usize, Match)>,
}

/// The copies that start at `i`: the offset-stack copies, then the nearest 3-byte copy (of
/// `min_new` bytes or more) and the trees' candidates of growing length (each longer than all
/// before it). Links `i` into the trees.
fn candidates(
    input: &[u8],
    i: usize,
    n: usize,
    reps: &[usize; 4],
    min_new: usize,
    mf: &mut MatchFinder,
) {
    let mut cands = std::mem::take(&mut mf.opt.cands);
    cands.clear();
    for (s, &d) in reps.iter().enumerate() {
        let len = rep_len(input, i, n, d);
        if len > 0 {
            cands.push(Match {
                len,
                dist: d,
                kind: Kind::Delta(s),
            });
        }
    }
    // The nearest 3-byte copy (the trees report only what is longer).
    let mut floor = 0;
    if mf.params.short_log > 0 {
        if let Some((c, len)) = short::find(input, i, n, mf).filter(|f| f.1 >= min_new) {
            floor = len;
            cands.push(Match {
                len,
                dist: i - c,
                kind: Kind::Reference,
            });
        }
    }
    let depth = mf.params.optimal;
    tree(input, i, n, mf, depth, |c, len| {
        if len > floor {
            cands.push(Match {
                len,
                dist: i - c,
                kind: Kind::Reference,
            })
        }
    });
    mf.opt.cands = cands;
}

/// Inserts position `i` into the binary tree of its 4-byte hash and reports, through
/// `found(c, len)`, each earlier position `c` whose copy is longer than every one reported before
/// (so lengths grow, and each is the nearest copy of its length the walk met). The tree of a hash
/// orders its positions by the bytes that follow them: a walk from the newest position down
/// visits, at each step, the one whose bytes share the most with `i`'s on one side, so it meets
/// the long copies in far fewer steps than a chain; `i` becomes the new root and the visited
/// nodes are split between its two subtrees. At most `depth` nodes are visited (what lies below
/// is cut off). A position more than the trees' window back ends the walk, its slots may hold
/// newer positions, but it is still tried as a copy, as the chains try their head at any
/// distance.
fn tree(
    input: &[u8],
    i: usize,
    n: usize,
    mf: &mut MatchFinder,
    mut depth: u32,
    mut found: impl FnMut(usize, usize),
) {
    debug_assert!(i >= mf.next, "positions enter the tree once, in order");
    let mask = (1usize << mf.params.tree_log) - 1;
    let h = hash(read_u32(input, i), mf.params.hash_log);
    let mut cand = mf.head[h];
    mf.head[h] = i as u32;
    mf.next = i + 1;
    let t = &mut mf.tree;
    // The child slots still to be filled: below `i` (all bytes there are smaller than `i`'s) and
    // above it, and how many leading bytes every position left on that side shares with `i`.
    let mut below = 2 * (i & mask);
    let mut above = below + 1;
    let (mut common_below, mut common_above) = (0usize, 0usize);
    let mut best = MIN_REF - 1;
    while cand != EMPTY && depth > 0 {
        let c = cand as usize;
        if c >= i {
            break;
        }
        if i - c > mask {
            // Older than the window: its child slots may hold newer positions, but its bytes are
            // still in the segment, so it is a candidate, the last of the walk.
            let len = common(input, c, i, n);
            if len > best {
                found(c, len);
            }
            break;
        }
        depth -= 1;
        let known = common_below.min(common_above);
        let len = known + common(input, c + known, i + known, n);
        if len > best {
            best = len;
            found(c, len);
        }
        let node = 2 * (c & mask);
        if i + len >= n {
            // The copy runs to the end: `c` takes `i`'s place, its subtrees become `i`'s.
            t[below] = t[node];
            t[above] = t[node + 1];
            return;
        }
        if input[c + len] < input[i + len] {
            t[below] = cand;
            common_below = len;
            below = node + 1;
            cand = t[below];
        } else {
            t[above] = cand;
            common_above = len;
            above = node;
            cand = t[above];
        }
    }
    t[below] = EMPTY;
    t[above] = EMPTY;
}

/// Inserts the positions inside a copy of `len` bytes at `i` into the trees (the tail only of a
/// long one, as for chains: [`inside_match`]).
fn tree_insert_match(input: &[u8], i: usize, len: usize, limit: usize, mf: &mut MatchFinder) {
    let depth = mf.params.optimal;
    let inside = inside_match(i, len, limit);
    for j in inside.start.max(mf.next)..inside.end {
        if mf.params.short_log > 0 {
            short::insert(input, j, mf);
        }
        tree(input, j, input.len(), mf, depth, |_, _| {});
    }
}

/// Parses `input` into the cheapest glyphs under `prices`, written through `e`; `false` as soon as
/// they would not be smaller than `input` (the size `e` had before was `base`).
pub(super) fn parse<E: Emit>(
    input: &[u8],
    mf: &mut MatchFinder,
    mut e: E,
    base: usize,
    prices: &mut impl Price,
) -> bool {
    let n = input.len();
    let limit = n - 8;
    // The search's buffers, out of the finder while it is lent to `candidates` (which keeps its
    // own, `mf.opt.cands`, there).
    let mut nodes = std::mem::take(&mut mf.opt.nodes);
    let mut path = std::mem::take(&mut mf.opt.path);
    nodes.resize(WINDOW + 1, UNREACHED);
    let mut reps = INITIAL_OFFSETS;
    let mut anchor = 0usize;
    let mut i = 1usize;
    let mut ok = true;
    'windows: while i < limit {
        // Shortest paths from `i` over the next WINDOW positions; `anchor..i` are pending literals.
        nodes.fill(UNREACHED);
        nodes[0] = Node {
            price: 0,
            len: 0,
            dist: 0,
            lits: (i - anchor) as u32,
            reps,
        };
        let mut k = 0;
        // A copy long enough to take at once, found at window position `k`.
        let mut taken = None;
        while k < WINDOW && i + k < limit {
            let p = i + k;
            let node = nodes[k];
            candidates(input, p, n, &node.reps, prices.min_new(), mf);
            let lit = node.price + prices.literal(input[p], node.lits as usize);
            if lit < nodes[k + 1].price {
                nodes[k + 1] = Node {
                    price: lit,
                    len: 0,
                    dist: 0,
                    lits: node.lits + 1,
                    reps: node.reps,
                };
            }
            let cands = &mf.opt.cands;
            if let Some(&m) = cands.iter().max_by_key(|m| m.len) {
                if m.len >= SUFFICIENT || k + m.len > WINDOW {
                    taken = Some((k, m));
                    break;
                }
            }
            // Every length of every candidate (chain candidates from just past the previous one's
            // length: shorter lengths are served by a nearer copy at least as well).
            let mut covered = prices.min_new() - 1;
            for &c in cands {
                let from = match c.kind {
                    Kind::Delta(_) => MIN_DELTA,
                    // A distance on the stack: its DELTA candidate above tried every length.
                    _ if node.reps.contains(&c.dist) => c.len + 1,
                    _ => covered + 1,
                };
                for len in from..=c.len {
                    let m = match c.kind {
                        Kind::Delta(_) => Match { len, ..c },
                        _ => classify(len, c.dist, &node.reps),
                    };
                    let price = node.price + prices.copy(&m, input, p);
                    let to = &mut nodes[k + len];
                    if price < to.price {
                        let mut r = node.reps;
                        match m.kind {
                            Kind::Reference => push_offset(&mut r, m.dist),
                            Kind::Delta(s) => use_slot(&mut r, s),
                            Kind::Composite => {}
                        }
                        *to = Node {
                            price,
                            len: len as u32,
                            dist: m.dist as u32,
                            lits: 0,
                            reps: r,
                        };
                    }
                }
                if !matches!(c.kind, Kind::Delta(_)) {
                    covered = c.len;
                }
            }
            k += 1;
        }
        // Walk the cheapest path back from where the search stopped, then emit it forwards.
        path.clear();
        let mut j = k;
        while j > 0 {
            let node = nodes[j];
            if node.len == 0 {
                j -= 1;
            } else {
                let len = node.len as usize;
                j -= len;
                path.push((
                    i + j,
                    Match {
                        len,
                        dist: node.dist as usize,
                        kind: Kind::Reference,
                    },
                ));
            }
        }
        let taken = taken.map(|(k, m)| (i + k, m));
        for &(pos, m) in path.iter().rev().chain(taken.iter()) {
            e.literals(input, anchor, pos);
            // The offset stack here is the one the search priced this copy with.
            let m = classify(m.len, m.dist, &reps);
            prices.wrote(&input[anchor..pos], &m);
            e.copy(m, input, pos, &mut reps);
            if e.hopeless(base, n) {
                ok = false;
                break 'windows;
            }
            anchor = pos + m.len;
        }
        prices.window_done();
        i += k;
        if let Some((pos, m)) = taken {
            // The search linked positions up to `pos`; link those inside the copy too.
            tree_insert_match(input, pos, m.len, limit, mf);
            i = pos + m.len;
        }
    }
    mf.opt.nodes = nodes;
    mf.opt.path = path;
    if ok {
        e.literals(input, anchor, n);
    }
    ok && !e.hopeless(base, n)
}

#[cfg(test)]
mod tests {
    use crate::codec::{decode_payload, encode_payload, Layout, MatchFinder};

    /// Word salad with numbers: matches of many lengths and distances, repeated distances.
    fn text(n: usize, seed: u32) -> Vec<u8> {
        let words = [
            "sigma ", "glyph ", "segment ", "index ", "the ", "of ", "delta\n",
        ];
        let mut x = seed;
        let mut out = Vec::new();
        while out.len() < n {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            out.extend_from_slice(words[(x >> 16) as usize % words.len()].as_bytes());
            if x >> 28 == 0 {
                out.extend_from_slice(format!("{} ", x % 977).as_bytes());
            }
        }
        out.truncate(n);
        out
    }

    fn encode(data: &[u8], level: u8) -> Option<(Layout, Vec<u8>)> {
        let mut out = Vec::new();
        let layout = encode_payload(data, &mut MatchFinder::new(level), &mut out)?;
        let mut dec = Vec::new();
        decode_payload(&out, layout, &mut dec, data.len()).unwrap();
        assert!(dec == data, "level {level}: wrong output");
        Some((layout, out))
    }

    #[test]
    fn optimal_levels_roundtrip_across_windows_and_long_copies() {
        let mut long_run = text(20_000, 1);
        // A copy longer than a whole window, one just under the "take at once" length, and a
        // short-period run.
        long_run.extend(std::iter::repeat_n(b'z', 9000));
        long_run.extend_from_within(1000..1255);
        long_run.extend_from_slice(&b"abc".repeat(3000));
        long_run.extend_from_slice(&text(30_000, 2));
        for level in [8, 9] {
            for data in [text(100_000, 3), long_run.clone()] {
                let (layout, _) = encode(&data, level).expect("compressible");
                assert_eq!(layout, Layout::Sequences);
            }
            // So compressible that the plain layout is smaller than the five sections' headers.
            encode(&[0; 50_000], level).expect("compressible");
            // Incompressible input is stored; inputs too short to parse are stored too.
            let mut x = 99u64;
            let noise: Vec<u8> = (0..20_000)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            assert!(encode(&noise, level).is_none());
            for n in 0..40 {
                encode(&text(n, 4), level);
            }
        }
    }

    /// The binary trees against brute force: at every position, with no depth limit, the copies a
    /// walk reports are real and grow in length, the longest of those inside the trees' window is
    /// the longest copy of 4 bytes or more that starts there (none when there is none), and only
    /// the last one may start before the window. Data from a three-letter alphabet, so most
    /// positions have hundreds of earlier copies of every short length; once with a window wider
    /// than the data, once with 1 KiB.
    #[test]
    fn trees_find_the_longest_copy_in_their_window() {
        let data = crate::codec::lcg_bytes(5, 6000, b"abc");
        let n = data.len();
        for tree_log in [22, 10] {
            let mut mf = MatchFinder::new(9);
            mf.reset();
            mf.params.tree_log = tree_log;
            let window = (1usize << tree_log) - 1;
            for i in 0..n - 8 {
                let mut found = Vec::new();
                super::tree(&data, i, n, &mut mf, u32::MAX, |c, len| {
                    found.push((c, len))
                });
                for w in found.windows(2) {
                    assert!(w[0].1 < w[1].1, "lengths grow at {i}: {found:?}");
                }
                for (k, &(c, len)) in found.iter().enumerate() {
                    let real = super::common(&data, c, i, n);
                    assert!(c < i && real == len, "at {i}: {c} {len}");
                    assert!(i - c <= window || k + 1 == found.len(), "at {i}: {found:?}");
                }
                let inside = found.iter().filter(|f| i - f.0 <= window).map(|f| f.1);
                let longest = (i.saturating_sub(window)..i)
                    .map(|c| super::common(&data, c, i, n))
                    .max()
                    .filter(|&l| l >= 4);
                assert_eq!(inside.max(), longest, "at {i}, window {window}");
            }
        }
    }

    /// The point of the optimal parse: on text it beats the lazy parse of the chain levels, and
    /// level 9 is not worse than level 8.
    #[test]
    fn optimal_parse_is_smaller_than_the_lazy_parse() {
        let data = text(200_000, 5);
        let size = |level| encode(&data, level).unwrap().1.len();
        let (l7, l8, l9) = (size(7), size(8), size(9));
        assert!(l8 < l7, "level 8 {l8} vs level 7 {l7}");
        assert!(l9 <= l8, "level 9 {l9} vs level 8 {l8}");
    }
}
