//! The `sigma` binary: file naming, overwrite protection, exit codes, stdout/stdin, keeping or
//! removing inputs, permissions, empty input, what goes to stderr and the segment size by level.
//! Cleanup after failures is in `cli_cleanup.rs`; `verify`, `info` and `bench` in `cli_reports.rs`.

mod util;

use std::os::unix::fs::PermissionsExt;
use util::*;

/// `sigma encode` arguments for small segments.
const ENC: [&str; 3] = ["encode", "--segment-size", "4K"];

fn args<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(more).copied().collect()
}

#[test]
fn encode_writes_input_dot_sigma() {
    let sigma = Sigma::new();
    let d = cli_data();
    sigma.create("a.txt", &d);
    let r = sigma.run(args(&ENC, &["-q", "a.txt"])).ok();
    assert!(r.stdout.is_empty());
    assert!(sigma.read("a.txt.sigma") == lib_encoding(&d, 3));
    assert!(sigma.read("a.txt") == d, "input untouched");
    assert_eq!(sigma.list(), ["a.txt", "a.txt.sigma"]);
}

#[test]
fn decode_strips_dot_sigma() {
    let sigma = Sigma::new();
    let d = cli_data();
    sigma.create("report.csv.sigma", &lib_encoding(&d, 3));
    let r = sigma.run(["decode", "-q", "report.csv.sigma"]).ok();
    assert!(r.stdout.is_empty());
    assert!(sigma.read("report.csv") == d);
    assert!(
        sigma.read("report.csv.sigma") == lib_encoding(&d, 3),
        "input untouched"
    );
    assert_eq!(sigma.list(), ["report.csv", "report.csv.sigma"]);

    // In a subdirectory, the output lands beside the input.
    std::fs::create_dir(sigma.path("sub")).unwrap();
    sigma.create("sub/x.sigma", &lib_encoding(b"hello", 1));
    sigma.run(["decode", "-q", "sub/x.sigma"]).ok();
    assert_eq!(sigma.read("sub/x"), b"hello");
}

#[test]
fn decode_without_suffix_needs_an_output() {
    let sigma = Sigma::new();
    let enc = lib_encoding(&cli_data(), 3);
    sigma.create("data.bin", &enc);
    sigma.create(".sigma", &enc);
    for name in ["data.bin", ".sigma"] {
        let r = sigma.run(["decode", name]).expect_code(1);
        assert!(r.stderr.contains(".sigma"), "{}", r.stderr);
        assert!(r.stdout.is_empty());
        assert_eq!(sigma.list(), [".sigma", "data.bin"], "nothing written");
    }
    // With -o or -c it is fine.
    sigma.run(["decode", "-q", "-o", "out", "data.bin"]).ok();
    assert!(sigma.read("out") == cli_data());
    let r = sigma.run(["decode", "-q", "-c", "data.bin"]).ok();
    assert!(r.stdout == cli_data());
}

#[test]
fn existing_output_is_not_overwritten_without_force() {
    let sigma = Sigma::new();
    let d = cli_data();
    sigma.create("a.txt", &d);
    sigma.create("a.txt.sigma", b"precious");
    let r = sigma.run(args(&ENC, &["a.txt"])).expect_code(1);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert_eq!(sigma.read("a.txt.sigma"), b"precious");
    no_temp_files(&sigma);

    sigma.run(args(&ENC, &["-q", "-f", "a.txt"])).ok();
    assert!(sigma.read("a.txt.sigma") == lib_encoding(&d, 3));

    // The same for decode, and for -o.
    sigma.create("a.txt", b"also precious");
    let r = sigma.run(["decode", "a.txt.sigma"]).expect_code(1);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert_eq!(sigma.read("a.txt"), b"also precious");
    let r = sigma
        .run(["decode", "-o", "a.txt", "a.txt.sigma"])
        .expect_code(1);
    assert!(r.stderr.contains("already exists"));
    assert_eq!(sigma.read("a.txt"), b"also precious");
    no_temp_files(&sigma);

    sigma.run(["decode", "-q", "--force", "a.txt.sigma"]).ok();
    assert!(sigma.read("a.txt") == d);
    assert_eq!(sigma.list(), ["a.txt", "a.txt.sigma"]);
}

