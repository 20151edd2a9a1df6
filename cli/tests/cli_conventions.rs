//! The `sigma` binary speaks the conventions zstd/xz/gzip users have in their fingers (issue 19):
//! `-d`/`-z`/`-t`/`-l` and `-1` … `-9`, several inputs, `-r`, `.sigma` inputs skipped by encode,
//! concatenated streams, the input's mode and mtime on the output, holes, `-v`, environment
//! defaults and shell completions.

#[macro_use]
mod util;

use sigmalang::Options;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, SystemTime};
use util::*;

const SEG: u32 = 4096;

fn data() -> Vec<u8> {
    mixed(5 * SEG as usize + 123, SEG as usize, 41)
}

/// What the library writes for `data` at `level` with `seg`-byte segments.
fn lib(data: &[u8], level: u8, seg: u32) -> Vec<u8> {
    encode_bytes(data, &opts(1, level, seg))
}

/// Every file under `dir`, as sorted paths relative to it (directories not listed).
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Permission bits and modification time of `p`.
fn mode_mtime(p: &Path) -> (u32, SystemTime) {
    let m = std::fs::metadata(p).unwrap();
    (m.permissions().mode() & 0o7777, m.modified().unwrap())
}

fn stdout_text(r: Run) -> String {
    String::from_utf8(r.stdout).unwrap()
}

// ---- zstd/xz spellings ----

#[test]
fn zstd_style_spellings_do_what_the_subcommands_do() {
    let sigma = Sigma::new();
    let d = text(30_000, 2);
    let enc = encode_bytes(&d, &Options::new());
    sigma.create("a", &d);
    let r = sigma.ok("a");
    assert!(r.stderr.starts_with("a: "), "{}", r.stderr);
    assert!(
        sigma.read("a.sigma") == enc,
        "sigma FILE = sigma encode FILE"
    );
    assert_eq!(sigma.list(), ["a", "a.sigma"]);
    for cmd in ["-z -f a", "--compress -qf a", "-zf a"] {
        sigma.create("a.sigma", b"old");
        sigma.ok(cmd);
        assert!(sigma.read("a.sigma") == enc, "sigma {cmd}");
    }

    std::fs::remove_file(sigma.path("a")).unwrap();
    sigma.ok("-d -q a.sigma");
    assert!(sigma.read("a") == d, "sigma -d FILE.sigma");
    for cmd in [
        "-dc a.sigma",
        "-d -c a.sigma",
        "--decompress --stdout a.sigma",
        "-cd a.sigma",
    ] {
        assert!(sigma.ok(cmd).stdout == d, "sigma {cmd}");
    }
    let r = sigma.ok("-t a.sigma");
    assert!(
        r.stderr.starts_with("a.sigma: OK") && r.stdout.is_empty(),
        "{}",
        r.stderr
    );
    let text = stdout_text(sigma.ok("-l a.sigma"));
    has!(text, "file:           a.sigma", "level:          3");
    sigma.create("bad.sigma", &enc[..enc.len() - 1]);
    has!(sigma.sh("-t bad.sigma").expect_code(1).stderr, "bad.sigma");
    sigma.sh("-l bad.sigma").expect_code(1);

    // Bundled flags with a level: keep, force, level 9.
    sigma.ok("-kf9 -q a");
    assert!(sigma.read("a.sigma") == encode_bytes(&d, &Options::new().level(9)));
    assert!(sigma.read("a") == d, "-k keeps the input");
    for cmd in ["-d -z a", "-dz a", "-t -l a.sigma", "-z --decompress a"] {
        has!(sigma.sh(cmd).expect_code(2).stderr, "conflicting");
    }
    // --no-progress is accepted in both forms.
    sigma.ok("--no-progress -q -f a");
    sigma.ok("encode --no-progress -q -f a");
    assert!(sigma.ok("decode --no-progress -c a.sigma").stdout == d);
    assert!(sigma.read("a.sigma") == enc);
    assert_eq!(sigma.list(), ["a", "a.sigma", "bad.sigma"]);
}

#[test]
fn level_shorthands_give_each_levels_bytes() {
    let sigma = Sigma::new();
    let d = data();
    sigma.create("a", &d);
    for n in 1..=9u8 {
        let want = lib(&d, n, SEG);
        for cmd in [format!("-{n} -c"), format!("encode -c -{n}")] {
            let r = sigma.ok(&format!("{cmd} --segment-size 4K a"));
            assert!(r.stdout == want, "sigma {cmd}: not level {n}'s bytes");
        }
    }
    assert_eq!(sigma.list(), ["a"]);
}

