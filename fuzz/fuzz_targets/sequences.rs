//! `sequences` fuzz target: see `check_sequences` in `fuzz/src/sequences.rs` for the input layout
//! and what is asserted. Run with `RUSTC_BOOTSTRAP=1 cargo fuzz run sequences` (see
//! `fuzz/README.md`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        sigmalang_fuzz::write_seed_corpus("sequences");
    },
    |data: &[u8]| {
        sigmalang_fuzz::sequences::check_sequences(data);
    }
);
