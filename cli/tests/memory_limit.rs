//! The command line's memory limit (`--memory-limit`, `SIGMA_MEMORY_LIMIT`): a run that cannot fit
//! is refused before anything is written, with a message that says how to raise the limit. The
//! library's side: `tests/memory_limit.rs`.

mod util;

use util::*;

const MIB: u64 = 1 << 20;

/// Sixteen 1 MiB segments of zeros: a tiny file whose decode needs a whole segment per buffer.
fn zeros() -> (Vec<u8>, Vec<u8>) {
    let data = vec![0u8; 16 << 20];
    let enc = encode_bytes(&data, &opts(2, 1, 1 << 20));
    assert!(enc.len() < 4096);
    (data, enc)
}

#[test]
fn the_command_line_takes_a_limit_and_says_how_to_raise_it() {
    let (data, enc) = zeros();
    let sigma = Sigma::new();
    sigma.create("z.sigma", &enc);
    let r = sigma
        .run(["decode", "--memory-limit", "1M", "z.sigma"])
        .expect_code(1);
    assert!(
        r.stderr.contains("z.sigma: needs at least") && r.stderr.contains("--memory-limit"),
        "{}",
        r.stderr
    );
    assert_eq!(sigma.list(), ["z.sigma"], "nothing written");
    let cases: [&[&str]; 3] = [
        &["verify", "--memory-limit", "1M", "z.sigma"],
        &[
            "decode",
            "--range",
            "0..10",
            "--memory-limit=1M",
            "-c",
            "z.sigma",
        ],
        &[
            "decode",
            "--salvage",
            "--memory-limit=1M",
            "-o",
            "s",
            "z.sigma",
        ],
    ];
    for args in cases {
        let r = sigma.run(args).expect_code(1);
        assert!(
            r.stderr.contains("needs at least"),
            "{args:?}: {}",
            r.stderr
        );
        assert_eq!(sigma.list(), ["z.sigma"], "{args:?}: nothing written");
    }
    let r = sigma
        .run(["decode", "--memory-limit", "0", "z.sigma"])
        .expect_code(2);
    assert!(r.stderr.contains("none"), "{}", r.stderr);
    let r = sigma
        .command(["decode", "-c", "z.sigma", "--stats", "json"])
        .env("SIGMA_MEMORY_LIMIT", "8M")
        .output()
        .unwrap();
    assert!(r.status.success());
    assert!(r.stdout == data);
    let stats: serde_json::Value = serde_json::from_slice(
        r.stderr
            .split(|&b| b == b'\n')
            .find(|l| l.starts_with(b"{"))
            .unwrap(),
    )
    .unwrap();
    assert!(stats["memory_estimate_bytes"].as_u64().unwrap() <= 8 * MIB);
    sigma
        .run(["decode", "--memory-limit", "none", "-q", "z.sigma"])
        .ok();
    assert!(sigma.read("z") == data);
}
