//! `sigma encode` gives the library's bytes whatever the thread count, from a file or from stdin.
//! The library's side (threads, windows, sources, runs): `tests/determinism.rs`.

mod util;

use util::*;

const SEG: u32 = 4096;
const S: usize = SEG as usize;

/// Enough segments (with stored ones among them) for workers to finish out of order (the input
/// of `tests/determinism.rs`).
fn sample() -> Vec<u8> {
    mixed(40 * S + 777, S + 500, 31)
}

fn check_level(level: u8) {
    let data = sample();
    let sigma = Sigma::new();
    sigma.create("input.bin", &data);
    let reference = encode_bytes(&data, &opts(1, level, SEG).window(1));

    // File input and stdin, several thread counts.
    let (l, s) = (level.to_string(), SEG.to_string());
    for t in ["1", "2", "8"] {
        let r = sigma
            .run([
                "encode",
                "-q",
                "-f",
                "-T",
                t,
                "-l",
                &l,
                "--segment-size",
                &s,
                "input.bin",
            ])
            .ok();
        assert!(r.stdout.is_empty());
        assert!(
            sigma.read("input.bin.sigma") == reference,
            "sigma encode -T {t} differs"
        );
        let r = sigma
            .run_stdin(
                [
                    "encode",
                    "-q",
                    "-c",
                    "-T",
                    t,
                    "-l",
                    &l,
                    "--segment-size",
                    &s,
                ],
                &data,
            )
            .ok();
        assert!(
            r.stdout == reference,
            "sigma encode -c -T {t} (stdin) differs"
        );
    }
}

#[test]
fn identical_output_level1() {
    check_level(1);
}

#[test]
fn identical_output_level3() {
    check_level(3);
}

#[test]
fn identical_output_level9() {
    check_level(9);
}