#[test]
fn usage_errors_exit_2() {
    let sigma = Sigma::new();
    sigma.create("a.txt", b"some data");
    sigma.create("a.txt.sigma", &lib_encoding(b"some data", 3));
    let cases: &[&[&str]] = &[
        &[],
        &["encode", "--bogus", "a.txt"],
        &["encode", "-l", "0", "a.txt"],
        &["encode", "-l", "10", "a.txt"],
        &["encode", "--level", "x", "a.txt"],
        &["encode", "--segment-size", "100", "a.txt"],
        &["encode", "--segment-size", "4X", "a.txt"],
        &["encode", "--segment-size", "512M", "a.txt"],
        &["encode", "--keep", "--rm", "a.txt"],
        &["encode", "-T", "many", "a.txt"],
        &["decode", "--bogus", "a.txt.sigma"],
        &["decode", "-c", "-o", "x", "a.txt.sigma"],
        &["encode", "--window", "4097", "a.txt"],
        &["encode", "-T", "1025", "a.txt"],
    ];
    for a in cases {
        let r = sigma.run(*a);
        assert_eq!(r.code, Some(2), "sigma {a:?}: stderr {}", r.stderr);
        assert!(!r.stderr.is_empty(), "sigma {a:?}: usage message expected");
    }
    assert_eq!(sigma.list(), ["a.txt", "a.txt.sigma"], "nothing written");
    // A word that is no subcommand is a file to encode, as with zstd and xz.
    let r = sigma.run(["frobnicate"]).expect_code(1);
    assert!(r.stderr.contains("frobnicate: cannot open"), "{}", r.stderr);
    // --help and --version are not errors.
    assert!(!sigma.run(["--help"]).ok().stdout.is_empty());
    assert!(!sigma.run(["--version"]).ok().stdout.is_empty());
}

#[test]
fn runtime_errors_exit_1() {
    let sigma = Sigma::new();
    std::fs::create_dir(sigma.path("dir")).unwrap();
    for a in [
        &["encode", "missing.txt"][..],
        &["encode", "dir"],
        &["decode", "missing.sigma"],
        &["verify", "missing.sigma"],
        &["info", "missing.sigma"],
    ] {
        let r = sigma.run(a);
        assert_eq!(r.code, Some(1), "sigma {a:?}: stderr {}", r.stderr);
        assert!(r.stderr.starts_with("sigma: "), "{}", r.stderr);
    }
    assert_eq!(sigma.list(), ["dir"]);
}

#[test]
fn dash_c_writes_to_stdout() {
    let sigma = Sigma::new();
    let d = cli_data();
    sigma.create("a.txt", &d);
    let r = sigma
        .run(args(&ENC, &["-q", "-c", "-l", "7", "a.txt"]))
        .ok();
    assert!(r.stdout == lib_encoding(&d, 7));
    // `-o -` means stdout too.
    let r2 = sigma
        .run(args(&ENC, &["-q", "-o", "-", "-l", "7", "a.txt"]))
        .ok();
    assert!(r2.stdout == r.stdout);
    assert_eq!(sigma.list(), ["a.txt"], "no file written");

    sigma.create("b.sigma", &r.stdout);
    let r = sigma.run(["decode", "-q", "-c", "b.sigma"]).ok();
    assert!(r.stdout == d);
    assert_eq!(sigma.list(), ["a.txt", "b.sigma"], "no file written");
}

#[test]
fn stdin_to_stdout_pipe_roundtrip() {
    let sigma = Sigma::new();
    for (d, level) in [
        (cli_data(), "1"),
        (Vec::new(), "3"),
        (text(100_000, 3), "9"),
    ] {
        let enc = sigma
            .run_stdin(args(&ENC, &["-q", "-c", "-l", level, "-"]), &d)
            .ok()
            .stdout;
        assert!(enc == lib_encoding(&d, level.parse().unwrap()));
        // With no INPUT at all, encode reads stdin as well.
        let enc2 = sigma
            .run_stdin(args(&ENC, &["-q", "-l", level]), &d)
            .ok()
            .stdout;
        assert!(enc2 == enc);
        let dec = sigma.run_stdin(["decode", "-q", "-c", "-"], &enc).ok();
        assert!(dec.stdout == d);
        // `decode -` writes to stdout without -c.
        let dec = sigma.run_stdin(["decode", "-q", "-"], &enc).ok();
        assert!(dec.stdout == d);
    }
    assert!(sigma.list().is_empty(), "nothing written");
}

#[test]
fn inputs_are_kept_unless_rm() {
    let sigma = Sigma::new();
    let d = cli_data();
    sigma.create("a", &d);
    sigma.run(args(&ENC, &["-q", "a"])).ok();
    sigma.run(args(&ENC, &["-q", "-k", "-f", "a"])).ok();
    assert!(sigma.read("a") == d);
    sigma.run(["decode", "-q", "-o", "b", "a.sigma"]).ok();
    sigma.run(["decode", "-q", "-k", "-o", "c", "a.sigma"]).ok();
    assert!(sigma.read("b") == d && sigma.read("c") == d);
    assert_eq!(sigma.list(), ["a", "a.sigma", "b", "c"]);

    // --rm removes the input after success only.
    sigma.run(args(&ENC, &["-q", "--rm", "b"])).ok();
    assert!(!sigma.exists("b"));
    sigma.run(["decode", "-q", "--rm", "b.sigma"]).ok();
    assert!(!sigma.exists("b.sigma"));
    assert!(sigma.read("b") == d);
    // A refused encode (output exists) keeps the input even with --rm.
    sigma.run(args(&ENC, &["-q", "--rm", "a"])).expect_code(1);
    assert!(sigma.read("a") == d);
    assert_eq!(sigma.list(), ["a", "a.sigma", "b", "c"]);
}

