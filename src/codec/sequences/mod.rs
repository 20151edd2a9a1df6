//! The sequences layout of format version 4 (docs/FORMAT.md, "Sequences layout").
//!
//! A segment is a literal section and a list of *sequences*: each one is a run of literals, then
//! a copy. The copy's source is a repeated distance from the offset stack (DELTA), a run of period
//! 1–4 that leaves the stack alone (COMPOSITE) or a new distance (REFERENCE). After the last
//! sequence the rest of the literals follow as they are.
//!
//! Each sequence is three codes — literal length, offset, match length — with extra bits; the
//! codes are FSE-coded ([`super::fse`]) in groups of [`GROUP`] sequences, each group with its own
//! tables (predefined, a single symbol, described, or the previous group's) and its own backward
//! bitstream. This module holds the code tables the specification gives; [`write`](mod@write)
//! builds the layout, [`read`] decodes it.

#[cfg(test)]
mod layout_tests;
pub(crate) mod read;
pub(crate) mod write;

use super::fse::Distribution;
use std::hint::select_unpredictable;

/// Shortest copy of every kind.
pub(crate) const MIN_MATCH: usize = 3;
/// Sequences per group (the last group of a segment may have fewer).
pub(crate) const GROUP: usize = 4096;

/// Literal-length and match-length codes: 0–63.
pub(crate) const LENGTH_SYMBOLS: usize = 64;
/// Offset codes: 0–3 repeat, 4–7 run, 8–35 new distance of 0–27 extra bits.
pub(crate) const OFFSET_SYMBOLS: usize = 36;
/// The first offset code of a run (period 1).
pub(crate) const RUN_CODE: u8 = 4;
/// The first offset code of a new distance (distance 1).
pub(crate) const NEW_CODE: u8 = 8;

/// The fields of a sequence in table order: literal length, offset, match length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    LiteralLength = 0,
    Offset = 1,
    MatchLength = 2,
}

impl Field {
    pub(crate) const ALL: [Field; 3] = [Field::LiteralLength, Field::Offset, Field::MatchLength];

    /// Largest accuracy log of a described table.
    pub(crate) fn max_log(self) -> u8 {
        match self {
            Field::Offset => 8,
            _ => 9,
        }
    }

    /// Size of the alphabet.
    pub(crate) fn symbols(self) -> usize {
        match self {
            Field::Offset => OFFSET_SYMBOLS,
            _ => LENGTH_SYMBOLS,
        }
    }

    /// The name used in error messages and docs/FORMAT.md.
    pub(crate) fn name(self) -> &'static str {
        ["literal-length", "offset", "match-length"][self as usize]
    }

    /// The predefined distribution of this field (table mode 0).
    pub(crate) fn predefined(self) -> &'static Distribution {
        use std::sync::OnceLock;
        static TABLES: [OnceLock<Distribution>; 3] =
            [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        TABLES[self as usize].get_or_init(|| {
            let (probs, log): (&[i16], u8) = match self {
                Field::LiteralLength => (&LITERAL_LENGTH_PREDEFINED, PREDEFINED_LOG),
                Field::Offset => (&OFFSET_PREDEFINED, PREDEFINED_LOG),
                Field::MatchLength => (&MATCH_LENGTH_PREDEFINED, PREDEFINED_LOG),
            };
            Distribution::new(probs, log).expect("the predefined distributions are valid")
        })
    }
}

/// Accuracy log of the predefined distributions.
pub(crate) const PREDEFINED_LOG: u8 = 6;

/// Predefined literal-length distribution (codes 0–63, 64 states).
pub(crate) const LITERAL_LENGTH_PREDEFINED: [i16; 30] = [
    12, 6, 5, 4, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, //
    2, 2, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1,
];

/// Predefined offset distribution (codes 0–35, 64 states).
pub(crate) const OFFSET_PREDEFINED: [i16; 34] = [
    8, 3, 2, 2, 2, 1, -1, -1, //
    -1, -1, -1, -1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 1, 1, 1, 2, 2, 2, 1, 1, 1, -1, -1,
];

/// Predefined match-length distribution (codes 0–63, 64 states).
pub(crate) const MATCH_LENGTH_PREDEFINED: [i16; 32] = [
    7, 8, 6, 5, 4, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1, //
    1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
];

/// The code of a literal length or of a match length less [`MIN_MATCH`] (`v < 2^28`), with the
/// number of extra bits that follow it: `v` itself below 16, else two codes per power of two.
#[inline(always)]
pub(crate) fn length_code(v: u32) -> (u8, u32) {
    // Most lengths are below 64, where a table answers without a hard-to-predict branch at 16.
    if v < 64 {
        let c = SMALL_LENGTH_CODES[v as usize];
        return (c, u32::from(LENGTH_CODES[usize::from(c) & 63].1));
    }
    let b = 31 - v.leading_zeros();
    let half = (v >> (b - 1)) & 1;
    ((2 * b + 8 + half) as u8, b - 1)
}

