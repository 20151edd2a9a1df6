//! The `sigma` binary at its edges (issue 19): limits that used to crash or fill the disk, the
//! input kept with `-c`, stale temporary files, signals and `--resume`, FIFOs, output-side errors,
//! exit codes, sizes as typed and printed. File size limits and durability are in
//! `cli_cleanup.rs`.

#[macro_use]
mod util;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, SystemTime};
use util::*;

const SEG: u32 = 4096;

fn data() -> Vec<u8> {
    mixed(5 * SEG as usize + 123, SEG as usize, 19)
}

/// What the library writes for `data` at `level` with `seg`-byte segments.
fn lib(data: &[u8], level: u8, seg: u32) -> Vec<u8> {
    encode_bytes(data, &opts(1, level, seg))
}

/// `secs` seconds ago.
fn ago(secs: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(secs)
}

/// Segments and threads from the JSON object `--stats json` prints on stderr.
fn segments_threads(r: &Run) -> (u64, u64) {
    let v: serde_json::Value = serde_json::from_str(r.stderr.trim()).expect(&r.stderr);
    (
        v["segments"].as_u64().unwrap(),
        v["threads"].as_u64().unwrap(),
    )
}

// ---- Limits: usage errors with nothing on disk ----

#[test]
fn window_and_thread_limits_are_usage_errors_that_leave_nothing() {
    let sigma = Sigma::new();
    let d = data();
    sigma.create("a", &d);
    sigma.create("b.sigma", &lib(&d, 3, SEG));
    for w in ["4097", "100000000", "99999999999", "18446744073709551615"] {
        for cmd in "encode a|encode -c a|decode b.sigma|verify b.sigma".split('|') {
            let r = sigma.sh(&format!("{cmd} --window {w}")).expect_code(2);
            has!(r.stderr, "limit of 4096", w, "memory", "MiB");
            assert!(r.stdout.is_empty());
        }
    }
    // One past u64: still a usage error, not a panic.
    let r = sigma.sh("encode a --window 18446744073709551616");
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    for t in ["1025", "100000000", "18446744073709551615"] {
        for cmd in "encode -T {} a|decode b.sigma --threads {}|verify -T {} b.sigma".split('|') {
            let r = sigma.sh(&cmd.replace("{}", t)).expect_code(2);
            has!(r.stderr, "limit of 1024", t, "MiB");
        }
    }
    assert_eq!(sigma.list(), ["a", "b.sigma"], "nothing written");

    // The limits themselves are accepted and give the usual bytes.
    sigma.ok("encode -q -T 1024 --window 4096 --segment-size 4K a");
    assert!(sigma.read("a.sigma") == lib(&d, 3, SEG));
    let r = sigma.ok("decode -q -c -T 1024 --window 4096 a.sigma");
    assert!(r.stdout == d);
    assert_eq!(sigma.list(), ["a", "a.sigma", "b.sigma"]);
}

#[test]
fn threads_are_clamped_to_the_segments() {
    let sigma = Sigma::new();
    let small = text(20_000, 4);
    sigma.create("one", &small);
    let r = sigma.ok("encode -T 1000 --stats json one");
    assert_eq!(segments_threads(&r), (1, 1));
    assert!(sigma.read("one.sigma") == encode_bytes(&small, &sigmalang::Options::new()));
    let d = data();
    sigma.create("six", &d);
    let r = sigma.ok("encode -T 1000 --segment-size 4K --stats json six");
    assert_eq!(segments_threads(&r), (6, 6));
    assert!(sigma.read("six.sigma") == lib(&d, 3, SEG));
    for cmd in ["decode -c", "verify"] {
        let r = sigma.ok(&format!("{cmd} -T 1000 --stats json one.sigma"));
        assert_eq!(segments_threads(&r), (1, 1), "{cmd}");
    }
    assert_eq!(sigma.list(), ["one", "one.sigma", "six", "six.sigma"]);
}

// ---- --rm with -c, -c with -o ----

