//! Decoding and encoding tables built from a [`Distribution`] (RFC 8878 section 4.1.1, "From
//! normalized distribution to decoding tables").
//!
//! Spreading: "less than 1" symbols take one state each from the end of the table backwards, in
//! symbol order. The other symbols, in symbol order, take their states one at a time at a
//! position that starts at 0 and advances by `(size >> 1) + (size >> 3) + 3` modulo the table
//! size, skipping the states taken from the end. The step is odd and the size a power of two,
//! so the walk visits every state once.
//!
//! Each state then decodes its symbol and moves on by reading bits: the `k`-th state of a symbol
//! of probability `p` (in increasing state order, `k` from 0) is given the number `x = p + k`,
//! reads `nb = log - floor(log2(x))` bits and adds them to `baseline = (x << nb) - size`. The
//! `p` ranges `baseline .. baseline + 2^nb` of one symbol tile `0..size` exactly: the lower
//! states get the wider ranges (one bit more) and the higher states the ranges starting at 0.
//!
//! The encoder runs that backwards. Its state is a table state plus `size` (so it lies in
//! `size..2 * size`); to code symbol `s` from state `y` it writes the low `nb` bits of `y`, where
//! `nb` makes `y >> nb` fall in `p..2p`, and goes to the state numbered `y >> nb` among those of
//! `s`. `nb` is one of two values, found without a branch from a per-symbol constant.

use super::distribution::highbit;
use super::{Distribution, MAX_SYMBOLS, MAX_TABLE_SIZE};

/// Index mask of the fixed-size table arrays. States are always below the table size; masking
/// with the array's own size lets the compiler drop the bounds checks of the hot paths.
pub(super) const TABLE_MASK: usize = MAX_TABLE_SIZE - 1;

/// One state of a decoding table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeCell {
    /// The next state before the bits read are added.
    pub baseline: u16,
    /// The symbol this state decodes.
    pub symbol: u8,
    /// Bits to read for the next state.
    pub nb_bits: u8,
}

/// Writes the spread of `dist` into `symbols[..2^log]`: the symbol of each state.
fn spread(dist: &Distribution, symbols: &mut [u8; MAX_TABLE_SIZE]) {
    let size = dist.table_size();
    let mask = size - 1;
    // States `high..size` go to the "less than 1" symbols (all of them, if every symbol is one).
    let mut high = size;
    for (s, &p) in dist.probabilities().iter().enumerate() {
        if p == -1 {
            high -= 1;
            symbols[high] = s as u8;
        }
    }
    let step = (size >> 1) + (size >> 3) + 3;
    let mut pos = 0;
    for (s, &p) in dist.probabilities().iter().enumerate() {
        for _ in 0..p.max(0) {
            symbols[pos] = s as u8;
            // The positive probabilities add up to `high`, so states below it remain until the
            // last one is placed.
            pos = (pos + step) & mask;
            while pos >= high {
                pos = (pos + step) & mask;
            }
        }
    }
    debug_assert_eq!(pos, 0, "the walk ends where it began");
}

/// States owned by a symbol of probability `p`.
fn states_of(p: i16) -> u32 {
    u32::from(p.unsigned_abs())
}

/// A decoding table: symbol, bits to read and baseline of every state.
///
/// Holds room for the largest table ([`MAX_ACCURACY_LOG`](super::MAX_ACCURACY_LOG)) so that
/// [`DecodeTable::rebuild`] never allocates; only the first `2^accuracy_log` cells are used (and
/// touched).
#[derive(Clone)]
pub struct DecodeTable {
    log: u8,
    cells: Box<[DecodeCell; MAX_TABLE_SIZE]>,
}

impl std::fmt::Debug for DecodeTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodeTable")
            .field("accuracy_log", &self.log)
            .field("cells", &self.cells())
            .finish()
    }
}

impl DecodeTable {
    /// The decoding table of `dist`.
    pub fn new(dist: &Distribution) -> Self {
        let mut t = Self::empty();
        t.rebuild(dist);
        t
    }

    /// A table of one state that decodes `symbol` forever and reads no bits (accuracy log 0;
    /// for a run-length mode).
    pub fn rle(symbol: u8) -> Self {
        let mut t = Self::empty();
        t.set_rle(symbol);
        t
    }

