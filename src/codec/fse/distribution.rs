//! Normalized distributions: how many of the `2^accuracy_log` table states each symbol owns.
//!
//! A probability is a count of states: `p >= 1` owns `p` states; `-1` ("less than 1") owns one
//! state at the end of the table and costs a full state reload; `0` is absent. The probabilities
//! of one distribution, with `-1` counted as 1, add up to exactly `2^accuracy_log`.

use super::{FseError, MAX_ACCURACY_LOG, MAX_SYMBOLS, MIN_ACCURACY_LOG};

/// A normalized distribution over symbols `0..=max_symbol` with its accuracy log.
///
/// Always valid: every constructor checks the sum, the range of the accuracy log and of every
/// probability. Holds no heap memory.
#[derive(Clone, PartialEq, Eq)]
pub struct Distribution {
    probs: [i16; MAX_SYMBOLS],
    /// Symbols described: `probs[len - 1]` is nonzero, `probs[len..]` are zero.
    len: u16,
    log: u8,
}

impl std::fmt::Debug for Distribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Distribution")
            .field("accuracy_log", &self.log)
            .field("probabilities", &self.probabilities())
            .finish()
    }
}

/// Index of the highest set bit of `x` (`x > 0`).
#[inline]
pub(super) fn highbit(x: u32) -> u32 {
    31 - x.leading_zeros()
}

/// Refuses accuracy logs outside `MIN_ACCURACY_LOG..=max`.
pub(super) fn check_log(log: u8, max: u8) -> Result<(), FseError> {
    if (MIN_ACCURACY_LOG..=max).contains(&log) {
        Ok(())
    } else {
        Err(FseError::AccuracyLog { log, max })
    }
}

impl Distribution {
    /// Checks and takes `probabilities` (symbol `s` at index `s`; trailing zeros are dropped) at
    /// accuracy log `log` (`MIN_ACCURACY_LOG..=MAX_ACCURACY_LOG`). Every value must be at least
    /// -1 and they must add up to `2^log`, counting -1 as 1.
    pub fn new(probabilities: &[i16], log: u8) -> Result<Self, FseError> {
        check_log(log, MAX_ACCURACY_LOG)?;
        let len = probabilities
            .iter()
            .rposition(|&p| p != 0)
            .map_or(0, |last| last + 1);
        if len > MAX_SYMBOLS {
            return Err(FseError::AlphabetTooLarge { symbols: len });
        }
        let mut total = 0u32;
        for (symbol, &probability) in probabilities[..len].iter().enumerate() {
            if probability < -1 {
                return Err(FseError::BadProbability {
                    symbol,
                    probability,
                });
            }
            total += u32::from(probability.unsigned_abs());
        }
        let expected = 1u32 << log;
        if total != expected {
            return Err(FseError::WrongTotal { total, expected });
        }
        let mut probs = [0i16; MAX_SYMBOLS];
        probs[..len].copy_from_slice(&probabilities[..len]);
        Ok(Self::from_parts(probs, len, log))
    }

    /// Assembles a distribution whose sum and ranges the caller has checked.
    pub(super) fn from_parts(probs: [i16; MAX_SYMBOLS], len: usize, log: u8) -> Self {
        debug_assert!((1..=MAX_SYMBOLS).contains(&len) && probs[len - 1] != 0);
        debug_assert_eq!(
            probs
                .iter()
                .map(|p| u32::from(p.unsigned_abs()))
                .sum::<u32>(),
            1u32 << log
        );
        Distribution {
            probs,
            len: len as u16,
            log,
        }
    }

