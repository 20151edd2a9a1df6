//! The `sigma` binary: file naming, overwrite protection, exit codes, stdout/stdin, verify, info,
//! cleanup after failures and what goes to stderr.

mod util;

use std::os::unix::fs::PermissionsExt;
use util::*;

const SEG: u32 = 4096;

fn data() -> Vec<u8> {
    mixed(5 * SEG as usize + 123, SEG as usize, 61)
}

/// What the library writes for `data()` with the options the tests pass to the binary.
fn lib_encoding(data: &[u8], level: u8) -> Vec<u8> {
    encode_bytes(data, &opts(1, level, SEG))
}

/// `sigma encode` arguments for small segments.
const ENC: [&str; 3] = ["encode", "--segment-size", "4K"];

fn args<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(more).copied().collect()
}

fn no_temp_files(sigma: &Sigma) {
    let tmp: Vec<String> = sigma
        .list()
        .into_iter()
        .filter(|n| n.ends_with(".sigma-tmp"))
        .collect();
    assert!(tmp.is_empty(), "temporary files left: {tmp:?}");
}

#[test]
fn encode_writes_input_dot_sigma() {
    let sigma = Sigma::new();
    let d = data();
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
    let d = data();
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
    let enc = lib_encoding(&data(), 3);
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
    assert!(sigma.read("out") == data());
    let r = sigma.run(["decode", "-q", "-c", "data.bin"]).ok();
    assert!(r.stdout == data());
}

#[test]
fn existing_output_is_not_overwritten_without_force() {
    let sigma = Sigma::new();
    let d = data();
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
    let d = data();
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
    for (d, level) in [(data(), "1"), (Vec::new(), "3"), (text(100_000, 3), "9")] {
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
fn verify_good_and_damaged_files() {
    let sigma = Sigma::new();
    let enc = lib_encoding(&data(), 3);
    sigma.create("good.sigma", &enc);
    let r = sigma.run(["verify", "good.sigma"]).ok();
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("OK"), "{}", r.stderr);
    assert!(sigma
        .run(["verify", "-q", "good.sigma"])
        .ok()
        .stderr
        .is_empty());
    sigma.run_stdin(["verify", "-q", "-"], &enc).ok();

    let l = layout(&enc);
    let s = l.segments[2];
    let mut bad = enc.clone();
    bad[s.offset + 36 + 17] ^= 0x01;
    sigma.create("bad.sigma", &bad);
    for r in [
        sigma.run(["verify", "bad.sigma"]),
        sigma.run(["verify", "-q", "bad.sigma"]),
        sigma.run_stdin(["verify", "-"], &bad),
    ] {
        let r = r.expect_code(1);
        assert!(r.stderr.contains("segment 2"), "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!("byte {}", s.offset)),
            "{}",
            r.stderr
        );
    }
    assert!(sigma
        .run(["verify", "bad.sigma"])
        .stderr
        .contains("bad.sigma"));

    sigma.create("cut.sigma", &enc[..enc.len() - 100]);
    let r = sigma.run(["verify", "cut.sigma"]).expect_code(1);
    assert!(r.stderr.contains("truncated"), "{}", r.stderr);
    sigma.create("text.sigma", b"plain text, not sigma at all");
    let r = sigma.run(["verify", "text.sigma"]).expect_code(1);
    assert!(r.stderr.contains("magic"), "{}", r.stderr);
}

#[test]
fn info_text_and_json() {
    let sigma = Sigma::new();
    let d = data();
    let enc = lib_encoding(&d, 4);
    let l = layout(&enc);
    sigma.create("x.sigma", &enc);

    let r = sigma.run(["info", "--json", "x.sigma"]).ok();
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).expect("info --json is JSON");
    assert_eq!(v["file"], "x.sigma");
    assert_eq!(v["format_version"], sigmalang::format::VERSION);
    assert_eq!(v["level"], 4);
    assert_eq!(v["segment_size"], SEG);
    assert_eq!(v["segments"], 6);
    assert_eq!(v["raw_bytes"], d.len() as u64);
    assert_eq!(v["encoded_bytes"], enc.len() as u64);
    let stored = l.segments.iter().filter(|s| s.stored).count();
    assert!(stored > 0);
    assert_eq!(v["stored_segments"], stored);
    let list = v["segment_list"].as_array().unwrap();
    assert_eq!(list.len(), 6);
    let mut raw_off = 0u64;
    for (k, (e, s)) in list.iter().zip(&l.segments).enumerate() {
        assert_eq!(e["ordinal"], k);
        assert_eq!(e["raw_offset"], raw_off);
        assert_eq!(e["encoded_offset"], s.offset);
        assert_eq!(e["raw_len"], s.raw_len);
        assert_eq!(e["encoded_len"], s.enc_len + SEGMENT_HEADER_LEN);
        assert_eq!(e["stored"], s.stored);
        let xxh = format!("{:016x}", le64(&enc, s.offset + 20));
        assert_eq!(e["xxh3"], xxh.as_str());
        raw_off += s.raw_len as u64;
    }

    // The same from stdin (walking the segments instead of reading the index).
    let r = sigma.run_stdin(["info", "--json", "-"], &enc).ok();
    let mut w: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(w["file"], "stdin");
    w["file"] = v["file"].clone();
    assert_eq!(w, v);

    let r = sigma.run(["info", "x.sigma"]).ok();
    let text = String::from_utf8(r.stdout).unwrap();
    assert!(text.contains("segments:       6"), "{text}");
    assert!(
        text.contains(&format!("raw size:       {} bytes", d.len())),
        "{text}"
    );
    let r = sigma.run(["info", "-v", "x.sigma"]).ok();
    let verbose = String::from_utf8(r.stdout).unwrap();
    assert!(
        verbose.lines().count() >= text.lines().count() + 7,
        "{verbose}"
    );

    // A damaged file: exit 1.
    sigma.create("bad.sigma", &enc[..enc.len() - 1]);
    sigma.run(["info", "--json", "bad.sigma"]).expect_code(1);
}