    /// Room for any table; one state that decodes symbol 0.
    fn empty() -> Self {
        DecodeTable {
            log: 0,
            cells: Box::new([DecodeCell::default(); MAX_TABLE_SIZE]),
        }
    }

    /// Makes this the decoding table of `dist`, reusing the memory.
    pub fn rebuild(&mut self, dist: &Distribution) {
        let log = dist.accuracy_log();
        let size = 1u32 << log;
        let mut symbols = [0u8; MAX_TABLE_SIZE];
        spread(dist, &mut symbols);
        // The number each symbol's next state gets: p, p + 1, ... (1 for "less than 1").
        let mut next = [0u32; MAX_SYMBOLS];
        for (n, &p) in next.iter_mut().zip(dist.probabilities()) {
            *n = states_of(p);
        }
        for (cell, &s) in self.cells.iter_mut().zip(&symbols[..size as usize]) {
            let x = next[usize::from(s)];
            next[usize::from(s)] = x + 1;
            let nb = u32::from(log) - highbit(x);
            *cell = DecodeCell {
                baseline: ((x << nb) - size) as u16,
                symbol: s,
                nb_bits: nb as u8,
            };
        }
        self.log = log;
    }

    /// Makes this the one-state table of [`DecodeTable::rle`].
    pub fn set_rle(&mut self, symbol: u8) {
        self.log = 0;
        self.cells[0] = DecodeCell {
            baseline: 0,
            symbol,
            nb_bits: 0,
        };
    }

    /// The accuracy log: the initial state takes this many bits.
    pub fn accuracy_log(&self) -> u8 {
        self.log
    }

    /// The `2^accuracy_log` cells, by state (for callers that derive their own tables, such as
    /// a sequence decoder that folds each symbol's baseline value and extra bits into the cell).
    pub fn cells(&self) -> &[DecodeCell] {
        &self.cells[..1 << self.log]
    }

    /// The cell of `state` (masked into the table).
    #[inline(always)]
    pub(super) fn cell(&self, state: usize) -> DecodeCell {
        self.cells[state & TABLE_MASK]
    }
}

/// How to code one symbol: see the module comment.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct SymbolTransform {
    /// `(max_bits << 16) - (p << max_bits)`: `(y + this) >> 16` is the bits to write from `y`.
    pub(super) delta_nb_bits: u32,
    /// Added to `y >> nb` (which lies in `p..2p`) to index the symbol's states in `next_state`.
    pub(super) delta_find_state: i32,
    /// Index of the symbol's lowest state in `next_state`.
    pub(super) first: u16,
    /// States the symbol owns (0: cannot be coded).
    pub(super) states: u16,
}

/// An encoding table: per symbol the constants of its coding step, and the encoder states
/// (`size + state`) of each symbol in increasing order, symbol after symbol.
///
/// Like [`DecodeTable`] it holds room for the largest table; [`EncodeTable::rebuild`] never
/// allocates.
///
/// The arrays are inline (11 KiB): a coder of several fields keeps its tables side by side in one
/// allocation, and reaches them all from one address.
#[derive(Clone)]
pub struct EncodeTable {
    log: u8,
    pub(super) coding: Coding,
}

/// An encoding table's arrays: a coder reaches both from one address.
#[derive(Clone)]
pub(super) struct Coding {
    pub(super) transforms: [SymbolTransform; MAX_SYMBOLS],
    pub(super) next_state: [u16; MAX_TABLE_SIZE],
}

impl std::fmt::Debug for EncodeTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodeTable")
            .field("accuracy_log", &self.log)
            .finish_non_exhaustive()
    }
}

impl EncodeTable {
    /// The encoding table of `dist`.
    pub fn new(dist: &Distribution) -> Self {
        let mut t = Self::empty();
        t.rebuild(dist);
        t
    }

    /// The encoding side of [`DecodeTable::rle`]: codes only `symbol`, in no bits at all.
    pub fn rle(symbol: u8) -> Self {
        let mut t = Self::empty();
        t.set_rle(symbol);
        t
    }

