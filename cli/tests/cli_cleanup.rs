//! The `sigma` binary cleans up after failures: a failed decode leaves no file behind (and a
//! forced one leaves the old output as it was), a signal removes the temporary output, and an
//! output named like its input never loses the data.

mod util;

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