#[test]
fn rm_with_stdout_keeps_the_input_and_c_with_o_is_refused() {
    let sigma = Sigma::new();
    let d = data();
    let enc = lib(&d, 3, SEG);
    sigma.create("a", &d);
    sigma.create("b.sigma", &enc);
    let r = sigma.ok("encode --rm -c --segment-size 4K a");
    assert!(r.stdout == enc);
    has!(r.stderr, "a: kept");
    for cmd in ["decode --rm -c b.sigma", "-dc --rm b.sigma"] {
        let r = sigma.ok(cmd);
        assert!(r.stdout == d);
        has!(r.stderr, "b.sigma: kept");
    }
    assert_eq!(sigma.list(), ["a", "b.sigma"]);
    assert!(sigma.read("a") == d && sigma.read("b.sigma") == enc);
    for cmd in [
        "encode -c -o x a",
        "encode -o x --stdout --rm a",
        "decode -c -o x b.sigma",
        "decode --rm -o x -c b.sigma",
        "-dc -o x b.sigma",
    ] {
        let r = sigma.sh(cmd).expect_code(2);
        assert!(r.stdout.is_empty(), "sigma {cmd} wrote to stdout");
        has!(r.stderr, "cannot be used with");
    }
    assert_eq!(sigma.list(), ["a", "b.sigma"], "nothing written or removed");
}

// ---- Stale temporary files ----

#[test]
fn stale_temporary_files_are_removed_by_the_next_run() {
    let sigma = Sigma::new();
    let d = data();
    sigma.create("a", &d);
    let (stale, other) = (".a.sigma.Stale1.sigma-tmp", ".b.Stale2.sigma-tmp");
    let (fresh, young) = (".a.sigma.Fresh1.sigma-tmp", ".a.sigma.Young1.sigma-tmp");
    let (locked, plain) = (".a.sigma.Lockd1.sigma-tmp", "notes.sigma-tmp");
    for (name, secs) in [(stale, 11), (other, 3600), (fresh, 0), (young, 5)] {
        sigma.create(name, b"half a file");
        set_mtime(&sigma.path(name), ago(secs));
    }
    for name in [locked, plain] {
        sigma.create(name, b"half a file");
        set_mtime(&sigma.path(name), ago(3600));
    }
    // Another process (this one) is still writing `locked`.
    let lock = File::open(sigma.path(locked)).unwrap();
    lock.try_lock().expect("lock the file");

    let r = sigma.ok("encode --segment-size 4K a");
    for name in [stale, other] {
        let line = r.stderr.lines().find(|l| l.contains(name)).unwrap_or("");
        has!(line, "removed", "interrupted run");
    }
    assert_eq!(r.stderr.matches("removed").count(), 2, "{}", r.stderr);
    assert!(sigma.read("a.sigma") == lib(&d, 3, SEG));
    let kept = [fresh, locked, young, "a", "a.sigma", plain];
    assert_eq!(sigma.list(), kept);

    // Decode cleans the output's directory, quietly with -q.
    std::fs::create_dir(sigma.path("sub")).unwrap();
    for (name, cmd) in [
        ("sub/.x.Stale3.sigma-tmp", "decode -o sub/x a.sigma"),
        ("sub/.y.Stale4.sigma-tmp", "decode -q -o sub/y a.sigma"),
    ] {
        sigma.create(name, b"half a file");
        set_mtime(&sigma.path(name), ago(60));
        let r = sigma.ok(cmd);
        if cmd.contains("-q") {
            assert!(r.stderr.is_empty(), "{}", r.stderr);
        } else {
            has!(r.stderr, ".x.Stale3.sigma-tmp", "removed", "interrupted");
        }
        assert!(!sigma.exists(name), "{name} still there");
    }
    assert_eq!(std::fs::read_dir(sigma.path("sub")).unwrap().count(), 2);
    assert!(sigma.read("sub/x") == d && sigma.read("sub/y") == d);
    // The test directory was not the output directory this time: nothing more removed there.
    assert_eq!(sigma.list(), [&kept[..], &["sub"]].concat());
    drop(lock);
}

