//! The command line's encode and decode paths give the library's bytes and back the original, over
//! the inputs of `tests/roundtrip.rs` (`tests/util/roundtrip_cases.rs`): `sigma encode FILE`,
//! `sigma encode -c` from stdin, `sigma decode -c FILE` and `sigma decode -c -` from stdin.

mod util;
#[macro_use]
#[path = "../../tests/util/roundtrip_cases.rs"]
mod cases;

use util::*;

const SEG: u32 = 4096;
const S: usize = SEG as usize;

/// Runs every command-line path on `data` and checks they agree with the library (whose paths
/// `tests/roundtrip.rs` checks against each other).
fn roundtrip_cli(data: &[u8], level: u8, seg: u32) {
    let from_file = encode_bytes(data, &opts(2, level, seg));
    let sigma = Sigma::new();
    sigma.create("input.bin", data);

    // --- encode ---------------------------------------------------------------------------
    let (l, s) = (level.to_string(), seg.to_string());
    sigma
        .run([
            "encode",
            "-q",
            "-l",
            &l,
            "--segment-size",
            &s,
            "-o",
            "cli.sigma",
            "input.bin",
        ])
        .ok();
    assert!(
        sigma.read("cli.sigma") == from_file,
        "sigma encode FILE differs"
    );

    let piped = sigma
        .run_stdin(["encode", "-q", "-c", "-l", &l, "--segment-size", &s], data)
        .ok();
    assert!(piped.stdout == from_file, "sigma encode -c (stdin) differs");

    // --- decode ---------------------------------------------------------------------------
    sigma.create("data.sigma", &from_file);
    let cli = sigma.run(["decode", "-q", "-c", "data.sigma"]).ok();
    assert!(cli.stdout == data, "sigma decode -c FILE differs");

    let cli = sigma
        .run_stdin(["decode", "-q", "-c", "-"], &from_file)
        .ok();
    assert!(cli.stdout == data, "sigma decode -c - differs");
}

roundtrip_cases!(roundtrip_cli);
