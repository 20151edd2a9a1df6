//! `glyph` fuzz target: see `check_glyph` in `fuzz/src/glyph.rs` for the input layout and what is
//! asserted. Run with `RUSTC_BOOTSTRAP=1 cargo fuzz run glyph` (see `fuzz/README.md`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        sigmalang_fuzz::write_seed_corpus("glyph");
    },
    |data: &[u8]| {
        sigmalang_fuzz::check_glyph(data);
    }
);
