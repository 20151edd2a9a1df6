//! The `sigma` binary cleans up after failures: a failed decode leaves no file behind (and a
//! forced one leaves the old output as it was), a signal removes the temporary output, an output
//! named like its input never loses the data, a file size limit leaves no partial output, and
//! outputs are synced before and after their rename.

#[macro_use]
mod util;

use std::process::{Command, Stdio};
use util::*;

#[test]
fn failed_decode_leaves_nothing_behind() {
    let sigma = Sigma::new();
    let enc = lib_encoding(&cli_data(), 3);
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
fn a_signal_removes_the_temporary_output() {
    use std::io::Write;
    for (signal, cmd) in [
        (
            "-INT",
            vec!["encode", "--segment-size", "4K", "-o", "out.sigma", "-"],
        ),
        ("-TERM", vec!["decode", "-o", "out", "-"]),
    ] {
        let sigma = Sigma::new();
        let mut child = sigma.spawn_fed(&cmd);
        // Some input, then the pipe stays open: the run is in progress until the signal.
        let mut stdin = child.stdin.take().unwrap();
        let first = if cmd[0] == "encode" {
            text(50_000, 1)
        } else {
            let enc = lib_encoding(&cli_data(), 3);
            enc[..enc.len() / 2].to_vec()
        };
        stdin.write_all(&first).unwrap();
        assert!(
            wait_until(std::time::Duration::from_secs(20), || sigma
                .list()
                .iter()
                .any(|n| n.ends_with(".sigma-tmp"))),
            "{cmd:?}: no temporary output appeared: {:?}",
            sigma.list()
        );
        // The temporary file is registered for cleanup just after it is created: give the
        // command a moment to get there and block on stdin.
        std::thread::sleep(std::time::Duration::from_millis(200));
        send_signal(signal, child.id());
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
    let d = cli_data();
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

// ---- File size limit, durability ----

/// Runs `sigma cmd` under `ulimit -f 64` (64 KiB) in the test directory.
fn under_file_limit(sigma: &Sigma, cmd: &str) -> Run {
    let mut c = Command::new("bash");
    c.args(["-c", "ulimit -f 64; exec \"$0\" \"$@\""]);
    c.arg(Sigma::bin())
        .args(words(cmd))
        .current_dir(sigma.dir());
    run_of(c.stdin(Stdio::null()).output().unwrap())
}

#[test]
fn a_file_size_limit_fails_cleanly() {
    let sigma = Sigma::new();
    sigma.create(
        "x.sigma",
        &encode_bytes(&text(1 << 20, 3), &opts(1, 1, 64 << 10)),
    );
    let r = under_file_limit(&sigma, "decode x.sigma").expect_code(1);
    has!(r.stderr, "x: cannot write: File too large");
    assert_eq!(sigma.list(), ["x.sigma"]);
    // An encode into a file: no partial output left either.
    sigma.create("big", &random(1 << 20, 4));
    let r = under_file_limit(&sigma, "encode big").expect_code(1);
    has!(r.stderr, "File too large");
    assert_eq!(sigma.list(), ["big", "x.sigma"]);
}

/// The system calls of a run as `strace` saw them, or `None` where strace cannot run here.
fn trace(sigma: &Sigma, cmd: &str) -> Option<Vec<String>> {
    let log = sigma.dir().with_extension("strace");
    let calls = "trace=openat,fsync,fdatasync,rename,renameat,renameat2,link,linkat";
    let mut c = Command::new("strace");
    c.args(["-f", "-qq", "-e", calls, "-o"]).arg(&log);
    c.arg(Sigma::bin())
        .args(words(cmd))
        .current_dir(sigma.dir());
    c.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let st = c.status().ok()?;
    let text = std::fs::read_to_string(&log).ok();
    let _ = std::fs::remove_file(&log);
    if !st.success() {
        return None;
    }
    // Without the pids, and without the program loader's files.
    let strip = |l: &str| match l.split_once(' ') {
        Some((pid, rest)) if pid.bytes().all(|b| b.is_ascii_digit()) => rest.trim().to_string(),
        _ => l.trim().to_string(),
    };
    let noise = |c: &String| c.starts_with("<...") || c.contains(".so") || c.contains("\"/proc/");
    Some(text?.lines().map(strip).filter(|c| !noise(c)).collect())
}

/// True when `call` is an fsync or fdatasync of `fd`.
fn is_sync(call: &str, fd: &str) -> bool {
    ["fsync(", "fdatasync("].iter().any(|f| {
        let rest = call.strip_prefix(f).and_then(|rest| rest.strip_prefix(fd));
        rest.is_some_and(|rest| rest.starts_with(')') || rest.starts_with(' '))
    })
}

#[test]
fn outputs_are_synced_before_and_after_the_rename() {
    let sigma = Sigma::new();
    sigma.create("a", &cli_data());
    if trace(&sigma, "--version").is_none() {
        eprintln!("strace does not run here: durability not checked");
        return;
    }
    for (cmd, temp, target) in [
        ("encode -q a", "a.sigma.partial", "a.sigma"),
        ("decode -q -o b a.sigma", ".sigma-tmp", "b"),
    ] {
        let calls = trace(&sigma, cmd).unwrap();
        let find = |from: usize, what: &str, f: &dyn Fn(&String) -> bool| {
            let k = calls[from..].iter().position(f);
            from + k.unwrap_or_else(|| panic!("{cmd}: no {what}: {calls:#?}"))
        };
        let fd = |k: usize| calls[k].rsplit("= ").next().unwrap().trim().to_string();
        let open = find(0, "open", &|c| c.contains(temp) && c.contains("O_CREAT"));
        let to_target = format!("\"{target}\"");
        let renamed = |c: &String| c.starts_with("rename") || c.starts_with("link");
        let rename = find(open, "rename", &|c| renamed(c) && c.contains(&to_target));
        let synced = find(open, "sync of the data", &|c| is_sync(c, &fd(open)));
        assert!(
            synced < rename,
            "{cmd}: synced after the rename: {calls:#?}"
        );
        let dir_open = |c: &String| c.contains("\".\", O_RDONLY");
        let dir = find(rename, "open of the directory", &dir_open);
        find(dir, "sync of the directory", &|c| is_sync(c, &fd(dir)));
    }
    // To stdout: nothing renamed.
    let calls = trace(&sigma, "encode -q -c a").unwrap();
    assert!(!calls.iter().any(|c| c.starts_with("rename")), "{calls:#?}");
}
