//! The prices of format version 4's sequences, for the optimal parse of levels 8–9
//! ([`super::optimal`]), in 1/256 bit: what the literal section's Huffman code and the FSE tables
//! of the codes would charge under the statistics of the parse so far.
//!
//! The prices adapt as the parse goes. They start from the statistics of a first, lazy parse,
//! scaled down to a few thousand sequences; then every sequence the optimal parse writes is
//! counted, the prices are computed again after each window of the search, and the counts are
//! halved whenever they hold twice their memory. So the prices follow the optimal parse's own
//! choices (which differ from the lazy parse's: fewer literals, more short copies) and the local
//! statistics, as the coder does: it gives every group of [`GROUP`] sequences its own tables.

use super::collect::Collector;
use super::optimal::Price;
use super::{Kind, Match};
use crate::codec::fse::Distribution;
use crate::codec::huffman;
use crate::codec::sequences::{
    distance_code, length_code, Field, GROUP, LENGTH_CODES, MIN_MATCH, NEW_CODE, RUN_CODE,
};

/// Price units per bit.
const BIT: i64 = 256;

/// Sequences the code counts remember: one group's (between this and twice as many).
const MEMORY: u32 = GROUP as u32;
/// Literal bytes the literal counts remember (between this and twice as many). Local counts
/// price better than the whole segment's, although the section has one code for all of them.
const LIT_MEMORY: u32 = 4096;

/// Prices of literals and of each code (its extra bits included), and the counts they come from.
pub(super) struct SeqPrices {
    lit: [i64; 256],
    ll: [i64; 64],
    of: [i64; 64],
    ml: [i64; 64],
    /// Counts of the literal-length, offset and match-length codes.
    counts: [[u32; 64]; 3],
    /// Counts of the literal bytes.
    lit_counts: [u32; 256],
}

impl SeqPrices {
    /// The prices under the statistics of a parse collected in `c`.
    pub(super) fn of(c: &Collector) -> SeqPrices {
        let mut lit_counts = huffman::histogram(&c.lits);
        scale(&mut lit_counts, LIT_MEMORY);
        let mut counts = [[0u32; 64]; 3];
        for q in &c.seqs {
            for (f, (code, _, _)) in q.fields().into_iter().enumerate() {
                counts[f][usize::from(code)] += 1;
            }
        }
        for f in &mut counts {
            scale(f, MEMORY);
        }
        let mut p = SeqPrices {
            lit: [0; 256],
            ll: [0; 64],
            of: [0; 64],
            ml: [0; 64],
            counts,
            lit_counts,
        };
        p.refresh();
        p
    }

    /// Prices everything again from the counts, then halves the counts that hold more than
    /// twice their memory.
    fn refresh(&mut self) {
        let lens = huffman::code_lengths(&self.lit_counts.map(u64::from));
        self.lit = lens.map(|l| {
            if l == 0 {
                i64::from(huffman::MAX_BITS + 1) * BIT
            } else {
                i64::from(l) * BIT
            }
        });
        if self.lit_counts.iter().sum::<u32>() > 2 * LIT_MEMORY {
            halve(&mut self.lit_counts);
        }
        for f in Field::ALL {
            let table = match f {
                Field::LiteralLength => &mut self.ll,
                Field::Offset => &mut self.of,
                Field::MatchLength => &mut self.ml,
            };
            let counts = &self.counts[f as usize][..f.symbols()];
            let dist = Distribution::normalize(counts, f.max_log()).ok();
            // A code never counted costs more than any counted one.
            let unseen = i64::from(f.max_log() + 1) * BIT;
            for (code, price) in table.iter_mut().enumerate().take(f.symbols()) {
                let coded = dist
                    .as_ref()
                    .and_then(|d| d.symbol_cost(code))
                    .map_or(unseen, i64::from);
                let extra = match f {
                    Field::Offset => i64::from((code as u8).saturating_sub(NEW_CODE)),
                    _ => i64::from(LENGTH_CODES[code].1),
                };
                *price = coded + extra * BIT;
            }
        }
        if self.counts[Field::Offset as usize].iter().sum::<u32>() > 2 * MEMORY {
            for f in &mut self.counts {
                halve(f);
            }
        }
    }