#[test]
fn decode_without_an_input_reads_stdin() {
    let sigma = Sigma::new();
    let d = data();
    let enc = lib(&d, 3, SEG);
    for cmd in ["decode", "decode -q", "-d", "-dq"] {
        let r = sigma.run_stdin(words(cmd), &enc).ok();
        assert!(r.stdout == d, "sigma {cmd}");
    }
    let r = sigma.run_stdin(["verify"], &enc).ok();
    assert!(r.stderr.starts_with("stdin: OK"), "{}", r.stderr);
    has!(
        stdout_text(sigma.run_stdin(["-l"], &enc).ok()),
        "segments:       6"
    );
    assert!(sigma.list().is_empty());
}

// ---- Several inputs, -r, .sigma inputs ----

#[test]
fn several_inputs_get_one_summary_each_and_a_failure_fails_the_run() {
    let sigma = Sigma::new();
    let files = [
        ("a", data()),
        ("b", text(9_000, 5)),
        ("c", binary(13_000, 6)),
    ];
    for (n, d) in &files {
        sigma.create(n, d);
    }
    let enc = |k: usize| lib(&files[k].1, 3, SEG);
    let r = sigma.ok("encode --segment-size 4K a b c");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stderr);
    for (k, (n, _)) in files.iter().enumerate() {
        assert!(lines[k].starts_with(&format!("{n}: ")), "{}", r.stderr);
        assert!(sigma.read(&format!("{n}.sigma")) == enc(k));
    }
    // A missing input among them: the others are done, exit 1.
    for n in ["a.sigma", "c.sigma"] {
        std::fs::remove_file(sigma.path(n)).unwrap();
    }
    let r = sigma
        .sh("encode --segment-size 4K a missing c")
        .expect_code(1);
    has!(r.stderr, "missing: cannot open");
    assert_eq!(r.stderr.lines().count(), 3, "{}", r.stderr);
    assert!(sigma.read("a.sigma") == enc(0) && sigma.read("c.sigma") == enc(2));
    // Several to stdout: one stream after another.
    let r = sigma.ok("encode -q -c --segment-size 4K a b");
    assert!(r.stdout == [enc(0), enc(1)].concat());

    // Decode several.
    for (n, _) in &files {
        std::fs::remove_file(sigma.path(n)).unwrap();
    }
    let r = sigma.ok("decode a.sigma b.sigma c.sigma");
    assert_eq!(r.stderr.lines().count(), 3, "{}", r.stderr);
    for (n, d) in &files {
        assert!(sigma.read(n) == *d, "{n}");
    }
    assert_eq!(
        sigma.list(),
        ["a", "a.sigma", "b", "b.sigma", "c", "c.sigma"]
    );

    // Verify several, one of them damaged: every one reported, exit 1.
    let mut bad = enc(0);
    let at = layout(&bad).segments[1].payload().start + 9;
    bad[at] ^= 4;
    sigma.create("bad.sigma", &bad);
    let r = sigma.sh("verify a.sigma bad.sigma c.sigma").expect_code(1);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stderr);
    assert!(lines[0].starts_with("a.sigma: OK"), "{}", r.stderr);
    assert!(lines[1].starts_with("sigma: bad.sigma: "), "{}", r.stderr);
    has!(lines[1], "segment 1");
    assert!(lines[2].starts_with("c.sigma: OK"), "{}", r.stderr);
    // Info on several, one of them missing.
    let text = stdout_text(sigma.ok("info a.sigma b.sigma"));
    has!(text, "file:           a.sigma", "file:           b.sigma");
    let r = sigma.sh("info missing.sigma c.sigma").expect_code(1);
    has!(r.stderr, "missing.sigma");
    has!(stdout_text(r), "file:           c.sigma");

    // -o names one output.
    let before = sigma.list();
    for cmd in ["encode -o x a b", "decode -o x a.sigma b.sigma"] {
        has!(sigma.sh(cmd).expect_code(2).stderr, "-o");
    }
    assert_eq!(sigma.list(), before);
}

