//! # sigmalang
//!
//! ΣLANG encodes multi-GB files into independently framed segments of glyphs, on every core, with
//! constant memory, and decodes them back byte-exact — in parallel too.
//!
//! * Format: `docs/FORMAT.md` ([`format`](mod@format) holds the structures, [`codec`] the glyph
//!   stream).
//! * Pipeline: `docs/ARCHITECTURE.md` ([`encode`], [`decode`]).
//! * Output files: [`output`] (atomic replacement, resumable encodes), used by the `sigma` CLI.
//! * Statistics: [`Stats`]; the `stats` feature adds per-segment latency and peak memory.
//!
//! ```
//! use sigmalang::{Options, Source};
//! let data = b"a file of many many many many repeated words".repeat(100);
//! let mut encoded = Vec::new();
//! let opts = Options::new().threads(2).segment_size(4096);
//! sigmalang::encode(Source::Reader(&mut &data[..]), &mut encoded, &opts, None).unwrap();
//! let mut decoded = Vec::new();
//! sigmalang::decode(Source::Reader(&mut &encoded[..]), &mut decoded, &opts, None).unwrap();
//! assert_eq!(decoded, data);
//! ```
#![warn(missing_docs)]
// The only `unsafe` is in the glyph decoder's chunk moves (`codec::decode`); each block says why
// it is sound.
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod codec;
pub mod error;
mod file;
pub mod format;
mod options;
pub mod output;
mod part;
mod pipeline;
mod random;
mod read;
mod salvage;
mod segment;
pub mod stats;
mod varint;
mod write;

pub use error::{CodecError, Error, Result};
pub use file::{decode_file, encode_file};
pub use options::{
    default_memory_limit, default_segment_size, optimal_segment_size, MemoryPlan, Options,
    SegmentSize, BASE_OVERHEAD, DEFAULT_SEGMENT_SIZE, LARGE_SEGMENT_SIZE,
};
pub use part::{
    encode_part, encode_part_from_reader, join, part_range, segments_of_part, PartHeader,
    MAX_PARTS, PART_HEADER_LEN, PART_MAGIC,
};
pub use pipeline::{decode, encode, Progress, Source};
pub use random::Reader;
pub use read::Decoder;
pub use salvage::{salvage, salvage_with_memory_limit, LostRange, SalvageReport};
pub use stats::Stats;
pub use write::Encoder;
