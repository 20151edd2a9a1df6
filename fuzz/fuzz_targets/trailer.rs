//! `trailer` fuzz target: see `check_trailer` in `fuzz/src/trailer.rs` for the input layout and
//! what is asserted. Run with `RUSTC_BOOTSTRAP=1 cargo fuzz run trailer` (see `fuzz/README.md`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        sigmalang_fuzz::write_seed_corpus("trailer");
    },
    |data: &[u8]| {
        sigmalang_fuzz::check_trailer(data);
    }
);