#[test]
fn recursive_walks_directories_and_directories_need_it() {
    let sigma = Sigma::new();
    std::fs::create_dir_all(sigma.path("d/sub/deeper")).unwrap();
    let (x, y, w) = (data(), text(7_000, 1), binary(5_000, 2));
    sigma.create("d/x", &x);
    sigma.create("d/sub/y", &y);
    sigma.create("d/sub/deeper/z", b"");
    sigma.create("d/sub/w.sigma", &lib(&w, 3, SEG));
    let before = tree(sigma.dir());
    for cmd in ["encode", "decode", "verify", "info"] {
        let r = sigma.sh(&format!("{cmd} d")).expect_code(1);
        has!(r.stderr, "d: is a directory", "-r");
    }
    assert_eq!(tree(sigma.dir()), before, "nothing written");

    let r = sigma.ok("encode -r --segment-size 4K d");
    has!(
        r.stderr,
        "d/sub/w.sigma: already has the .sigma suffix, skipped"
    );
    assert_eq!(
        r.stderr.lines().count(),
        4,
        "3 summaries and a note: {}",
        r.stderr
    );
    let encoded = concat!(
        "d/sub/deeper/z d/sub/deeper/z.sigma d/sub/w.sigma",
        " d/sub/y d/sub/y.sigma d/x d/x.sigma"
    );
    assert_eq!(tree(sigma.dir()), words(encoded));
    assert!(sigma.read("d/x.sigma") == lib(&x, 3, SEG));
    assert!(sigma.read("d/sub/y.sigma") == lib(&y, 3, SEG));
    assert!(sigma.read("d/sub/deeper/z.sigma") == lib(b"", 3, SEG));
    assert_eq!(sigma.ok("verify -r d").stderr.matches(": OK").count(), 4);
    assert_eq!(
        stdout_text(sigma.ok("info -r d")).matches("file:").count(),
        4
    );

    for n in ["d/x", "d/sub/y", "d/sub/deeper/z"] {
        std::fs::remove_file(sigma.path(n)).unwrap();
    }
    let r = sigma.ok("decode -r d");
    assert_eq!(r.stderr.lines().count(), 4, "{}", r.stderr);
    assert!(sigma.read("d/x") == x && sigma.read("d/sub/y") == y && sigma.read("d/sub/w") == w);
    assert_eq!(sigma.read("d/sub/deeper/z"), b"");
    let mut decoded = [words(encoded), vec!["d/sub/w"]].concat();
    decoded.sort();
    assert_eq!(tree(sigma.dir()), decoded);
}

#[test]
fn encode_skips_sigma_inputs_unless_forced() {
    let sigma = Sigma::new();
    let d = data();
    let enc = lib(&d, 3, SEG);
    sigma.create("x.sigma", &enc);
    sigma.create("a", &d);
    for cmd in ["encode x.sigma", "x.sigma"] {
        let r = sigma.ok(cmd);
        let note = "x.sigma: already has the .sigma suffix, skipped (use -f to encode it anyway)";
        assert_eq!(r.stderr, format!("sigma: {note}\n"));
        assert!(r.stdout.is_empty());
    }
    assert!(sigma.ok("encode -q x.sigma").stderr.is_empty());
    assert_eq!(sigma.list(), ["a", "x.sigma"]);
    // Among other inputs: the others are encoded.
    has!(
        sigma.ok("encode --segment-size 4K x.sigma a").stderr,
        "skipped"
    );
    assert!(sigma.read("a.sigma") == enc);
    sigma.ok("encode -q -f --segment-size 4K x.sigma");
    assert!(sigma.read("x.sigma.sigma") == lib(&enc, 3, SEG));
    assert_eq!(sigma.list(), ["a", "a.sigma", "x.sigma", "x.sigma.sigma"]);
}

// ---- Concatenated streams ----

#[test]
fn concatenated_streams_decode_to_the_concatenation() {
    let sigma = Sigma::new();
    let (a, b) = (data(), text(10_000, 9));
    // Different levels and segment sizes, and an empty stream between.
    let (ea, eb, e0) = (lib(&a, 3, SEG), lib(&b, 7, 8192), lib(b"", 1, SEG));
    let ab = [a.clone(), b.clone()].concat();
    let cat = [ea, e0, eb].concat();
    sigma.create("ab.sigma", &cat);
    assert!(sigma.ok("decode -q -c ab.sigma").stdout == ab, "file input");
    assert!(
        sigma.run_stdin(["decode", "-q"], &cat).ok().stdout == ab,
        "stdin"
    );
    sigma.ok("decode -q ab.sigma");
    assert!(sigma.read("ab") == ab);
    sigma.ok("verify -q ab.sigma");
    assert_eq!(sigma.list(), ["ab", "ab.sigma"]);
}

