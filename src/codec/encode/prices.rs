//! The prices of format version 4's sequences, for the optimal parse of levels 8–9
//! ([`super::optimal`]): what the literal section's Huffman code and the FSE tables of a first
//! parse's statistics would charge, in 1/256 bit.

use super::collect::Collector;
use super::optimal::Price;
use super::{Kind, Match};
use crate::codec::fse::Distribution;
use crate::codec::huffman;
use crate::codec::sequences::{
    distance_code, length_code, Field, LENGTH_CODES, MIN_MATCH, NEW_CODE, RUN_CODE,
};

/// Price units per bit.
const BIT: i64 = 256;

/// Prices of literals and of each code (its extra bits included).
pub(super) struct SeqPrices {
    lit: [i64; 256],
    ll: [i64; 64],
    of: [i64; 64],
    ml: [i64; 64],
}

impl SeqPrices {
    /// The prices under the statistics of a parse collected in `c`.
    pub(super) fn of(c: &Collector) -> SeqPrices {
        let lens = huffman::code_lengths(&huffman::histogram(&c.lits).map(u64::from));
        let lit = lens.map(|l| {
            if l == 0 {
                i64::from(huffman::MAX_BITS + 1) * BIT
            } else {
                i64::from(l) * BIT
            }
        });
        let mut counts = [[0u32; 64]; 3];
        for q in &c.seqs {
            for (f, (code, _, _)) in q.fields().into_iter().enumerate() {
                counts[f][usize::from(code)] += 1;
            }
        }
        let mut p = SeqPrices {
            lit,
            ll: [0; 64],
            of: [0; 64],
            ml: [0; 64],
        };
        for f in Field::ALL {
            let table = match f {
                Field::LiteralLength => &mut p.ll,
                Field::Offset => &mut p.of,
                Field::MatchLength => &mut p.ml,
            };
            let counts = &counts[f as usize][..f.symbols()];
            let dist = Distribution::normalize(counts, f.max_log()).ok();
            // A code the first parse never used costs more than any it did.
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
        p
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
        let of = match m.kind {
            Kind::Delta(slot) => self.of[slot],
            Kind::Composite => self.of[usize::from(RUN_CODE) + m.dist - 1],
            Kind::Reference => self.of[usize::from(distance_code(m.dist as u32))],
        };
        self.run(0) + of + self.ml[usize::from(length_code((m.len - MIN_MATCH) as u32).0)]
    }
}
