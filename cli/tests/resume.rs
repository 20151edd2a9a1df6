//! Resumable encode end to end: after a real SIGKILL, after torn or complete partial outputs
//! (command line and library), refusing partial outputs made with other options or from another
//! input, and leaving alone a partial output locked by another writer. See docs/FORMAT.md,
//! "Partial output (resume)".

mod util;

use std::fs::{self, File};
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use sigmalang::output::Resumed;
use sigmalang::{Error, Options};
use util::{assert_unchanged, hard, layout, snapshot, Sigma, FILE_HEADER_LEN, SEGMENT_HEADER_LEN};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// True when the partial file already holds the file header and at least one whole segment.
fn has_whole_segment(p: &Path) -> bool {
    let Ok(mut f) = File::open(p) else {
        return false;
    };
    let len = f.metadata().unwrap().len() as usize;
    let mut head = [0u8; FILE_HEADER_LEN + SEGMENT_HEADER_LEN];
    if len < head.len() || f.read_exact(&mut head).is_err() {
        return false;
    }
    let enc_len = util::le32(&head, FILE_HEADER_LEN + 16) as usize;
    len >= head.len() + enc_len
}

const SEG: usize = 4096;

/// Level-3, 4 KiB-segment options on one thread (what the small resume tests use).
fn small_opts(level: u8, seg: u32) -> Options {
    util::opts(1, level, seg)
}

/// A small input of 12 whole segments and a short 13th, its reference encoding made by the CLI
/// with `-l 3 --segment-size 4K`.
struct Small {
    sigma: Sigma,
    data: Vec<u8>,
    reference: Vec<u8>,
}

const SMALL_ARGS: [&str; 6] = ["-l", "3", "--segment-size", "4K", "-T", "1"];

fn small() -> Small {
    let sigma = Sigma::new();
    let data = util::mixed(12 * SEG + 777, SEG, 42);
    sigma.create("in", &data);
    let mut args = vec!["encode", "in", "-o", "ref.sigma", "-q"];
    args.extend(SMALL_ARGS);
    sigma.run(&args).ok();
    let reference = sigma.read("ref.sigma");
    fs::remove_file(sigma.path("ref.sigma")).unwrap();
    assert_eq!(layout(&reference).segments.len(), 13);
    Small {
        sigma,
        data,
        reference,
    }
}

fn resume_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["encode", "in", "-o", "out.sigma", "--resume"];
    v.extend_from_slice(extra);
    v
}

// ---------------------------------------------------------------------------------------------
// Resume after SIGKILL
// ---------------------------------------------------------------------------------------------

#[test]
fn resume_after_sigkill_is_byte_identical() {
    let sigma = Sigma::new();
    let input = sigma.path("in");
    let out = sigma.path("out.sigma");
    let partial = sigmalang::output::partial_path(&out);
    assert_eq!(partial, sigma.path("out.sigma.partial"));
    let args = [
        "encode",
        "in",
        "-o",
        "out.sigma",
        "-T1",
        "-l9",
        "--segment-size",
        "64K",
        "-q",
    ];
    let mut len = 8 << 20;
    let mut killed = false;
    for attempt in 0..4 {
        let _ = fs::remove_file(&partial);
        let _ = fs::remove_file(&out);
        sigma.create("in", &hard(len, 7 + attempt));
        let mut child = sigma
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if has_whole_segment(&partial) || child.try_wait().unwrap().is_some() {
                break;
            }
            assert!(Instant::now() < deadline, "no segment written in 60 s");
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = child.kill(); // SIGKILL; an error means it has already exited
        let status = child.wait().unwrap();
        if status.signal() == Some(9) {
            killed = true;
            break;
        }
        assert_eq!(status.code(), Some(0), "encode failed on its own");
        len *= 2; // finished before the kill: try again with more work
    }
    assert!(killed, "could not kill the encode before it finished");
    assert!(
        !out.exists(),
        "a killed encode left a file under the final name"
    );
    assert!(partial.exists(), "the partial output is gone");
    let before = snapshot(&input);
    let partial_len = fs::metadata(&partial).unwrap().len();
    assert!(partial_len > (FILE_HEADER_LEN + SEGMENT_HEADER_LEN) as u64);
    eprintln!("killed an encode of {len} bytes with {partial_len} bytes in the partial output");

    // The reference: an uninterrupted run with the same options.
    let mut ref_args = args.to_vec();
    ref_args[3] = "ref.sigma";
    sigma.run(&ref_args).ok();

    let mut res_args = args.to_vec();
    res_args.pop(); // not quiet: the resume message is wanted
    res_args.push("--resume");
    let run = sigma.run(&res_args).ok();
    assert!(
        run.stderr.contains("resumed"),
        "stderr does not report the resume: {}",
        run.stderr
    );
    assert!(out.exists());
    assert!(!partial.exists(), "the partial output was not renamed");
    assert!(
        sigma.read("out.sigma") == sigma.read("ref.sigma"),
        "resumed output differs from an uninterrupted run (partial was {partial_len} bytes)"
    );
    assert_unchanged(&input, &before);
    let dec = sigma.run(["decode", "out.sigma", "-c", "-q"]).ok();
    assert!(dec.stdout == before.bytes);
}

