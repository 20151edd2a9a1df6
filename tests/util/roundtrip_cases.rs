//! The inputs every roundtrip runs: lengths around segment boundaries, segment sizes that are not
//! powers of two, and every kind of data (text, binary, runs, incompressible, mixed).
//!
//! `roundtrip_cases!(check);` defines one module per case, each with one test per level (1, 3 and
//! 9) that calls `check(&data, level, segment_size)`. The including file declares this module
//! with `#[macro_use]`, has the data generators of `tests/util` in scope and defines
//! `const SEG: u32 = 4096` and `const S: usize = SEG as usize`. `tests/roundtrip.rs` runs the
//! library's paths over these cases and `cli/tests/roundtrip.rs` the command line's.

macro_rules! roundtrip_cases {
    ($check:ident) => {
        roundtrip_cases! { @cases $check;
            empty: seg = SEG, len = 0, data = |n| text(n, 1);
            one_byte: seg = SEG, len = 1, data = |n| text(n, 2);
            below_min_coded: seg = SEG, len = 15, data = |n| runs(n, 3);
            sixteen_zero_bytes: seg = SEG, len = 16, data = |n| vec![0; n];
            seg_minus_one: seg = SEG, len = S - 1, data = |n| text(n, 4);
            seg_exact: seg = SEG, len = S, data = |n| text(n, 5);
            seg_plus_one: seg = SEG, len = S + 1, data = |n| text(n, 6);
            three_segs_exact: seg = SEG, len = 3 * S, data = |n| binary(n, 7);
            random_stored: seg = SEG, len = 2 * S + 17, data = |n| random(n, 8);
            mixed_kinds: seg = SEG, len = 7 * S + 1000, data = |n| mixed(n, S, 9);
            mixed_unaligned: seg = SEG, len = 6 * S + 5, data = |n| mixed(n, 3000, 10);
            all_zero: seg = SEG, len = 5 * S, data = |n| vec![0; n];
            runs_8k: seg = 8192, len = 3 * 8192 + 1, data = |n| runs(n, 11);
            odd_seg_size: seg = 5000, len = 4 * 5000 - 1, data = |n| mixed(n, 2500, 12);
            single_big_segment: seg = 65536, len = 60000, data = |n| text(n, 13);
        }
    };
    (@cases $check:ident; $($name:ident: seg = $seg:expr, len = $len:expr, data = $gen:expr;)*) => {$(
        mod $name {
            use super::*;
            fn data() -> Vec<u8> {
                let gen: fn(usize) -> Vec<u8> = $gen;
                gen($len)
            }
            #[test]
            fn level1() {
                $check(&data(), 1, $seg);
            }
            #[test]
            fn level3() {
                $check(&data(), 3, $seg);
            }
            #[test]
            fn level9() {
                $check(&data(), 9, $seg);
            }
        }
    )*};
}