// ---- Signals and --resume ----

/// Runs `sigma args`, waits until `partial` is longer than `past` (and than 8 KiB), then sends
/// `signal`.
fn interrupt(sigma: &Sigma, args: &[&str], signal: &str, partial: &Path, past: u64) -> Run {
    let mut child = sigma.spawn(args);
    let mut finished = false;
    let grew = wait_until(Duration::from_secs(60), || {
        finished = child.try_wait().unwrap().is_some();
        finished || len_of(partial) > past.max(8 << 10)
    });
    if finished || !grew {
        let _ = child.kill();
        let r = run_of(child.wait_with_output().unwrap());
        panic!("sigma {args:?} finished or wrote nothing before the signal: {r:?}");
    }
    send_signal(signal, child.id());
    run_of(child.wait_with_output().unwrap())
}

#[test]
fn sigterm_and_sigint_keep_the_partial_output_and_resume_finishes_it() {
    let sigma = Sigma::new();
    // Slow to encode at level 9 on one thread (a few MiB/s), half its size encoded.
    let d = hard(8 << 20, 5);
    sigma.create("big", &d);
    let partial = sigma.path("big.sigma.partial");
    let args = words("encode -T 1 -l 9 --segment-size 4K big");
    let r = interrupt(&sigma, &args, "-TERM", &partial, 0).expect_code(143);
    let resume = "resume with: sigma encode --resume big\n";
    has!(r.stderr, "interrupted (SIGTERM)", resume);
    has!(
        r.stderr,
        "the work done so far is kept in big.sigma.partial"
    );
    assert_eq!(sigma.list(), ["big", "big.sigma.partial"]);
    let after_term = len_of(&partial);

    // The resumed run (level and segment size from the partial output) interrupted again.
    let args = words("encode --resume -T 1 big");
    let r = interrupt(&sigma, &args, "-INT", &partial, after_term).expect_code(130);
    has!(r.stderr, "interrupted (SIGINT)", resume);
    assert_eq!(sigma.list(), ["big", "big.sigma.partial"]);
    assert!(len_of(&partial) > after_term, "progress kept");

    has!(sigma.ok("encode --resume big").stderr, "resumed after");
    assert_eq!(sigma.list(), ["big", "big.sigma"]);
    // The bytes of an uninterrupted run.
    assert!(sigma.read("big.sigma") == encode_bytes(&d, &opts(2, 9, SEG)));

    // The command printed names the output when it is not the default, quoted for the shell.
    sigma.create("my big", &d);
    let partial = sigma.path("out.sigma.partial");
    let mut args = words("encode -T 1 -l 9 --segment-size 4K -o out.sigma");
    args.push("my big");
    let r = interrupt(&sigma, &args, "-TERM", &partial, 0).expect_code(143);
    has!(r.stderr, "sigma encode --resume 'my big' -o out.sigma\n");
    let list = ["big", "big.sigma", "my big", "out.sigma.partial"];
    assert_eq!(sigma.list(), list);
}

#[test]
fn a_signal_during_decode_leaves_no_temporary_file_and_no_output() {
    let enc = lib(&data(), 3, SEG);
    for (signal, code) in [("-TERM", 143), ("-INT", 130)] {
        let sigma = Sigma::new();
        let fifo = sigma.path("x.sigma");
        mkfifo(&fifo);
        // Half the stream, then the FIFO stays open: the decode waits for more until the signal.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (half, f2) = (enc[..enc.len() / 2].to_vec(), fifo.clone());
        let writer = std::thread::spawn(move || {
            let mut f = OpenOptions::new().write(true).open(&f2).unwrap();
            f.write_all(&half).unwrap();
            let _ = rx.recv();
        });
        let child = sigma.spawn(["decode", "x.sigma"]);
        let tmp = || sigma.list().iter().any(|n| n.ends_with(".sigma-tmp"));
        assert!(wait_until(Duration::from_secs(20), tmp), "no temp file");
        // Registered for cleanup just after it is created.
        std::thread::sleep(Duration::from_millis(200));
        send_signal(signal, child.id());
        let r = run_of(child.wait_with_output().unwrap());
        drop(tx);
        writer.join().unwrap();
        has!(r.expect_code(code).stderr, "interrupted");
        assert_eq!(sigma.list(), ["x.sigma"], "after {signal}");
    }
}

