//! Damaged input: a table of hand-made corruptions with the exact error each must give, then
//! exhaustive single-byte corruption and truncation of a small stream through every decode path.
//!
//! Decode paths: `decode(Source::File)` (reads the index at the end, then the segments it lists),
//! `decode(Source::Reader)` and `Decoder<R>` (both parse front to back).

mod util;

#[path = "corrupt/largest_alloc.rs"]
mod largest_alloc;
#[path = "corrupt/sample_stream.rs"]
mod sample_stream;

use sample_stream::*;
use sigmalang::{decode, Error, Source};
use util::*;

#[path = "corrupt/after_error.rs"]
mod after_error;
#[path = "corrupt/exhaustive.rs"]
mod exhaustive;
#[path = "corrupt/table.rs"]
mod table;