#[test]
fn trailing_data_after_a_stream_is_an_error_that_says_where() {
    let sigma = Sigma::new();
    let ea = lib(&data(), 3, SEG);
    let eb = lib(b"second", 1, SEG);
    for (head, tail) in [
        (ea.clone(), &b"garbage after the stream"[..]),
        (ea.clone(), b"\n"),
        (ea.clone(), &sigmalang::format::FILE_MAGIC[..3]),
        ([ea.clone(), eb.clone()].concat(), b"junk"),
    ] {
        let want = format!("trailing data after the stream at byte {}", head.len());
        let file = [&head[..], tail].concat();
        sigma.create("t.sigma", &file);
        let mut runs: Vec<Run> = ["decode", "decode -c", "verify"]
            .iter()
            .map(|cmd| sigma.sh(&format!("{cmd} t.sigma")))
            .collect();
        runs.push(sigma.run_stdin(["decode", "-c"], &file));
        runs.push(sigma.run_stdin(["verify", "-"], &file));
        for r in runs {
            has!(r.expect_code(1).stderr, &want);
        }
        assert_eq!(sigma.list(), ["t.sigma"], "tail {tail:?}");
    }
}

// ---- The output file: mode, mtime, holes ----

#[test]
fn outputs_keep_the_input_mode_and_mtime() {
    let sigma = Sigma::new();
    let d = data();
    let a = sigma.create("a", &d);
    let t1 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    let t2 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_234_567_890);
    std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o751)).unwrap();
    set_mtime(&a, t1);
    sigma.ok("encode -q a");
    sigma.ok("encode -q -o o.sigma a");
    for n in ["a.sigma", "o.sigma"] {
        assert_eq!(mode_mtime(&sigma.path(n)), (0o751, t1), "{n}");
    }
    std::fs::remove_file(&a).unwrap();
    sigma.ok("decode -q a.sigma");
    assert!(sigma.read("a") == d);
    assert_eq!(mode_mtime(&a), (0o751, t1));

    let o = sigma.path("o.sigma");
    std::fs::set_permissions(&o, std::fs::Permissions::from_mode(0o604)).unwrap();
    set_mtime(&o, t2);
    for (out, more) in [("b", ""), ("c", "--no-sparse"), ("r", "--range 0..")] {
        sigma.ok(&format!("decode -q -o {out} {more} o.sigma"));
        assert!(sigma.read(out) == d, "{out}");
        assert_eq!(mode_mtime(&sigma.path(out)), (0o604, t2), "decode {more}");
    }
    assert_eq!(sigma.list(), ["a", "a.sigma", "b", "c", "o.sigma", "r"]);
}

#[test]
fn decode_writes_runs_of_zeros_as_holes_unless_no_sparse() {
    let sigma = Sigma::new();
    let len = 4 << 20;
    let mut d = vec![0u8; len];
    d[..5000].copy_from_slice(&text(5000, 1));
    d[2 << 20..(2 << 20) + 5000].copy_from_slice(&text(5000, 2));
    let mut ends_in_data = d.clone();
    ends_in_data[len - 3000..].copy_from_slice(&text(3000, 3));
    let on_disk = |n: &str| std::fs::metadata(sigma.path(n)).unwrap().blocks() * 512;
    let few = (len / 8) as u64;
    for d in [d, ends_in_data] {
        let enc = lib(&d, 1, 64 << 10);
        sigma.create("z.sigma", &enc);
        for (out, cmd) in [
            ("z", "decode -q z.sigma"),
            ("s", "decode -q --sparse -o s z.sigma"),
            ("full", "decode -q --no-sparse -o full z.sigma"),
        ] {
            sigma.ok(cmd);
            assert!(sigma.read(out) == d, "{cmd}");
            let used = on_disk(out);
            if out == "full" {
                assert!(used >= len as u64, "{cmd}: {used} bytes on disk");
            } else {
                assert!(used < few, "{cmd}: {used} bytes on disk, no holes");
            }
        }
        // From stdin into a file as well.
        sigma.run_stdin(words("decode -q -o p"), &enc).ok();
        assert!(sigma.read("p") == d);
        assert!(on_disk("p") < few, "{} bytes on disk", on_disk("p"));
        assert_eq!(sigma.list(), ["full", "p", "s", "z", "z.sigma"]);
        for n in ["full", "p", "s", "z"] {
            std::fs::remove_file(sigma.path(n)).unwrap();
        }
    }
}