#[test]
fn resume_without_a_partial_output_says_it_starts_over() {
    let sigma = Sigma::new();
    let d = data();
    sigma.create("a", &d);
    let r = sigma.ok("encode --resume --segment-size 4K a");
    has!(r.stderr, "no partial output a.sigma.partial to resume");
    has!(r.stderr, "; encoding from the start");
    assert!(sigma.read("a.sigma") == lib(&d, 3, SEG));
    assert_eq!(sigma.list(), ["a", "a.sigma"]);
    // --resume needs an output file.
    for cmd in ["encode --resume -c a", "encode --resume -o - a"] {
        let r = sigma.sh(cmd).expect_code(2);
        has!(r.stderr, "--resume");
        assert!(r.stdout.is_empty());
    }
    let r = sigma.run_stdin(words("encode --resume -o p.sigma -"), &d);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(sigma.list(), ["a", "a.sigma"]);
}

#[test]
fn resume_takes_level_and_segment_size_from_the_partial_output() {
    let sigma = Sigma::new();
    let d = mixed(20 * SEG as usize + 77, SEG as usize, 23);
    let full = lib(&d, 1, SEG);
    let at = |k: usize| layout(&full).segments[k].offset;
    sigma.create("a", &d);
    // The header and 7 whole segments, then the same and part of the 8th; then with -l 1 given.
    for (cut, cmd, n) in [
        (at(7), "encode --resume a", 7),
        (at(7) + 100, "encode --resume a", 7),
        (at(3), "encode --resume -l 1 a", 3),
    ] {
        sigma.create("a.sigma.partial", &full[..cut]);
        let r = sigma.ok(cmd);
        has!(r.stderr, &format!("resumed after {n} verified segments"));
        assert!(sigma.read("a.sigma") == full, "{cmd}: not level 1 / 4 KiB");
        assert_eq!(sigma.list(), ["a", "a.sigma"]);
        std::fs::remove_file(sigma.path("a.sigma")).unwrap();
    }
    // A level that disagrees with the partial output: refused, the partial output kept.
    sigma.create("a.sigma.partial", &full[..at(3)]);
    let r = sigma.sh("encode --resume -l 5 a").expect_code(1);
    has!(r.stderr, "cannot resume");
    assert_eq!(sigma.list(), ["a", "a.sigma.partial"]);
    assert!(sigma.read("a.sigma.partial") == full[..at(3)]);
}

// ---- FIFOs given by path ----

#[test]
fn a_fifo_given_by_path_is_streamed() {
    let sigma = Sigma::new();
    let d = data();
    let enc = lib(&d, 3, SEG);
    sigma.create("r.sigma", &enc);
    let fifo = sigma.path("s.sigma");
    mkfifo(&fifo);
    let run = |cmd: &str, enc: &[u8]| {
        let h = feed_fifo(&fifo, enc.to_vec());
        let r = sigma.sh(cmd);
        release_fifo(&fifo, h);
        r
    };
    assert!(run("decode -c s.sigma", &enc).ok().stdout == d);
    run("decode -q s.sigma", &enc).ok();
    assert!(sigma.read("s") == d);
    let r = run("verify s.sigma", &enc).ok();
    assert!(r.stderr.starts_with("s.sigma: OK"), "{}", r.stderr);
    let text = String::from_utf8(run("info s.sigma", &enc).ok().stdout).unwrap();
    has!(text, "segments:       6");
    has!(text, &format!("raw size:       {} bytes", d.len()));
    // The same description as from the file's index.
    let json = |r: Run| serde_json::from_slice::<serde_json::Value>(&r.ok().stdout).unwrap();
    let mut v = json(run("info --json s.sigma", &enc));
    let w = json(sigma.sh("info --json r.sigma"));
    v["file"] = w["file"].clone();
    assert_eq!(v, w);
    // A damaged stream through the FIFO is still caught.
    let mut bad = enc.clone();
    bad[layout(&enc).segments[2].payload().start + 5] ^= 1;
    let r = run("verify s.sigma", &bad).expect_code(1);
    has!(r.stderr, "segment 2");
    assert_eq!(sigma.list(), ["r.sigma", "s", "s.sigma"]);
}