    /// Room for any table; no symbol can be coded.
    fn empty() -> Self {
        EncodeTable {
            log: 0,
            coding: Coding {
                transforms: [SymbolTransform::default(); MAX_SYMBOLS],
                next_state: [0; MAX_TABLE_SIZE],
            },
        }
    }

    /// Makes this the encoding table of `dist`, reusing the memory.
    pub fn rebuild(&mut self, dist: &Distribution) {
        let log = u32::from(dist.accuracy_log());
        let size = 1u32 << log;
        let mut symbols = [0u8; MAX_TABLE_SIZE];
        spread(dist, &mut symbols);
        let mut fill = [0u16; MAX_SYMBOLS];
        let mut first = 0u32;
        self.coding.transforms.fill(SymbolTransform::default());
        for (s, &p) in dist.probabilities().iter().enumerate() {
            let p32 = states_of(p);
            if p32 == 0 {
                continue;
            }
            // The most bits this symbol ever writes: `y >> max_bits` must reach p from the top
            // of the range, i.e. p << max_bits <= 2 * size.
            let max_bits = if p32 == 1 {
                log
            } else {
                log - highbit(p32 - 1)
            };
            self.coding.transforms[s] = SymbolTransform {
                delta_nb_bits: (max_bits << 16) - (p32 << max_bits),
                delta_find_state: first as i32 - p32 as i32,
                first: first as u16,
                states: p32 as u16,
            };
            fill[s] = first as u16;
            first += p32;
        }
        for (state, &s) in symbols[..size as usize].iter().enumerate() {
            let slot = &mut fill[usize::from(s)];
            self.coding.next_state[usize::from(*slot)] = (size as usize + state) as u16;
            *slot += 1;
        }
        self.log = log as u8;
    }

    /// Makes this the table of [`EncodeTable::rle`].
    pub fn set_rle(&mut self, symbol: u8) {
        self.log = 0;
        self.coding.transforms.fill(SymbolTransform::default());
        // One state, y = 1: writes 0 bits and stays (1 >> 0) - 1 + 0 = index 0.
        self.coding.transforms[usize::from(symbol)] = SymbolTransform {
            delta_nb_bits: 0,
            delta_find_state: -1,
            first: 0,
            states: 1,
        };
        self.coding.next_state[0] = 1;
    }

    /// The accuracy log: the final state takes this many bits.
    pub fn accuracy_log(&self) -> u8 {
        self.log
    }