    #[inline(always)]
    fn run(&self, n: usize) -> i64 {
        self.ll[usize::from(length_code(n as u32).0)]
    }
}

impl Price for SeqPrices {
    #[inline(always)]
    fn min_new(&self) -> usize {
        MIN_MATCH
    }

    #[inline(always)]
    fn literal(&self, byte: u8, n: usize) -> i64 {
        self.lit[usize::from(byte)] + self.run(n + 1) - self.run(n)
    }

    /// A copy pays the literal-length code of an empty run; the literals before it add the
    /// difference to their run's code, one by one ([`Price::literal`]).
    #[inline(always)]
    fn copy(&self, m: &Match, _input: &[u8], _pos: usize) -> i64 {
        self.run(0)
            + self.of[usize::from(offset_code(m))]
            + self.ml[usize::from(length_code((m.len - MIN_MATCH) as u32).0)]
    }

    fn wrote(&mut self, lits: &[u8], m: &Match) {
        for &b in lits {
            self.lit_counts[usize::from(b)] += 1;
        }
        self.counts[0][usize::from(length_code(lits.len() as u32).0)] += 1;
        self.counts[1][usize::from(offset_code(m))] += 1;
        self.counts[2][usize::from(length_code((m.len - MIN_MATCH) as u32).0)] += 1;
    }

    fn window_done(&mut self) {
        self.refresh();
    }
}

/// Scales `counts` down to about `total` in all, keeping every counted symbol (at least 1).
fn scale(counts: &mut [u32], total: u32) {
    let sum: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    if sum > u64::from(total) {
        for c in counts.iter_mut() {
            *c = (u64::from(*c) * u64::from(total) / sum) as u32 + u32::from(*c > 0);
        }
    }
}

/// Halves `counts`, keeping every counted symbol (at least 1).
fn halve(counts: &mut [u32]) {
    for c in counts.iter_mut() {
        *c = c.div_ceil(2);
    }
}

/// The offset code of copy `m`.
#[inline(always)]
fn offset_code(m: &Match) -> u8 {
    match m.kind {
        Kind::Delta(slot) => slot as u8,
        Kind::Composite => RUN_CODE + m.dist as u8 - 1,
        Kind::Reference => distance_code(m.dist as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::super::collect::Collector;
    use super::super::optimal::Price;
    use super::super::{Kind, Match};
    use super::SeqPrices;
    use crate::codec::sequences::{Seq, NEW_CODE};

    /// The prices follow what the parse writes: a code and a literal written often get cheaper,
    /// the codes no longer written dearer.
    #[test]
    fn prices_follow_the_written_sequences() {
        let mut c = Collector::default();
        c.lits = b"the first parse's literals, mostly letters".repeat(100);
        for i in 0..20_000u32 {
            c.seqs.push(Seq {
                lit_len: i % 7,
                match_len: 4 + i % 20,
                offset: u32::from(NEW_CODE) - 1 + 1000 + i,
            });
        }
        let mut p = SeqPrices::of(&c);
        let rep = Match {
            len: 3,
            dist: 1,
            kind: Kind::Delta(0),
        };
        let far = Match {
            len: 10,
            dist: 5000,
            kind: Kind::Reference,
        };
        let (rep0, far0, z0) = (
            p.copy(&rep, &[], 0),
            p.copy(&far, &[], 0),
            p.literal(b'z', 0),
        );
        for _ in 0..20 {
            for _ in 0..1000 {
                p.wrote(b"z", &rep);
            }
            p.window_done();
        }
        assert!(
            p.copy(&rep, &[], 0) < rep0 / 2,
            "{} vs {rep0}",
            p.copy(&rep, &[], 0)
        );
        assert!(
            p.copy(&far, &[], 0) > far0,
            "{} vs {far0}",
            p.copy(&far, &[], 0)
        );
        assert!(p.literal(b'z', 0) < z0, "{} vs {z0}", p.literal(b'z', 0));
    }
}