// ---- Errors name the output; exit codes; bad magic; sizes ----

#[test]
fn output_side_failures_name_the_output_and_the_operation() {
    let sigma = Sigma::new();
    let d = data();
    sigma.create("a", &d);
    sigma.create("a.sigma", &lib(&d, 3, SEG));
    let mut wrong = Vec::new();
    let mut check = |what: &str, r: Run, want: &str| {
        let e = &r.stderr;
        let input_first = e.starts_with("sigma: a:") || e.starts_with("sigma: a.sigma:");
        if r.code != Some(1) || !e.contains(want) || input_first {
            let code = r.code;
            wrong.push(format!("{what}: exit {code:?}, want {want:?}, got {e:?}"));
        }
    };
    for (cmd, out) in [
        ("encode -o nodir/x.sigma a", "nodir/x.sigma"),
        ("decode -o nodir/x a.sigma", "nodir/x"),
    ] {
        let r = sigma.sh(cmd);
        assert!(r.stderr.contains("cannot create"), "{cmd}: {}", r.stderr);
        check(cmd, r, out);
    }
    let r = sigma.run_stdin(words("encode -o nodir/x.sigma -"), &d);
    check(
        "encode -o nodir/x.sigma -",
        r,
        "nodir/x.sigma: cannot create",
    );
    let full = "/dev/full: cannot write: No space left on device";
    for cmd in ["encode -o /dev/full a", "decode -o /dev/full a.sigma"] {
        check(cmd, sigma.sh(cmd), full);
    }
    let r = sigma.sh("decode --range 0.. -o /dev/full a.sigma");
    check("--range -o /dev/full", r, full);
    // Stdout on a full device is named stdout.
    for cmd in ["encode -c a", "decode -c a.sigma"] {
        let mut c = sigma.command(words(cmd));
        let full = File::create("/dev/full").unwrap();
        let out = c.stdin(Stdio::null()).stdout(full).output();
        let want = "stdout: cannot write: No space left on device";
        check(&format!("{cmd} > /dev/full"), run_of(out.unwrap()), want);
    }
    // A directory the user cannot write to (root can: checked only where it applies).
    std::fs::create_dir(sigma.path("ro")).unwrap();
    sigma.create("ro/c", &d);
    let ro = |mode| {
        use std::os::unix::fs::PermissionsExt;
        let p = std::fs::Permissions::from_mode(mode);
        std::fs::set_permissions(sigma.path("ro"), p).unwrap();
    };
    ro(0o555);
    if File::create(sigma.path("ro/probe")).is_err() {
        check("encode ro/c", sigma.sh("encode ro/c"), "ro/c.sigma");
    }
    ro(0o755);
    let _ = std::fs::remove_file(sigma.path("ro/probe"));
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(sigma.list(), ["a", "a.sigma", "ro"]);
    assert_eq!(std::fs::read_dir(sigma.path("ro")).unwrap().count(), 1);
}