#[test]
fn failed_decode_leaves_nothing_behind() {
    let sigma = Sigma::new();
    let enc = lib_encoding(&data(), 3);
    let l = layout(&enc);
    let mut bad = enc.clone();
    // Damage the last segment, so good segments were written before the failure.
    bad[l.segments[5].payload().start + 3] ^= 0x80;
    sigma.create("x.sigma", &bad);
    let before = sigma.list();

    for a in [
        &["decode", "x.sigma"][..],
        &["decode", "-T", "1", "x.sigma"],
        &["decode", "-o", "y", "x.sigma"],
        &["decode", "--rm", "x.sigma"],
    ] {
        let r = sigma.run(a).expect_code(1);
        assert!(r.stderr.contains("segment 5"), "{}", r.stderr);
        assert_eq!(sigma.list(), before, "sigma {a:?} left files behind");
    }
    // From stdin into a file.
    let r = sigma
        .run_stdin(["decode", "-o", "z", "-"], &bad)
        .expect_code(1);
    assert!(r.stderr.contains("segment 5"), "{}", r.stderr);
    assert_eq!(sigma.list(), before);

    // A failed forced decode leaves the existing output as it was.
    sigma.create("x", b"old contents");
    sigma.run(["decode", "-f", "x.sigma"]).expect_code(1);
    assert_eq!(sigma.read("x"), b"old contents");
    assert_eq!(sigma.read("x.sigma"), bad, "input untouched");
    no_temp_files(&sigma);

    // A truncated file fails before any output.
    sigma.create("t.sigma", &enc[..enc.len() / 2]);
    sigma.run(["decode", "t.sigma"]).expect_code(1);
    assert!(!sigma.exists("t"));
    no_temp_files(&sigma);
}

