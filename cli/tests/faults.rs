//! Faults from outside: a full disk or a file-size limit, an input that changes while it is
//! encoded, SIGTERM/SIGINT in the middle of a run. A failed or interrupted run leaves nothing under
//! the final name, no temporary or partial file (unless `--resume` asked to keep it), and never
//! touches its input.

mod util;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sigmalang::{Error, Options, Source};
use util::{assert_unchanged, hard, snapshot, Sigma, FILE_HEADER_LEN, SEGMENT_HEADER_LEN};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Names in the directory that are temporary or partial outputs.
fn leftovers(sigma: &Sigma) -> Vec<String> {
    sigma
        .list()
        .into_iter()
        .filter(|n| n.ends_with(".sigma-tmp") || n.ends_with(".partial"))
        .collect()
}

#[track_caller]
fn assert_one_line_error(stderr: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "want one error line, got:\n{stderr}");
    assert!(lines[0].starts_with("sigma: "), "{stderr}");
}

/// Runs `sigma ARGS` through `sh` with SIGXFSZ ignored and the file size limited to 32 KiB, so a
/// write past it fails with EFBIG like a full disk would fail with ENOSPC.
fn run_limited(sigma: &Sigma, args: &str) -> util::Run {
    let script = format!("trap '' XFSZ; ulimit -f 64; exec \"$SIGMA\" {args}");
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("SIGMA", Sigma::bin())
        .current_dir(sigma.dir())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    util::Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Polls `cond` every 2 ms; panics after `secs` seconds.
#[track_caller]
fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn send_signal(child: &Child, sig: &str) {
    let st = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(st.success(), "kill -{sig} failed");
}

/// Waits for `child` with a timeout (kills it and panics if it hangs); returns exit code and stderr.
fn wait_child(mut child: Child) -> (Option<i32>, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                e.read_to_string(&mut err).unwrap();
            }
            return (status.code(), err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sigma did not exit after the signal");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn temp_of(sigma: &Sigma, target: &str) -> bool {
    let prefix = format!(".{target}.");
    sigma
        .list()
        .iter()
        .any(|n| n.starts_with(&prefix) && n.ends_with(".sigma-tmp"))
}

// ---------------------------------------------------------------------------------------------
// Write errors
// ---------------------------------------------------------------------------------------------

#[test]
fn file_size_limit_during_encode() {
    let sigma = Sigma::new();
    let input = sigma.create("in", &util::random(200_000, 1));
    let before = snapshot(&input);
    // File to file (through out.partial) and stdin to file (through a temporary file).
    for args in [
        "encode in -o out.sigma --segment-size 16K",
        "encode in -o out.sigma --segment-size 16K --resume",
        "encode - -o out.sigma --segment-size 16K < in",
    ] {
        let script_args = args.to_string();
        let run = run_limited(&sigma, &script_args);
        assert_eq!(run.code, Some(1), "{args}: {}", run.stderr);
        // --resume with nothing to resume says so first.
        let note = "no partial output out.sigma.partial to resume; encoding from the start";
        assert_eq!(
            run.stderr.contains(note),
            args.contains("--resume"),
            "{}",
            run.stderr
        );
        let errors: Vec<&str> = run.stderr.lines().filter(|l| !l.contains(note)).collect();
        assert_one_line_error(&(errors.join("\n") + "\n"));
        assert!(
            run.stderr.contains("too large") || run.stderr.contains("os error"),
            "{args}: {}",
            run.stderr
        );
        assert!(!sigma.exists("out.sigma"), "{args}: output created");
        let left = leftovers(&sigma);
        if args.contains("--resume") {
            // --resume keeps what was written for a later resume.
            assert_eq!(left, vec!["out.sigma.partial".to_string()], "{args}");
            fs::remove_file(sigma.path("out.sigma.partial")).unwrap();
        } else {
            assert!(left.is_empty(), "{args}: left {left:?}");
        }
        assert_unchanged(&input, &before);
    }
    // Without the limit the same command works (the failure was the limit).
    sigma
        .run([
            "encode",
            "in",
            "-o",
            "out.sigma",
            "--segment-size",
            "16K",
            "-q",
        ])
        .ok();
    assert!(fs::metadata(sigma.path("out.sigma")).unwrap().len() > 32 << 10);
}

#[test]
fn file_size_limit_during_decode() {
    let sigma = Sigma::new();
    let data = util::random(200_000, 2);
    let enc = util::encode_bytes(&data, &util::opts(1, 3, 16 << 10));
    let input = sigma.create("in.sigma", &enc);
    let before = snapshot(&input);
    for args in ["decode in.sigma -o out", "decode - -o out < in.sigma"] {
        let run = run_limited(&sigma, args);
        assert_eq!(run.code, Some(1), "{args}: {}", run.stderr);
        // --resume with nothing to resume says so first.
        let note = "no partial output out.sigma.partial to resume; encoding from the start";
        assert_eq!(
            run.stderr.contains(note),
            args.contains("--resume"),
            "{}",
            run.stderr
        );
        let errors: Vec<&str> = run.stderr.lines().filter(|l| !l.contains(note)).collect();
        assert_one_line_error(&(errors.join("\n") + "\n"));
        assert!(!sigma.exists("out"), "{args}: output created");
        let left = leftovers(&sigma);
        assert!(left.is_empty(), "{args}: left {left:?}");
        assert_unchanged(&input, &before);
    }
}

#[test]
fn writing_to_dev_full() {
    let dev_full = Path::new("/dev/full");
    if !dev_full.exists() {
        eprintln!("no /dev/full: skipped");
        return;
    }
    let sigma = Sigma::new();
    let data = util::text(100_000, 3);
    let input = sigma.create("in", &data);
    let enc_input = sigma.create("in.sigma", &util::encode_bytes(&data, &Options::new()));
    let (b1, b2) = (snapshot(&input), snapshot(&enc_input));
    let cases: [&[&str]; 4] = [
        &["encode", "in", "-o", "/dev/full"],
        &["encode", "in", "-c"],
        &["decode", "in.sigma", "-o", "/dev/full"],
        &["decode", "in.sigma", "-c"],
    ];
    for args in cases {
        let full = OpenOptions::new().write(true).open(dev_full).unwrap();
        let out = sigma
            .command(args)
            .stdin(Stdio::null())
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert_one_line_error(&stderr);
        assert!(
            stderr.contains("No space left") || stderr.contains("os error 28"),
            "{args:?}: {stderr}"
        );
        assert!(leftovers(&sigma).is_empty());
    }
    assert_unchanged(&input, &b1);
    assert_unchanged(&enc_input, &b2);
}

#[test]
fn partial_output_of_a_read_only_input_stays_writable() {
    use std::os::unix::fs::PermissionsExt;
    let sigma = Sigma::new();
    let input = sigma.create("in", &util::random(200_000, 11));
    fs::set_permissions(&input, fs::Permissions::from_mode(0o444)).unwrap();
    let before = snapshot(&input);
    // The size limit stops the run; --resume keeps its partial output for a later resume.
    let run = run_limited(&sigma, "encode in -o out.sigma --segment-size 16K --resume");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let partial = sigma.path("out.sigma.partial");
    let mode = fs::metadata(&partial).unwrap().permissions().mode() & 0o7777;
    assert_unchanged(&input, &before);
    assert!(
        mode & 0o200 != 0,
        "the partial output has mode {mode:o}: a non-root resume cannot open it for writing"
    );
}

// ---------------------------------------------------------------------------------------------
// Input changing while it is encoded
// ---------------------------------------------------------------------------------------------

/// Encodes `path` with one thread, 4 KiB segments and a window of one; `mutate` runs in the
/// progress callback after the first segment has been written.
fn encode_while_changing(path: &Path, mutate: impl Fn(&Path) + Sync) -> sigmalang::Result<u64> {
    let f = File::open(path).unwrap();
    let opts = Options::new().threads(1).segment_size(4096).window(1);
    let calls = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let progress = |_read: u64, _written: u64| {
        calls.fetch_add(1, Ordering::SeqCst);
        if !done.swap(true, Ordering::SeqCst) {
            mutate(path);
        }
    };
    let mut out = Vec::new();
    sigmalang::encode(Source::File(&f), &mut out, &opts, Some(&progress))?;
    Ok(calls.load(Ordering::SeqCst))
}

#[test]
fn input_shrinking_while_encoded_is_an_error() {
    let sigma = Sigma::new();
    let data = util::mixed(10 * 4096 + 500, 4096, 4);
    // Cut in the middle of a later segment, at a segment boundary, and below what was already read.
    for (round, cut) in [30_000u64, 5 * 4096, 100, 4096 * 10]
        .into_iter()
        .cycle()
        .take(40)
        .enumerate()
    {
        let p = sigma.create("in", &data);
        let r = encode_while_changing(&p, |p| {
            OpenOptions::new()
                .write(true)
                .open(p)
                .unwrap()
                .set_len(cut)
                .unwrap();
        });
        match r {
            Err(Error::InputChanged(msg)) => assert!(!msg.is_empty()),
            other => panic!("round {round}, cut to {cut}: want InputChanged, got {other:?}"),
        }
    }
}

#[test]
fn input_growing_while_encoded_is_an_error() {
    let sigma = Sigma::new();
    let data = util::mixed(10 * 4096 + 500, 4096, 5);
    for (round, extra) in [1usize, 3596, 4096, 50_000]
        .into_iter()
        .cycle()
        .take(40)
        .enumerate()
    {
        let p = sigma.create("in", &data);
        let r = encode_while_changing(&p, |p| {
            let mut f = OpenOptions::new().append(true).open(p).unwrap();
            f.write_all(&vec![0x61; extra]).unwrap();
        });
        match r {
            Err(Error::InputChanged(msg)) => {
                assert!(msg.contains(&data.len().to_string()), "{msg}")
            }
            other => {
                panic!("round {round}, {extra} bytes appended: want InputChanged, got {other:?}")
            }
        }
    }
    // Control: the same run with a callback that changes nothing succeeds, calling it per segment.
    let p = sigma.create("in", &data);
    let calls = encode_while_changing(&p, |_| {}).unwrap();
    assert_eq!(calls, 11);
}

// ---------------------------------------------------------------------------------------------
// Signals
// ---------------------------------------------------------------------------------------------

/// `sigma encode - -o out.sigma` with stdin left open after some data, or `sigma decode - -o out`
/// fed the first part of a stream: interrupted by `sig`, it exits 128 + the signal's number and
/// leaves nothing.
fn interrupt_stdin_run(sig: &str, decode: bool) {
    let sigma = Sigma::new();
    let data = util::text(300_000, 6);
    let (args, target, feed): (&[&str], &str, Vec<u8>) = if decode {
        let enc = util::encode_bytes(&data, &util::opts(1, 3, 16 << 10));
        let cut = enc.len() / 2;
        (
            &["decode", "-", "-o", "out", "-T1"],
            "out",
            enc[..cut].to_vec(),
        )
    } else {
        (
            &[
                "encode",
                "-",
                "-o",
                "out.sigma",
                "-T1",
                "--segment-size",
                "16K",
            ],
            "out.sigma",
            data[..100_000].to_vec(),
        )
    };
    let mut child = sigma.spawn_fed(args);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&feed).unwrap();
    stdin.flush().unwrap();
    wait_until(20, "the temporary output", || temp_of(&sigma, target));
    // The temporary file exists: give sigma a moment to register it for cleanup and to work on
    // the data it has (it then blocks reading stdin, which stays open).
    std::thread::sleep(Duration::from_millis(150));
    assert!(child.try_wait().unwrap().is_none(), "sigma exited early");
    send_signal(&child, sig);
    let (code, stderr) = wait_child(child);
    drop(stdin);
    let want = match sig {
        "INT" => 130,
        "TERM" => 143,
        _ => panic!("{sig}"),
    };
    assert_eq!(code, Some(want), "{sig}: stderr {stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(!sigma.exists(target), "{sig}: output created");
    let left = leftovers(&sigma);
    assert!(left.is_empty(), "{sig}: left {left:?}");
}

#[test]
fn sigterm_during_encode_from_stdin() {
    interrupt_stdin_run("TERM", false);
}

#[test]
fn sigint_during_encode_from_stdin() {
    interrupt_stdin_run("INT", false);
}

#[test]
fn sigterm_during_decode_from_stdin() {
    interrupt_stdin_run("TERM", true);
}

#[test]
fn sigint_during_decode_from_stdin() {
    interrupt_stdin_run("INT", true);
}

/// File input into a file: SIGTERM once the partial output holds a whole segment. The partial
/// output is kept, with the command that resumes it, and resuming gives a correct file.
fn interrupt_file_encode(resume: bool) {
    let sigma = Sigma::new();
    let mut len = 8 << 20;
    let base = [
        "encode",
        "in",
        "-o",
        "out.sigma",
        "-T1",
        "-l9",
        "--segment-size",
        "64K",
    ];
    let partial = sigma.path("out.sigma.partial");
    for attempt in 0..4 {
        let _ = fs::remove_file(&partial);
        let input = sigma.create("in", &hard(len, 20 + attempt));
        let before = snapshot(&input);
        let mut args = base.to_vec();
        if resume {
            args.push("--resume");
        }
        let child = sigma
            .command(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut exited = false;
        wait_until(60, "a segment in the partial output", || {
            exited = sigma.exists("out.sigma");
            exited
                || fs::metadata(&partial)
                    .is_ok_and(|m| m.len() > (FILE_HEADER_LEN + SEGMENT_HEADER_LEN) as u64)
        });
        if exited {
            let (code, stderr) = wait_child(child);
            assert_eq!(code, Some(0), "{stderr}");
            fs::remove_file(sigma.path("out.sigma")).unwrap();
            len *= 2;
            continue;
        }
        send_signal(&child, "TERM");
        let (code, stderr) = wait_child(child);
        if code == Some(0) {
            // Finished between the check and the signal: more work next time.
            fs::remove_file(sigma.path("out.sigma")).unwrap();
            len *= 2;
            continue;
        }
        assert_eq!(code, Some(143), "stderr {stderr}");
        assert!(
            stderr.contains("resume with: sigma encode --resume in -o out.sigma"),
            "{stderr}"
        );
        assert!(!sigma.exists("out.sigma"), "output created");
        assert_unchanged(&input, &before);
        assert_eq!(leftovers(&sigma), vec!["out.sigma.partial".to_string()]);
        // The kept partial output resumes into a correct file, taking level and segment size
        // from its header.
        let run = sigma
            .run(["encode", "in", "-o", "out.sigma", "-T1", "--resume"])
            .ok();
        assert!(run.stderr.contains("resumed"), "{}", run.stderr);
        assert!(leftovers(&sigma).is_empty());
        let dec = sigma.run(["decode", "out.sigma", "-c", "-q"]).ok();
        assert!(
            dec.stdout == before.bytes,
            "resumed output decodes to other data"
        );
        assert_unchanged(&input, &before);
        return;
    }
    panic!("could not interrupt the encode before it finished");
}

#[test]
fn sigterm_during_file_encode_keeps_the_partial() {
    interrupt_file_encode(false);
}

#[test]
fn sigterm_during_resumable_encode_keeps_the_partial() {
    interrupt_file_encode(true);
}