#[test]
fn range_past_the_end_is_a_usage_error_and_a_long_range_stops_at_the_end() {
    let sigma = Sigma::new();
    let d = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN".to_vec();
    assert_eq!(d.len(), 50);
    sigma.create("x.sigma", &lib(&d, 3, SEG));
    sigma.create("e.sigma", &lib(b"", 3, SEG));
    for (cmd, want) in [
        ("0..100 x.sigma", &d[..]),
        ("10..100 x.sigma", &d[10..]),
        ("45.. x.sigma", &d[45..]),
        ("50..100 x.sigma", &[][..]),
        ("0..100 e.sigma", &[][..]),
        ("0.. e.sigma", &[][..]),
    ] {
        let r = sigma.ok(&format!("decode -c --range {cmd}"));
        assert_eq!(r.stdout, want, "{cmd}");
    }
    for cmd in ["51..100 x.sigma", "100000.. x.sigma", "1..2 e.sigma"] {
        for out in ["-c", "-o out"] {
            let r = sigma.sh(&format!("decode --range {cmd} {out}"));
            let r = r.expect_code(2);
            has!(r.stderr, "past the end");
            assert!(r.stdout.is_empty());
        }
    }
    assert_eq!(sigma.list(), ["e.sigma", "x.sigma"]);
    sigma.ok("decode -q --range 0..100 -o out x.sigma");
    assert_eq!(sigma.read("out"), d);
    assert_eq!(sigma.list(), ["e.sigma", "out", "x.sigma"]);
}

#[test]
fn bad_magic_is_printed_in_hex() {
    let sigma = Sigma::new();
    let text = b"use strict;\nprint 'not sigma';\n".repeat(10);
    sigma.create("bad.sigma", &text);
    let mut runs: Vec<Run> = ["decode", "decode -c", "verify", "info"]
        .iter()
        .map(|cmd| sigma.sh(&format!("{cmd} bad.sigma")))
        .collect();
    runs.push(sigma.run_stdin(words("decode -c -"), &text));
    for r in runs {
        let r = r.expect_code(1);
        has!(r.stderr, "bad magic 0x75 0x73 0x65 0x20");
        assert!(r.stdout.is_empty());
    }
    assert_eq!(sigma.list(), ["bad.sigma"]);
}

#[test]
fn summaries_say_1_segment_and_print_binary_units() {
    let sigma = Sigma::new();
    sigma.create("a", &text(300_000, 8));
    let r = sigma.ok("encode a");
    has!(r.stderr, ", 1 segment, 1 thread\n");
    let mut outputs = vec![r.stderr];
    for cmd in "decode -c a.sigma|verify a.sigma|decode -v -o b a.sigma".split('|') {
        let r = sigma.ok(cmd);
        has!(r.stderr, ", 1 segment, ");
        outputs.push(r.stderr);
    }
    outputs.push(sigma.ok("encode -v -f a").stderr);
    outputs.push(String::from_utf8(sigma.ok("info a.sigma").stdout).unwrap());
    for o in &outputs {
        has!(o, "KiB");
        for unit in ["1 segments", "kB", " KB", " MB", " GB", "MB/s"] {
            assert!(!o.contains(unit), "{unit:?} in {o}");
        }
    }
}

#[test]
fn segment_sizes_take_binary_units_in_any_spelling() {
    let sigma = Sigma::new();
    let d = mixed(3 * 65536 + 5, 65536, 31);
    sigma.create("a", &d);
    for (sizes, seg) in [
        ("64K 64k 64KiB 64kib 64KB 65536", 64 << 10),
        ("4M 4m 4MiB 4mib 4194304", 4 << 20),
    ] {
        let want = lib(&d, 3, seg);
        for s in words(sizes) {
            let r = sigma.ok(&format!("encode -c --segment-size {s} a"));
            assert!(r.stdout == want, "--segment-size {s}");
        }
    }
    for s in ["64X", "1.5M", "64KiBs", "3K"] {
        let r = sigma.sh(&format!("encode -c --segment-size {s} a"));
        assert_eq!(r.code, Some(2), "--segment-size {s}: {}", r.stderr);
    }
    assert_eq!(sigma.list(), ["a"]);
}
