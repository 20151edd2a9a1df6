//! Checks shared by the fuzz targets (`fuzz_targets/*.rs`), the regression replay
//! (`tests/fuzz_regressions.rs`) and the mutation test (`tests/mutation.rs`).
//!
//! These files depend only on `sigmalang`, `xxhash-rust` (a dependency of `sigmalang`) and `std`,
//! so the main crate's integration tests include it with `#[path = "../fuzz/src/lib.rs"] mod`
//! and replay a saved input through exactly the code its fuzz target runs.
//!
//! Every `check_*` function panics (fails) on a finding and returns normally otherwise.
#![allow(dead_code)]

// Deterministic data: the generators of the integration tests.
#[path = "../../tests/util/data.rs"]
mod data;
pub use data::*;

// The `sequences` target (format version 4's sequences layout).
#[path = "sequences.rs"]
pub mod sequences;

// Modules are named with `#[path]` (like `sequences` above) so that they resolve next to this
// file also where the main crate's tests include it with `#[path = "../fuzz/src/lib.rs"] mod`.
#[path = "container.rs"]
mod container;
#[path = "corpus.rs"]
mod corpus;
#[path = "declared.rs"]
mod declared;
#[path = "decode.rs"]
mod decode;
#[path = "fix.rs"]
mod fix;
#[path = "fse.rs"]
mod fse;
#[path = "glyph.rs"]
mod glyph;
#[path = "split.rs"]
mod split;
#[path = "trailer.rs"]
mod trailer;

// The public items, at the root as before the split. Each of the main crate's tests that include
// this file uses only some of them.
#[allow(unused_imports)]
pub use self::{
    container::{check_container, container_streams, encode, Stream, SEGMENT},
    corpus::{seeds, write_seed_corpus},
    declared::is_declared_content,
    decode::{decode_all, ChunkReader, Paths},
    fix::{fix_file_header, fix_footer, fix_index, fix_stream_checks, fix_trailer_checks},
    fse::check_fse,
    glyph::{check_glyph, reference_decompress},
    split::{check_split, v1_split_payload},
    trailer::check_trailer,
};
