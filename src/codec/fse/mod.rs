//! Table-based asymmetric numeral systems ("finite state entropy", FSE) for the sequence fields
//! of format version 4, after the mechanics that RFC 8878 (Zstandard) section 4.1 specifies.
//! No format version written or read today uses it: it is the entropy stage that version 4's
//! sequence sections are being built on (docs/perf-log.md, twelfth session).
//!
//! * [`Distribution`]: a normalized distribution, made from symbol counts
//!   ([`Distribution::normalize`]), given ([`Distribution::new`], the predefined ones below) or
//!   read from a table description ([`Distribution::read`]; [`Distribution::write`] writes one).
//! * [`DecodeTable`] / [`EncodeTable`]: the state tables of a distribution.
//! * [`BitWriter`] / [`BitReader`]: a backward bitstream, shared by any number of states and raw
//!   fields. Both work in groups of at most [`MAX_FIELD_BITS`] bits: the reader refills once per
//!   group, the writer flushes once per group where the caller uses the `_unflushed` calls.
//! * [`EncoderState`] / [`DecoderState`]: one FSE state on a stream.
//!
//! Two states with their own tables and a raw field per step, in one stream:
//!
//! ```
//! use sigmalang::codec::fse::*;
//!
//! let a: Vec<u8> = (0..1000u32).map(|i| (i * i % 7) as u8).collect();
//! let b: Vec<u8> = (0..1000u32).map(|i| (i % 3) as u8).collect();
//! let count = |s: &[u8]| {
//!     let mut c = [0u32; 8];
//!     s.iter().for_each(|&x| c[usize::from(x)] += 1);
//!     c
//! };
//! let (da, db) = (
//!     Distribution::normalize(&count(&a), 6).unwrap(),
//!     Distribution::normalize(&count(&b), 5).unwrap(),
//! );
//!
//! // Encode last to first; per step: raw field, then b, then a (the decoder reads a, b, raw).
//! let (ea, eb) = (EncodeTable::new(&da), EncodeTable::new(&db));
//! let mut w = BitWriter::new();
//! let n = a.len();
//! let (mut sa, mut sb) = (EncoderState::new(&ea, a[n - 1]), EncoderState::new(&eb, b[n - 1]));
//! w.write(n as u64 - 1, 11);
//! for i in (0..n - 1).rev() {
//!     w.write(i as u64, 11);
//!     sb.encode(&mut w, b[i]);
//!     sa.encode(&mut w, a[i]);
//! }
//! sb.flush(&mut w);
//! sa.flush(&mut w);
//! let stream = w.finish();
//!
//! let (ta, tb) = (DecodeTable::new(&da), DecodeTable::new(&db));
//! let mut r = BitReader::new(&stream).unwrap();
//! let mut ra = DecoderState::new(&ta, &mut r);
//! let mut rb = DecoderState::new(&tb, &mut r);
//! for i in 0..n {
//!     assert_eq!((ra.symbol(), rb.symbol()), (a[i], b[i]));
//!     if i + 1 < n {
//!         ra.update(&mut r);
//!         rb.update(&mut r);
//!     }
//!     assert_eq!(r.read(11), i as u64);
//!     r.refill();
//! }
//! assert!(r.is_finished());
//! ```
//!
//! Deviations from RFC 8878 that a format using this module may or may not adopt: a
//! distribution with a single present symbol is allowed (it owns every state and costs no bits
//! per symbol), and accuracy logs go up to [`MAX_ACCURACY_LOG`] (the caller of
//! [`Distribution::read`] gives the limit of each field).

mod bits;
mod description;
mod distribution;
mod state;
mod table;
#[cfg(test)]
mod tests;

pub use bits::{BitReader, BitWriter, Pending, Reserved, MAX_FIELD_BITS};
pub use distribution::Distribution;
pub use state::{DecoderState, EncoderState};
pub use table::{DecodeCell, DecodeTable, EncodeTable};

/// Smallest accuracy log (a table description stores `log - 5` in 4 bits).
pub const MIN_ACCURACY_LOG: u8 = 5;
/// Largest accuracy log this module builds tables for (4096 states).
pub const MAX_ACCURACY_LOG: u8 = 12;
/// Largest alphabet: symbols are bytes.
pub const MAX_SYMBOLS: usize = 256;
/// States of the largest table.
const MAX_TABLE_SIZE: usize = 1 << MAX_ACCURACY_LOG;

