//! `container` fuzz target: see `check_container` in `fuzz/src/container.rs` for the input layout
//! and what is asserted. Run with `RUSTC_BOOTSTRAP=1 cargo fuzz run container` (see
//! `fuzz/README.md`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        sigmalang_fuzz::write_seed_corpus("container");
    },
    |data: &[u8]| {
        sigmalang_fuzz::check_container(data);
    }
);