    /// The distribution of the symbol counts `counts` (symbol `s` at index `s`; at most
    /// [`MAX_SYMBOLS`] symbols present) at accuracy log `log`
    /// (`MIN_ACCURACY_LOG..=MAX_ACCURACY_LOG`).
    ///
    /// Every symbol with a nonzero count gets at least one state: `-1` where its share of the
    /// table is under one state, a positive count otherwise; absent symbols get 0. A single
    /// present symbol gets the whole table (it then costs no bits per symbol). The states are
    /// shared out to minimise the coded size of `counts`: first each symbol's share rounded down,
    /// then, one state at a time, the states still free go to (or the states still missing come
    /// from) the symbols where that saves (costs) the most bits by a first-order estimate, ties
    /// to the lower symbol. Integer arithmetic only: the result is the same on every machine.
    ///
    /// Fails on a bad `log`, on no counted symbol, and on more present symbols than states.
    pub fn normalize(counts: &[u32], log: u8) -> Result<Self, FseError> {
        check_log(log, MAX_ACCURACY_LOG)?;
        let Some(last) = counts.iter().rposition(|&c| c != 0) else {
            return Err(FseError::NoSymbols);
        };
        let len = last + 1;
        if len > MAX_SYMBOLS {
            return Err(FseError::AlphabetTooLarge { symbols: len });
        }
        let counts = &counts[..len];
        let table = 1u64 << log;
        let present = counts.iter().filter(|&&c| c != 0).count();
        if present as u64 > table {
            return Err(FseError::TableTooSmall {
                symbols: present,
                log,
            });
        }
        let mut probs = [0i16; MAX_SYMBOLS];
        if present == 1 {
            probs[last] = table as i16;
            return Ok(Self::from_parts(probs, len, log));
        }
        let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
        let mut used = 0u64;
        for (p, &c) in probs.iter_mut().zip(counts) {
            if c == 0 {
                continue;
            }
            let scaled = u64::from(c) * table;
            let share = if scaled < total { 1 } else { scaled / total };
            *p = if scaled < total { -1 } else { share as i16 };
            used += share;
        }
        // Rounding down leaves fewer states free than there are symbols; the one state of each
        // "less than 1" symbol can overdraw by as many. Either way at most MAX_SYMBOLS steps.
        while used < table {
            // Adding a state to a symbol of count c and p states saves about c / (p + 1/2)
            // bits (the derivative of c * log(p) halfway): take the largest c / (2p + 1).
            let mut best = usize::MAX;
            for s in 0..len {
                if probs[s] >= 1
                    && (best == usize::MAX
                        || u64::from(counts[s]) * (2 * probs[best] as u64 + 1)
                            > u64::from(counts[best]) * (2 * probs[s] as u64 + 1))
                {
                    best = s;
                }
            }
            probs[best] += 1;
            used += 1;
        }
        while used > table {
            // Taking a state from p >= 2 costs about c / (p - 1/2): take the smallest
            // c / (2p - 1). Some symbol has two states, since there are no more symbols than
            // states.
            let mut best = usize::MAX;
            for s in 0..len {
                if probs[s] >= 2
                    && (best == usize::MAX
                        || u64::from(counts[s]) * (2 * probs[best] as u64 - 1)
                            < u64::from(counts[best]) * (2 * probs[s] as u64 - 1))
                {
                    best = s;
                }
            }
            probs[best] -= 1;
            used -= 1;
        }
        Ok(Self::from_parts(probs, len, log))
    }

    /// The accuracy log: the table has `2^accuracy_log` states.
    pub fn accuracy_log(&self) -> u8 {
        self.log
    }

    /// Number of table states, `2^accuracy_log`.
    pub fn table_size(&self) -> usize {
        1 << self.log
    }

    /// The probabilities of symbols `0..=max_symbol` (the last one is nonzero).
    pub fn probabilities(&self) -> &[i16] {
        &self.probs[..usize::from(self.len)]
    }

    /// The probability of `symbol` (0 for any symbol past `max_symbol`).
    pub fn probability(&self, symbol: usize) -> i16 {
        self.probs.get(symbol).copied().unwrap_or(0)
    }

    /// The highest symbol with a nonzero probability.
    pub fn max_symbol(&self) -> u8 {
        (self.len - 1) as u8
    }

    /// Bits that coding one `symbol` costs on average, in 1/256 bit: `256 * (log - log2(p))`,
    /// rounded up, with `-1` costing `log` bits; `None` for a symbol of probability 0.
    pub fn symbol_cost(&self, symbol: usize) -> Option<u32> {
        let log = u32::from(self.log);
        match self.probability(symbol) {
            0 => None,
            -1 => Some(log << 8),
            p => Some((log << 8) - log2_256(p as u32)),
        }
    }