/// Accuracy log of [`LITERAL_LENGTH_DEFAULT`].
pub const LITERAL_LENGTH_DEFAULT_LOG: u8 = 6;
/// The predefined distribution of literal-length codes 0..=35 (RFC 8878 section 3.1.1.3.2.2).
pub const LITERAL_LENGTH_DEFAULT: [i16; 36] = [
    4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, //
    2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, //
    -1, -1, -1, -1,
];

/// Accuracy log of [`MATCH_LENGTH_DEFAULT`].
pub const MATCH_LENGTH_DEFAULT_LOG: u8 = 6;
/// The predefined distribution of match-length codes 0..=52 (RFC 8878 section 3.1.1.3.2.2).
pub const MATCH_LENGTH_DEFAULT: [i16; 53] = [
    1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, //
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, //
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, //
    -1, -1, -1, -1, -1,
];

/// Accuracy log of [`OFFSET_DEFAULT`].
pub const OFFSET_DEFAULT_LOG: u8 = 5;
/// The predefined distribution of offset codes 0..=28 (RFC 8878 section 3.1.1.3.2.2).
pub const OFFSET_DEFAULT: [i16; 29] = [
    1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, //
    1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
];

/// Why a distribution, a table description or a bitstream was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FseError {
    /// The accuracy log is outside `MIN_ACCURACY_LOG..=max`.
    AccuracyLog {
        /// The accuracy log asked for or read.
        log: u8,
        /// The largest one allowed there.
        max: u8,
    },
    /// A table description ends inside the field that starts at bit `bit`.
    Truncated {
        /// Bit offset of the incomplete field from the start of the description.
        bit: usize,
    },
    /// A table description goes on to a symbol outside the caller's alphabet.
    TooManySymbols {
        /// Bit offset of the field that names the symbol (or the zero run that reaches it).
        bit: usize,
        /// The alphabet size the caller allowed.
        max: usize,
    },
    /// Probabilities or counts for more than [`MAX_SYMBOLS`] symbols.
    AlphabetTooLarge {
        /// Symbols given, up to the last nonzero one.
        symbols: usize,
    },
    /// More symbols are present than the table has states.
    TableTooSmall {
        /// Symbols with a nonzero count.
        symbols: usize,
        /// The accuracy log asked for.
        log: u8,
    },
    /// No symbol has a nonzero count.
    NoSymbols,
    /// A probability below -1.
    BadProbability {
        /// The symbol.
        symbol: usize,
        /// Its probability.
        probability: i16,
    },
    /// The probabilities do not add up to the table size.
    WrongTotal {
        /// Their sum, counting -1 as 1.
        total: u32,
        /// `2^accuracy_log`.
        expected: u32,
    },
    /// A bitstream of no bytes.
    EmptyBitstream,
    /// A bitstream whose last byte is zero, so it has no end marker.
    NoEndMarker,
}

impl std::fmt::Display for FseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            FseError::AccuracyLog { log, max } => write!(
                f,
                "FSE accuracy log {log} outside {MIN_ACCURACY_LOG}..={max}"
            ),
            FseError::Truncated { bit } => {
                write!(f, "FSE table description cut short at bit {bit}")
            }
            FseError::TooManySymbols { bit, max } => write!(
                f,
                "FSE table description at bit {bit} goes past the {max} symbols allowed"
            ),
            FseError::AlphabetTooLarge { symbols } => {
                write!(f, "{symbols} FSE symbols, more than {MAX_SYMBOLS}")
            }
            FseError::TableTooSmall { symbols, log } => write!(
                f,
                "{symbols} FSE symbols do not fit a table of accuracy log {log}"
            ),
            FseError::NoSymbols => write!(f, "no FSE symbol has a nonzero count"),
            FseError::BadProbability {
                symbol,
                probability,
            } => write!(f, "FSE symbol {symbol} has probability {probability}"),
            FseError::WrongTotal { total, expected } => write!(
                f,
                "FSE probabilities add up to {total} instead of {expected}"
            ),
            FseError::EmptyBitstream => write!(f, "empty FSE bitstream"),
            FseError::NoEndMarker => write!(f, "FSE bitstream ends in a zero byte"),
        }
    }
}

impl std::error::Error for FseError {}