#[test]
fn inputs_are_kept_unless_rm() {
    let sigma = Sigma::new();
    let d = data();
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
    let d = data();
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
    let p = sigma.create("a", &data());
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

/// Waits (up to 20 s) until a directory entry satisfies `pred`.
fn wait_for(sigma: &Sigma, pred: impl Fn(&str) -> bool) -> bool {
    let t = std::time::Instant::now();
    while t.elapsed() < std::time::Duration::from_secs(20) {
        if sigma.list().iter().any(|n| pred(n)) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    false
}

#[test]
fn a_signal_removes_the_temporary_output() {
    use std::io::Write;
    use std::process::Stdio;
    for (signal, cmd) in [
        (
            "-INT",
            vec!["encode", "--segment-size", "4K", "-o", "out.sigma", "-"],
        ),
        ("-TERM", vec!["decode", "-o", "out", "-"]),
    ] {
        let sigma = Sigma::new();
        let mut child = sigma
            .command(&cmd)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Some input, then the pipe stays open: the run is in progress until the signal.
        let mut stdin = child.stdin.take().unwrap();
        let first = if cmd[0] == "encode" {
            text(50_000, 1)
        } else {
            let enc = lib_encoding(&data(), 3);
            enc[..enc.len() / 2].to_vec()
        };
        stdin.write_all(&first).unwrap();
        assert!(
            wait_for(&sigma, |n| n.ends_with(".sigma-tmp")),
            "{cmd:?}: no temporary output appeared: {:?}",
            sigma.list()
        );
        // The temporary file is registered for cleanup just after it is created: give the
        // command a moment to get there and block on stdin.
        std::thread::sleep(std::time::Duration::from_millis(200));
        let st = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let out = child.wait_with_output().unwrap();
        drop(stdin);
        let want = if signal == "-INT" { 130 } else { 143 };
        assert_eq!(out.status.code(), Some(want), "{cmd:?} after {signal}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("interrupted"),
            "{cmd:?}"
        );
        assert!(sigma.list().is_empty(), "{cmd:?} left {:?}", sigma.list());
    }
}

#[test]

fn output_onto_the_input_never_loses_data() {
    let d = data();
    let enc = lib_encoding(&d, 3);
    for (name, contents, cmd) in [
        (
            "a",
            d.clone(),
            ["encode", "-q", "-f", "--rm", "-o", "a", "a"],
        ),
        (
            "a.sigma",
            enc.clone(),
            ["decode", "-q", "-f", "--rm", "-o", "a.sigma", "a.sigma"],
        ),
    ] {
        let sigma = Sigma::new();
        sigma.create(name, &contents);
        let r = sigma.run(cmd);
        // Refusing is right; succeeding is acceptable only if the data is still there.
        assert!(
            sigma.exists(name),
            "sigma {cmd:?} exited {:?} and left nothing: {:?}",
            r.code,
            sigma.list()
        );
        let now = sigma.read(name);
        assert!(now == contents || now == d || now == enc, "sigma {cmd:?}");
    }
}

/// `sigma bench --json`: a row per mode and thread count with the ratio of what was really
/// written, speed-ups against each mode's -T1 row, and the pipeline tax when -T1 was measured.
#[test]
fn bench_reports_every_mode_and_thread_count() {
    let sigma = Sigma::new();
    let d = data();
    sigma.create("in", &d);
    let json = |threads: &str| -> serde_json::Value {
        let r = sigma
            .run([
                "bench",
                "in",
                "-T",
                threads,
                "--repeat",
                "2",
                "--segment-size",
                "4K",
                "--json",
            ])
            .ok();
        serde_json::from_slice(&r.stdout).expect("bench --json is JSON")
    };
    let v = json("1,2");
    let rows = v["results"].as_array().unwrap();
    let modes: Vec<(String, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["mode"].as_str().unwrap().to_string(),
                r["threads"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, u64)> = [
        ("file", 1),
        ("file", 2),
        ("loop", 1),
        ("memory", 1),
        ("memory", 2),
    ]
    .iter()
    .map(|&(m, t)| (m.to_string(), t))
    .collect();
    assert_eq!(modes, want);
    let file_size = lib_encoding(&d, 3).len() as u64;
    for r in rows {
        assert_eq!(r["raw_bytes"], d.len() as u64);
        assert!(r["encode_mb_s"].as_f64().unwrap() > 0.0);
        assert!(r["decode_mb_s"].as_f64().unwrap() > 0.0);
        // The fastest run is at least as fast as the median one.
        for k in ["encode", "decode"] {
            let best = r[format!("{k}_mb_s_best")].as_f64().unwrap();
            assert!(best >= r[format!("{k}_mb_s")].as_f64().unwrap(), "{r}");
        }
        if r["mode"] != "loop" {
            // The pipelines wrote the file the library writes (header, index and trailer too).
            assert_eq!(r["encoded_bytes"], file_size, "{r}");
        }
        if r["threads"] == 1 {
            assert_eq!(r["encode_speedup"], 1.0);
        }
    }
    assert!(v["pipeline_t1_vs_loop"].as_f64().unwrap() > 0.0);
    assert!(v["pipeline_t1_vs_loop_decode"].as_f64().unwrap() > 0.0);
    // Without a -T1 run there is no pipeline tax to report.
    let v = json("2");
    assert!(v["pipeline_t1_vs_loop"].is_null());
    assert_eq!(v["results"].as_array().unwrap().len(), 3);
}

/// Without `--segment-size`, levels 1–7 cut 4 MiB segments and the optimal-parse levels 8–9 cut
/// 16 MiB ones (the file header records which); `--segment-size` overrides it at any level, and
/// `auto` still goes by the input's length, or by the level for a pipe.
#[test]
fn segment_size_defaults_by_level() {
    let sigma = Sigma::new();
    sigma.create("a.txt", &data());
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
        assert!(r.stdout == data(), "{opts:?}");
    }
    // From a pipe the length is unknown: `auto` falls back to the level's size.
    for (level, want) in [("2", 4u64 << 20), ("9", 16 << 20)] {
        let r = sigma
            .run_stdin(
                ["encode", "-c", "-l", level, "--segment-size", "auto", "-"],
                &data(),
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