#[test]
fn quiet_and_summary_on_stderr() {
    let sigma = Sigma::new();
    let d = cli_data();
    sigma.create("a", &d);
    for a in [
        args(&ENC, &["-q", "a"]),
        vec!["decode", "-q", "-f", "a.sigma"],
        vec!["decode", "--quiet", "-c", "a.sigma"],
        vec!["verify", "-q", "a.sigma"],
    ] {
        let r = sigma.run(&a).ok();
        assert!(r.stderr.is_empty(), "sigma {a:?} printed {:?}", r.stderr);
    }
    let r = sigma.run_stdin(args(&ENC, &["-q", "-c"]), &d).ok();
    assert!(r.stderr.is_empty());

    for a in [
        args(&ENC, &["-f", "a"]),
        vec!["decode", "-f", "a.sigma"],
        vec!["decode", "-c", "a.sigma"],
        vec!["verify", "a.sigma"],
    ] {
        let r = sigma.run(&a).ok();
        assert_eq!(
            r.stderr.lines().count(),
            1,
            "sigma {a:?}: one summary line expected, got {:?}",
            r.stderr
        );
        assert!(r.stderr.ends_with('\n'));
    }
    let r = sigma.run(args(&ENC, &["-f", "a"])).ok();
    assert!(r.stderr.starts_with("a: "), "{}", r.stderr);
    assert!(r.stderr.contains("6 segments"), "{}", r.stderr);
    let r = sigma.run_stdin(args(&ENC, &["-c"]), &d).ok();
    assert!(r.stderr.starts_with("stdin: "), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1);
}

#[test]
fn output_gets_the_input_permissions() {
    let sigma = Sigma::new();
    let p = sigma.create("a", &cli_data());
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    sigma.run(args(&ENC, &["-q", "a"])).ok();
    let mode = |n: &str| {
        std::fs::metadata(sigma.path(n))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("a.sigma"), 0o640);
    sigma.run(["decode", "-q", "-o", "b", "a.sigma"]).ok();
    assert_eq!(mode("b"), 0o640);
}

#[test]
fn empty_input() {
    let sigma = Sigma::new();
    sigma.create("empty", b"");
    sigma.run(args(&ENC, &["-q", "empty"])).ok();
    assert_eq!(sigma.read("empty.sigma"), lib_encoding(b"", 3));
    std::fs::remove_file(sigma.path("empty")).unwrap();
    sigma.run(["decode", "-q", "empty.sigma"]).ok();
    assert_eq!(sigma.read("empty"), b"");
    let r = sigma.run(["info", "--json", "empty.sigma"]).ok();
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["segments"], 0);
    assert_eq!(v["raw_bytes"], 0);
}

/// Without `--segment-size`, levels 1–7 cut 4 MiB segments and the optimal-parse levels 8–9 cut
/// 16 MiB ones (the file header records which); `--segment-size` overrides it at any level, and
/// `auto` still goes by the input's length, or by the level for a pipe.
#[test]
fn segment_size_defaults_by_level() {
    let sigma = Sigma::new();
    sigma.create("a.txt", &cli_data());
    let header_segment = |name: &str| {
        let r = sigma.run(["info", "--json", name]).ok();
        let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
        v["segment_size"].as_u64().unwrap()
    };
    let cases: [(&[&str], u64); 6] = [
        (&["-l", "3"], 4 << 20),
        (&["-l", "7"], 4 << 20),
        (&["-l", "8"], 16 << 20),
        (&["-l", "9"], 16 << 20),
        (&["-l", "9", "--segment-size", "4M"], 4 << 20),
        (&["-l", "9", "--segment-size", "auto"], 64 << 10),
    ];
    for (k, (opts, want)) in cases.into_iter().enumerate() {
        let out = format!("{k}.sigma");
        let mut a = vec!["encode", "-q", "a.txt", "-o", &out];
        a.extend_from_slice(opts);
        sigma.run(a).ok();
        assert_eq!(header_segment(&out), want, "{opts:?}");
        let r = sigma.run(["decode", "-c", &out]).ok();
        assert!(r.stdout == cli_data(), "{opts:?}");
    }
    // From a pipe the length is unknown: `auto` falls back to the level's size.
    for (level, want) in [("2", 4u64 << 20), ("9", 16 << 20)] {
        let r = sigma
            .run_stdin(
                ["encode", "-c", "-l", level, "--segment-size", "auto", "-"],
                &cli_data(),
            )
            .ok();
        sigma.create("pipe.sigma", &r.stdout);
        assert_eq!(header_segment("pipe.sigma"), want, "level {level}");
    }
    // The library's default follows the level the same way.
    let o = sigmalang::Options::new();
    assert_eq!(o.resolved_segment_size(None), 4 << 20);
    assert_eq!(o.clone().level(9).resolved_segment_size(None), 16 << 20);
    assert_eq!(
        o.level(9).segment_size(1 << 20).resolved_segment_size(None),
        1 << 20
    );
}
