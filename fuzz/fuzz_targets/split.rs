//! `split` fuzz target: see `check_split` in `fuzz/src/split.rs` for the input layout and what is
//! asserted (the entropy stage: streams and split payloads and their Huffman byte sections). Run
//! with `RUSTC_BOOTSTRAP=1 cargo fuzz run split` (see `fuzz/README.md`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        sigmalang_fuzz::write_seed_corpus("split");
    },
    |data: &[u8]| {
        sigmalang_fuzz::check_split(data);
    }
);