    /// Whether `symbol` has a nonzero probability, i.e. can be coded with this table.
    pub fn can_encode(&self, symbol: u8) -> bool {
        self.coding.transforms[usize::from(symbol)].states != 0
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::MAX_ACCURACY_LOG;
    use super::*;

    /// The worked example of RFC 8878 section 4.1.1: a symbol of probability 5 at accuracy log 7
    /// gets widths 32, 32, 32, 16, 16 (bits 5, 5, 5, 4, 4) and baselines 32, 64, 96, 0, 16 for
    /// its states in increasing order.
    #[test]
    fn rfc_example_of_one_symbol() {
        let d = Distribution::new(&[5, 123], 7).unwrap();
        let t = DecodeTable::new(&d);
        let mine: Vec<DecodeCell> = t
            .cells()
            .iter()
            .copied()
            .filter(|c| c.symbol == 0)
            .collect();
        let bits: Vec<u8> = mine.iter().map(|c| c.nb_bits).collect();
        let base: Vec<u16> = mine.iter().map(|c| c.baseline).collect();
        assert_eq!(bits, [5, 5, 5, 4, 4]);
        assert_eq!(base, [32, 64, 96, 0, 16]);
    }

    /// Checks a decoding table against its distribution: every symbol owns as many states as
    /// its probability, "less than 1" symbols sit at the end in symbol order and read a whole
    /// state, and each symbol's ranges tile `0..size` exactly.
    pub(in super::super) fn check_decode_table(d: &Distribution, t: &DecodeTable) {
        let size = d.table_size();
        assert_eq!(t.cells().len(), size);
        let lows: Vec<usize> = (0..d.probabilities().len())
            .filter(|&s| d.probability(s) == -1)
            .collect();
        for (k, &s) in lows.iter().enumerate() {
            let c = t.cells()[size - 1 - k];
            assert_eq!(
                c,
                DecodeCell {
                    baseline: 0,
                    symbol: s as u8,
                    nb_bits: d.accuracy_log()
                }
            );
        }
        for (s, &p) in d.probabilities().iter().enumerate() {
            let mut covered = vec![false; size];
            let mut owned = 0;
            for c in t.cells().iter().filter(|c| usize::from(c.symbol) == s) {
                owned += 1;
                let lo = usize::from(c.baseline);
                for x in &mut covered[lo..lo + (1 << c.nb_bits)] {
                    assert!(!*x, "symbol {s}: ranges overlap");
                    *x = true;
                }
            }
            assert_eq!(owned, states_of(p) as usize, "symbol {s}");
            if p != 0 {
                assert!(covered.iter().all(|&x| x), "symbol {s}: ranges leave a gap");
            }
        }
    }

    /// Every (state, symbol) step of the encoder lands on a state of that symbol whose decoding
    /// gives the encoder's state back from the bits written.
    pub(in super::super) fn check_encode_table(
        d: &Distribution,
        enc: &EncodeTable,
        dec: &DecodeTable,
    ) {
        let size = d.table_size() as u32;
        for s in 0..=d.max_symbol() {
            assert_eq!(enc.can_encode(s), d.probability(usize::from(s)) != 0);
            if !enc.can_encode(s) {
                continue;
            }
            let tr = enc.coding.transforms[usize::from(s)];
            for y in size..2 * size {
                let nb = (y + tr.delta_nb_bits) >> 16;
                let idx = ((y >> nb) as i32 + tr.delta_find_state) as usize;
                assert!(idx >= usize::from(tr.first) && idx < usize::from(tr.first + tr.states));
                let next = u32::from(enc.coding.next_state[idx]);
                assert!((size..2 * size).contains(&next));
                let cell = dec.cells()[(next - size) as usize];
                assert_eq!(cell.symbol, s);
                assert_eq!(u32::from(cell.nb_bits), nb, "symbol {s} from {y}");
                assert_eq!(u32::from(cell.baseline) + (y & ((1 << nb) - 1)), y - size);
            }
        }
    }

    #[test]
    fn tables_agree_for_many_distributions() {
        let mut dists = vec![
            Distribution::new(&[32], 5).unwrap(),
            Distribution::new(&[31, -1], 5).unwrap(),
            Distribution::new(&[-1, 30, -1], 5).unwrap(),
            Distribution::new(&[1; 64], 6).unwrap(),
            Distribution::new(&[-1; 32], 5).unwrap(),
            Distribution::new(&[4095, 1], 12).unwrap(),
            Distribution::new(&[2048, 0, 0, 2048], 12).unwrap(),
        ];
        let counts: Vec<u32> = (0..256u32).map(|i| (i * i * 7 + 3) % 1001).collect();
        for log in MIN_LOG_FOR_256..=MAX_ACCURACY_LOG {
            dists.push(Distribution::normalize(&counts, log).unwrap());
        }
        for d in &dists {
            let dec = DecodeTable::new(d);
            check_decode_table(d, &dec);
            check_encode_table(d, &EncodeTable::new(d), &dec);
        }
    }

    const MIN_LOG_FOR_256: u8 = 8;

    #[test]
    fn rebuild_replaces_a_larger_table() {
        let big = Distribution::normalize(&[5, 9, 1, 1, 1, 1, 1, 70], 12).unwrap();
        let small = Distribution::new(&[-1, 30, -1], 5).unwrap();
        let mut dec = DecodeTable::new(&big);
        let mut enc = EncodeTable::new(&big);
        dec.rebuild(&small);
        enc.rebuild(&small);
        assert_eq!(dec.cells(), DecodeTable::new(&small).cells());
        check_decode_table(&small, &dec);
        check_encode_table(&small, &enc, &dec);
        assert!(!enc.can_encode(7));
    }

    #[test]
    fn rle_tables() {
        let dec = DecodeTable::rle(9);
        assert_eq!(dec.accuracy_log(), 0);
        assert_eq!(
            dec.cells(),
            &[DecodeCell {
                baseline: 0,
                symbol: 9,
                nb_bits: 0
            }]
        );
        let enc = EncodeTable::rle(9);
        assert!(enc.can_encode(9) && !enc.can_encode(0));
    }
}
