//! `fse` fuzz target: see `check_fse` in `fuzz/src/fse.rs` for the input layout and what is
//! asserted. Run with `RUSTC_BOOTSTRAP=1 cargo fuzz run fse` (see `fuzz/README.md`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        sigmalang_fuzz::write_seed_corpus("fse");
    },
    |data: &[u8]| {
        sigmalang_fuzz::check_fse(data);
    }
);