// ---------------------------------------------------------------------------------------------
// Resume from constructed partial outputs
// ---------------------------------------------------------------------------------------------

/// Partial outputs made by cutting or damaging the reference, with the number of segments a
/// resume must keep.
fn partial_cases(reference: &[u8]) -> Vec<(&'static str, Vec<u8>, u64)> {
    let l = layout(reference);
    let s5 = l.segments[5];
    let n = l.segments.len() as u64;
    let mut damaged = reference.to_vec();
    let p3 = l.segments[3].payload();
    damaged[p3.start + (p3.end - p3.start) / 2] ^= 0x55;
    vec![
        (
            "torn payload",
            reference[..s5.offset + SEGMENT_HEADER_LEN + s5.enc_len / 2].to_vec(),
            5,
        ),
        (
            "torn segment header",
            reference[..s5.offset + 20].to_vec(),
            5,
        ),
        ("segment boundary", reference[..s5.offset].to_vec(), 5),
        (
            "only the file header",
            reference[..FILE_HEADER_LEN].to_vec(),
            0,
        ),
        ("torn file header", reference[..10].to_vec(), 0),
        ("empty", Vec::new(), 0),
        (
            "damaged payload of segment 3",
            damaged[..l.segments[8].offset].to_vec(),
            3,
        ),
        ("torn index", reference[..l.index_offset + 7].to_vec(), n),
        ("complete but not renamed", reference.to_vec(), n),
    ]
}

#[test]
fn resume_continues_torn_and_complete_partials_cli() {
    let t = small();
    let input = t.sigma.path("in");
    let before = snapshot(&input);
    let partial = t.sigma.path("out.sigma.partial");
    for (what, p, keep) in partial_cases(&t.reference) {
        let _ = fs::remove_file(t.sigma.path("out.sigma"));
        fs::write(&partial, &p).unwrap();
        let run = t.sigma.run(resume_args(&SMALL_ARGS)).ok();
        assert!(
            t.sigma.read("out.sigma") == t.reference,
            "{what}: resumed output differs from the reference"
        );
        assert!(!partial.exists(), "{what}: partial left behind");
        if keep > 0 {
            assert!(
                run.stderr
                    .contains(&format!("resumed after {keep} verified segments")),
                "{what}: {}",
                run.stderr
            );
        } else {
            assert!(!run.stderr.contains("resumed"), "{what}: {}", run.stderr);
        }
    }
    assert_unchanged(&input, &before);
    assert_eq!(t.data, before.bytes);
}

#[test]
fn resume_continues_torn_and_complete_partials_library() {
    let t = small();
    let input = t.sigma.path("in");
    let before = snapshot(&input);
    let target = t.sigma.path("lib.sigma");
    let partial = sigmalang::output::partial_path(&target);
    let f = File::open(&input).unwrap();
    let total = t.data.len() as u64;
    for (what, p, keep) in partial_cases(&t.reference) {
        let _ = fs::remove_file(&target);
        fs::write(&partial, &p).unwrap();
        let (stats, resumed) = sigmalang::output::encode_resumable(
            &f,
            &target,
            &small_opts(3, 4096),
            true,
            false,
            None,
        )
        .unwrap_or_else(|e| panic!("{what}: {e}"));
        let raw_bytes = (keep * SEG as u64).min(total);
        assert_eq!(
            resumed,
            Resumed {
                segments: keep,
                raw_bytes
            },
            "{what}"
        );
        assert_eq!(stats.bytes_out, t.reference.len() as u64, "{what}");
        assert!(fs::read(&target).unwrap() == t.reference, "{what}");
        assert!(!partial.exists(), "{what}: partial left behind");
    }
    // An existing target is replaced only with `overwrite`.
    fs::write(
        &partial,
        &t.reference[..layout(&t.reference).segments[2].offset],
    )
    .unwrap();
    let err =
        sigmalang::output::encode_resumable(&f, &target, &small_opts(3, 4096), true, false, None)
            .unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    fs::write(&target, b"old").unwrap();
    let (_, resumed) =
        sigmalang::output::encode_resumable(&f, &target, &small_opts(3, 4096), true, true, None)
            .unwrap();
    assert_eq!(resumed.segments, 2);
    assert!(fs::read(&target).unwrap() == t.reference);
    assert!(!partial.exists());
    assert_unchanged(&input, &before);
}