    /// Estimated size in bits of the FSE-coded symbols of `counts` (symbol `s` at index `s`;
    /// extra bits and the final state not included), from [`Distribution::symbol_cost`]; `None`
    /// if a counted symbol has probability 0. For choosing between tables.
    pub fn cost_bits(&self, counts: &[u32]) -> Option<u64> {
        let mut total = 0u64;
        for (s, &c) in counts.iter().enumerate() {
            if c != 0 {
                total += u64::from(c) * u64::from(self.symbol_cost(s)?);
            }
        }
        Some(total.div_ceil(256))
    }
}

/// `log2(x)` in 1/256 units, rounded down (`x >= 1`): the integer part from the highest bit, eight
/// fraction bits by repeated squaring of the mantissa. Exact integer arithmetic, so the same
/// everywhere.
pub(super) fn log2_256(x: u32) -> u32 {
    let h = highbit(x);
    // The mantissa x / 2^h in [1, 2), as a 31-bit fraction in [2^31, 2^32).
    let mut m = u64::from(x) << (31 - h);
    let mut frac = 0;
    for bit in (0..8).rev() {
        m = (m * m) >> 31;
        if m >= 1 << 32 {
            m >>= 1;
            frac |= 1 << bit;
        }
    }
    (h << 8) | frac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(d: &Distribution) -> u32 {
        d.probabilities()
            .iter()
            .map(|p| u32::from(p.unsigned_abs()))
            .sum()
    }

    #[test]
    fn new_checks_everything() {
        assert!(Distribution::new(&[16, 16], 5).is_ok());
        assert_eq!(
            Distribution::new(&[16, 15], 5).unwrap_err(),
            FseError::WrongTotal {
                total: 31,
                expected: 32
            }
        );
        assert_eq!(
            Distribution::new(&[34, -2], 5).unwrap_err(),
            FseError::BadProbability {
                symbol: 1,
                probability: -2
            }
        );
        assert_eq!(
            Distribution::new(&[8, 8], 4).unwrap_err(),
            FseError::AccuracyLog { log: 4, max: 12 }
        );
        assert!(Distribution::new(&[1 << 13], 13).is_err());
        let d = Distribution::new(&[0, 31, -1, 0, 0], 5).unwrap();
        assert_eq!(d.probabilities(), &[0, 31, -1]);
        assert_eq!(d.max_symbol(), 2);
        assert_eq!(d.probability(300), 0);
        let mut big = vec![0i16; 300];
        big[299] = 32;
        assert_eq!(
            Distribution::new(&big, 5).unwrap_err(),
            FseError::AlphabetTooLarge { symbols: 300 }
        );
    }

    #[test]
    fn normalize_refusals() {
        assert_eq!(
            Distribution::normalize(&[0, 0], 6).unwrap_err(),
            FseError::NoSymbols
        );
        assert_eq!(
            Distribution::normalize(&[1; 33], 5).unwrap_err(),
            FseError::TableTooSmall {
                symbols: 33,
                log: 5
            }
        );
        assert!(Distribution::normalize(&[1; 32], 5).is_ok());
        assert_eq!(
            Distribution::normalize(&[1, 2], 13).unwrap_err(),
            FseError::AccuracyLog { log: 13, max: 12 }
        );
        let mut wide = vec![0u32; 400];
        wide[0] = 1;
        wide[256] = 1;
        assert!(Distribution::normalize(&wide, 9).is_err());
        wide[256] = 0;
        assert_eq!(Distribution::normalize(&wide, 9).unwrap().max_symbol(), 0);
    }

    #[test]
    fn single_symbol_owns_the_table() {
        for log in MIN_ACCURACY_LOG..=MAX_ACCURACY_LOG {
            let d = Distribution::normalize(&[0, 0, 7, 0], log).unwrap();
            assert_eq!(d.probabilities(), &[0, 0, 1 << log]);
        }
    }

    #[test]
    fn proportional_counts_are_kept_exactly() {
        let d = Distribution::normalize(&[300, 100, 0, 100, 100, 200], 6).unwrap();
        assert_eq!(d.probabilities(), &[24, 8, 0, 8, 8, 16]);
    }

    #[test]
    fn rare_symbols_get_less_than_one() {
        // 1 in 10^6 is far below one state of 32; it still gets its one state.
        let d = Distribution::normalize(&[1_000_000, 1, 999_999], 5).unwrap();
        assert_eq!(d.probabilities()[1], -1);
        assert_eq!(sum(&d), 32);
        // A share of exactly one state is a normal 1.
        let d = Distribution::normalize(&[31, 1], 5).unwrap();
        assert_eq!(d.probabilities(), &[31, 1]);
    }

    #[test]
    fn skewed_and_crowded_distributions_fit() {
        // One dominant symbol and 255 rare ones at the smallest table that holds them.
        let mut counts = [1u32; 256];
        counts[7] = u32::MAX;
        for log in 8..=12 {
            let d = Distribution::normalize(&counts, log).unwrap();
            assert_eq!(sum(&d), 1 << log);
            assert!(d.probabilities().iter().all(|&p| p != 0));
            assert_eq!(
                d.probabilities()[7],
                (1 << log) - 255,
                "all spare states go to the dominant symbol"
            );
        }
        // As many symbols as states: one each.
        let counts: Vec<u32> = (0..32).map(|i| 1 + i * 1000).collect();
        let d = Distribution::normalize(&counts, 5).unwrap();
        assert!(d.probabilities().iter().all(|&p| p == 1 || p == -1));
    }

    #[test]
    fn normalize_is_close_to_the_entropy() {
        // Geometric-ish counts over 40 symbols: the table's cost must be within 1% (plus a
        // few bits) of the Shannon bound at log 9, and no worse than at log 6.
        let counts: Vec<u32> = (0..40u32).map(|i| 100_000 >> (i / 3)).collect();
        let total: f64 = counts.iter().map(|&c| f64::from(c)).sum();
        let entropy: f64 = counts
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| -f64::from(c) * (f64::from(c) / total).log2())
            .sum();
        let d9 = Distribution::normalize(&counts, 9).unwrap();
        let d6 = Distribution::normalize(&counts, 6).unwrap();
        let c9 = d9.cost_bits(&counts).unwrap() as f64;
        let c6 = d6.cost_bits(&counts).unwrap() as f64;
        assert!(c9 <= entropy * 1.01 + 64.0, "{c9} vs {entropy}");
        assert!(c9 <= c6, "{c9} vs {c6}");
    }

    #[test]
    fn normalize_is_deterministic_and_valid_for_many_inputs() {
        let mut x = 12345u64;
        for round in 0..2000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let n = 1 + (x >> 33) as usize % 64;
            let log = MIN_ACCURACY_LOG + (x >> 20) as u8 % 8;
            let counts: Vec<u32> = (0..n)
                .map(|i| {
                    let y = (x ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) >> 17;
                    match y % 4 {
                        0 => 0,
                        1 => (y % 5) as u32,
                        2 => (y % 100_000) as u32,
                        _ => (y % 2_000_000_000) as u32,
                    }
                })
                .collect();
            let present = counts.iter().filter(|&&c| c > 0).count();
            match Distribution::normalize(&counts, log) {
                Ok(d) => {
                    assert_eq!(sum(&d), 1 << log, "round {round}");
                    for (s, &c) in counts.iter().enumerate() {
                        assert_eq!(c == 0, d.probability(s) == 0, "round {round} symbol {s}");
                    }
                    assert_eq!(Distribution::normalize(&counts, log).unwrap(), d);
                    assert_eq!(Distribution::new(d.probabilities(), log).unwrap(), d);
                }
                Err(e) => assert!(present == 0 || present > 1 << log, "{e:?}"),
            }
        }
    }

    #[test]
    fn log2_is_accurate() {
        for x in (1..5000u32).chain([65535, 1 << 20, u32::MAX]) {
            let want = (f64::from(x).log2() * 256.0).floor() as i64;
            let got = i64::from(log2_256(x));
            assert!((got - want).abs() <= 1, "log2({x}): {got} vs {want}");
        }
        assert_eq!(log2_256(1), 0);
        assert_eq!(log2_256(8), 3 << 8);
    }

    #[test]
    fn costs() {
        let d = Distribution::new(&[16, 8, 0, 7, -1], 5).unwrap();
        assert_eq!(d.symbol_cost(0), Some(256));
        assert_eq!(d.symbol_cost(1), Some(512));
        assert_eq!(d.symbol_cost(2), None);
        assert_eq!(d.symbol_cost(4), Some(5 * 256));
        assert_eq!(d.cost_bits(&[2, 1, 0, 0, 1]), Some(2 + 2 + 5));
        assert_eq!(d.cost_bits(&[1, 0, 1]), None);
    }
}