/// [`length_code`] of the values below 64.
const SMALL_LENGTH_CODES: [u8; 64] = {
    let mut t = [0u8; 64];
    let mut c = 0;
    while c < LENGTH_SYMBOLS {
        let (base, bits) = LENGTH_CODES[c];
        let mut v = base;
        while v < 64 && v < base + (1 << bits) {
            t[v as usize] = c as u8;
            v += 1;
        }
        c += 1;
    }
    t
};

/// Baseline and extra bits of each length code ([`length_code`] backwards).
pub(crate) const LENGTH_CODES: [(u32, u8); LENGTH_SYMBOLS] = {
    let mut t = [(0u32, 0u8); LENGTH_SYMBOLS];
    let mut c = 0;
    while c < LENGTH_SYMBOLS {
        t[c] = if c < 16 {
            (c as u32, 0)
        } else {
            let b = 4 + (c as u32 - 16) / 2;
            let half = (c as u32 - 16) % 2;
            ((1 << b) | (half << (b - 1)), (b - 1) as u8)
        };
        c += 1;
    }
    t
};

/// The offset code of a new distance `d >= 1`, whose extra bits number `code - NEW_CODE`.
#[inline(always)]
pub(crate) fn distance_code(d: u32) -> u8 {
    NEW_CODE + (31 - d.leading_zeros()) as u8
}

/// A sequence as the encoder collects it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seq {
    /// Literals before the copy.
    pub lit_len: u32,
    /// Bytes copied, at least [`MIN_MATCH`].
    pub match_len: u32,
    /// The offset code below [`NEW_CODE`], or `NEW_CODE - 1 + distance` for a new distance.
    pub offset: u32,
}

impl Seq {
    /// The sequence's three codes in table order (literal length, offset, match length), each
    /// with its extra bits: `(code, value, count)`.
    #[inline(always)]
    pub(crate) fn fields(&self) -> [(u8, u32, u32); 3] {
        let (ll, ll_bits) = length_code(self.lit_len);
        let m = self.match_len - MIN_MATCH as u32;
        let (ml, ml_bits) = length_code(m);
        [
            (
                ll,
                self.lit_len - LENGTH_CODES[usize::from(ll) & 63].0,
                ll_bits,
            ),
            self.offset_code(),
            (ml, m - LENGTH_CODES[usize::from(ml) & 63].0, ml_bits),
        ]
    }

    /// The offset code and its extra bits (value, count).
    #[inline(always)]
    pub(crate) fn offset_code(&self) -> (u8, u32, u32) {
        // Both answers computed and one selected, without a branch on which (as hard to predict
        // as the data): a repeat or run code has no extra bits.
        let rep = self.offset < u32::from(NEW_CODE);
        let d = self.offset.max(u32::from(NEW_CODE)) - u32::from(NEW_CODE) + 1;
        let new = distance_code(d);
        let code = select_unpredictable(rep, self.offset as u8, new);
        let bits = select_unpredictable(rep, 0, u32::from(new - NEW_CODE));
        (code, d - (1 << bits), bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_codes_cover_every_value_once() {
        for v in (0..70_000u32).chain([1 << 20, (1 << 28) - 1, 123_456_789]) {
            let (c, bits) = length_code(v);
            let (base, nb) = LENGTH_CODES[usize::from(c)];
            assert_eq!(u32::from(nb), bits, "value {v}");
            assert!(base <= v && v - base < 1 << bits, "value {v} code {c}");
            if bits == 0 {
                assert_eq!(base, v);
            }
        }
        assert_eq!(length_code((1 << 28) - 1).0, 63);
        // Consecutive codes tile the values without a gap.
        for c in 1..LENGTH_SYMBOLS {
            let (b0, n0) = LENGTH_CODES[c - 1];
            assert_eq!(LENGTH_CODES[c].0, b0 + (1 << n0), "code {c}");
        }
    }

    #[test]
    fn offset_codes() {
        assert_eq!(distance_code(1), NEW_CODE);
        assert_eq!(distance_code(2), NEW_CODE + 1);
        assert_eq!(distance_code((1 << 28) - 1), NEW_CODE + 27);
        assert!(usize::from(NEW_CODE + 27) < OFFSET_SYMBOLS);
        let s = Seq {
            lit_len: 0,
            match_len: 3,
            offset: u32::from(NEW_CODE) - 1 + 1000,
        };
        assert_eq!(s.offset_code(), (NEW_CODE + 9, 1000 - 512, 9));
        // Repeat and run codes carry no extra bits; new distances from 1 up to the largest.
        for offset in 0..u32::from(NEW_CODE) {
            let s = Seq { offset, ..s };
            assert_eq!(s.offset_code(), (offset as u8, 0, 0));
        }
        for d in [1u32, 2, 3, 4, 7, 8, 255, 256, 65_535, (1 << 28) - 1] {
            let s = Seq {
                offset: u32::from(NEW_CODE) - 1 + d,
                ..s
            };
            let bits = 31 - d.leading_zeros();
            assert_eq!(s.offset_code(), (distance_code(d), d - (1 << bits), bits));
        }
    }

    #[test]
    fn predefined_tables_are_valid() {
        for f in Field::ALL {
            let d = f.predefined();
            assert!(usize::from(d.max_symbol()) < f.symbols());
            assert!(d.accuracy_log() <= f.max_log());
        }
    }
}