// ---- -v, the environment, completions ----

#[test]
fn verbose_prints_more() {
    let sigma = Sigma::new();
    sigma.create("a", &data());
    sigma.ok("encode -q a");
    for (plain, verbose) in [
        ("encode -f a", "encode -v -f a"),
        ("decode -f -o b a.sigma", "decode -v -f -o b a.sigma"),
        ("verify a.sigma", "verify --verbose a.sigma"),
        ("-dc a.sigma", "-dcv a.sigma"),
    ] {
        let p = sigma.ok(plain).stderr;
        let v = sigma.ok(verbose).stderr;
        assert!(v.lines().count() > p.lines().count(), "{verbose}: {v}");
        has!(v, "segment size", "peak RSS");
        assert!(!p.contains("peak RSS"), "{plain}: {p}");
    }
    has!(
        sigma.sh("encode -q -v -f a").expect_code(2).stderr,
        "cannot be used with"
    );
    assert_eq!(sigma.list(), ["a", "a.sigma", "b"]);
}

#[test]
fn environment_defaults_for_level_and_threads() {
    let sigma = Sigma::new();
    let d = data();
    sigma.create("a", &d);
    let enc = |cmd: &str, env: &[(&str, &str)]| {
        sigma.run_env(words(&format!("{cmd} -c --segment-size 4K a")), env)
    };
    let l1 = [("SIGMA_LEVEL", "1")];
    assert!(
        enc("encode", &l1).ok().stdout == lib(&d, 1, SEG),
        "SIGMA_LEVEL=1"
    );
    assert!(
        enc("encode", &[]).ok().stdout == lib(&d, 3, SEG),
        "no SIGMA_LEVEL"
    );
    assert!(
        enc("", &l1).ok().stdout == lib(&d, 1, SEG),
        "sigma FILE with SIGMA_LEVEL=1"
    );
    for cmd in ["encode -l 7", "encode --level=7", "encode -7", "-7"] {
        assert!(
            enc(cmd, &l1).ok().stdout == lib(&d, 7, SEG),
            "{cmd} beats SIGMA_LEVEL"
        );
    }
    for bad in ["12", "0", "x"] {
        let r = enc("encode", &[("SIGMA_LEVEL", bad)]).expect_code(2);
        has!(r.stderr, bad);
        assert!(r.stdout.is_empty());
    }

    let threads = |cmd: &str, env: &[(&str, &str)]| {
        let r = sigma
            .run_env(words(&format!("{cmd} --stats json")), env)
            .ok();
        let v: serde_json::Value = serde_json::from_str(r.stderr.trim()).unwrap();
        v["threads"].as_u64().unwrap()
    };
    let t1 = [("SIGMA_THREADS", "1")];
    let enc_f = "encode -q -f --segment-size 4K a";
    assert_eq!(threads(enc_f, &t1), 1);
    assert_eq!(
        threads(&format!("{enc_f} -T 2"), &t1),
        2,
        "-T beats SIGMA_THREADS"
    );
    assert_eq!(threads("decode -q -f -o b a.sigma", &t1), 1);
    assert_eq!(threads("verify a.sigma", &t1), 1);
    let r = enc("encode", &[("SIGMA_THREADS", "5000")]).expect_code(2);
    has!(r.stderr, "limit of 1024");
    assert!(sigma.read("a.sigma") == lib(&d, 3, SEG) && sigma.read("b") == d);
    assert_eq!(sigma.list(), ["a", "a.sigma", "b"]);
}

#[test]
fn shell_completions_and_man_page() {
    let sigma = Sigma::new();
    for sh in ["bash", "zsh", "fish"] {
        let script = stdout_text(sigma.ok(&format!("completions {sh}")));
        has!(script, "encode", "decode", "segment-size");
    }
    let r = sigma.sh("completions nosuch").expect_code(2);
    assert!(r.stdout.is_empty());
    has!(r.stderr, "nosuch");
    sigma.sh("completions").expect_code(2);
    has!(
        stdout_text(sigma.ok("manpage")),
        ".TH sigma",
        "SIGMA_LEVEL",
        "EXIT STATUS"
    );
    assert!(sigma.list().is_empty());
}