#[test]
fn resume_refuses_partial_made_with_other_options() {
    let t = small();
    let input = t.sigma.path("in");
    let before = snapshot(&input);
    let partial = t.sigma.path("out.sigma.partial");
    let l = layout(&t.reference);
    let p = t.reference[..l.segments[6].offset + 100].to_vec();
    for other in [
        ["-l", "5", "--segment-size", "4K", "-T", "1"],
        ["-l", "3", "--segment-size", "8K", "-T", "1"],
        ["-l", "3", "--segment-size", "auto", "-T", "1"],
    ] {
        fs::write(&partial, &p).unwrap();
        let run = t.sigma.run(resume_args(&other)).expect_code(1);
        assert!(
            run.stderr.contains("cannot resume"),
            "{:?}: {}",
            other,
            run.stderr
        );
        assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
        assert!(!t.sigma.exists("out.sigma"));
        assert!(fs::read(&partial).unwrap() == p, "partial changed");
    }
    // Library: the same as an error value.
    let f = File::open(&input).unwrap();
    let target = t.sigma.path("out.sigma");
    let err =
        sigmalang::output::encode_resumable(&f, &target, &small_opts(4, 4096), true, false, None)
            .unwrap_err();
    assert!(matches!(err, Error::ResumeMismatch(_)), "{err:?}");
    assert!(fs::read(&partial).unwrap() == p, "partial changed");
    // Something that is not a ΣLANG stream at all.
    fs::write(&partial, vec![0x42u8; 500]).unwrap();
    let run = t.sigma.run(resume_args(&SMALL_ARGS)).expect_code(1);
    assert!(run.stderr.contains("cannot resume"), "{}", run.stderr);
    assert_eq!(fs::read(&partial).unwrap(), vec![0x42u8; 500]);
    assert_unchanged(&input, &before);
}

#[test]
fn resume_refuses_when_the_input_changed() {
    let t = small();
    let partial = t.sigma.path("out.sigma.partial");
    let l = layout(&t.reference);
    let p = t.reference[..l.segments[6].offset + 100].to_vec();
    // One byte changed inside segment 2's range of the input (written in the partial output).
    let mut changed = t.data.clone();
    changed[2 * SEG + 1000] ^= 1;
    let input = t.sigma.create("in", &changed);
    let before = snapshot(&input);
    fs::write(&partial, &p).unwrap();
    let run = t.sigma.run(resume_args(&SMALL_ARGS)).expect_code(1);
    assert!(
        run.stderr.contains("does not match the input"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("segment 2"), "{}", run.stderr);
    assert!(!t.sigma.exists("out.sigma"));
    assert!(fs::read(&partial).unwrap() == p, "partial changed");
    let f = File::open(&input).unwrap();
    let err = sigmalang::output::encode_resumable(
        &f,
        &t.sigma.path("out.sigma"),
        &small_opts(3, 4096),
        true,
        false,
        None,
    )
    .unwrap_err();
    assert!(matches!(err, Error::ResumeMismatch(_)), "{err:?}");
    assert!(fs::read(&partial).unwrap() == p, "partial changed");
    assert_unchanged(&input, &before);

    // A shorter input whose last (short) segment is in the partial output: also refused.
    let shorter = &t.data[..5 * SEG + 10];
    t.sigma.create("in", shorter);
    let run = t.sigma.run(resume_args(&SMALL_ARGS)).expect_code(1);
    assert!(
        run.stderr.contains("does not match the input"),
        "{}",
        run.stderr
    );
    assert!(fs::read(&partial).unwrap() == p, "partial changed");
}

#[test]
fn encode_without_resume_replaces_a_stale_partial() {
    let t = small();
    let partial = t.sigma.path("out.sigma.partial");
    fs::write(&partial, b"stale garbage").unwrap();
    let mut args = vec!["encode", "in", "-o", "out.sigma"];
    args.extend(SMALL_ARGS);
    let run = t.sigma.run(&args).ok();
    assert!(!run.stderr.contains("resumed"));
    assert!(t.sigma.read("out.sigma") == t.reference);
    assert!(!partial.exists());
    // --resume without any partial output is a plain encode.
    let run = t.sigma.run(resume_args(&{
        let mut a = SMALL_ARGS.to_vec();
        a.push("-f");
        a
    }));
    let run = run.ok();
    assert!(!run.stderr.contains("resumed"), "{}", run.stderr);
    assert!(t.sigma.read("out.sigma") == t.reference);
    assert!(!partial.exists());
}

#[test]
fn a_partial_output_locked_by_another_writer_is_left_alone() {
    let t = small();
    let partial = t.sigma.path("out.sigma.partial");
    let p = t.reference[..layout(&t.reference).segments[4].offset].to_vec();
    fs::write(&partial, &p).unwrap();
    let holder = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&partial)
        .unwrap();
    holder.lock().unwrap();
    for resume in [false, true] {
        let mut args = vec!["encode", "in", "-o", "out.sigma"];
        args.extend(SMALL_ARGS);
        if resume {
            args.push("--resume");
        }
        let run = t.sigma.run(&args).expect_code(1);
        assert!(
            run.stderr.contains("being written by another process"),
            "{}",
            run.stderr
        );
        assert!(fs::read(&partial).unwrap() == p, "partial changed");
        assert!(!t.sigma.exists("out.sigma"));
    }
    drop(holder); // releases the lock
    let run = t.sigma.run(resume_args(&SMALL_ARGS)).ok();
    assert!(
        run.stderr.contains("resumed after 4 verified segments"),
        "{}",
        run.stderr
    );
    assert!(t.sigma.read("out.sigma") == t.reference);
}
