//! Archive jobs end to end: resumable encode (after a real SIGKILL, after torn or complete partial
//! outputs, refusing foreign partial outputs), salvage of damaged streams, and random access
//! (`Reader`, `copy_range`, `sigma decode --range`). See docs/FORMAT.md, "Partial output (resume)"
//! and "Salvage".

mod util;

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
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

// ---------------------------------------------------------------------------------------------
// Salvage
// ---------------------------------------------------------------------------------------------

/// 10 whole 4 KiB segments and a short 11th of 1234 bytes.
const SALV_LEN: usize = 10 * SEG + 1234;

fn salvage_fixture() -> (Sigma, Vec<u8>, Vec<u8>) {
    let sigma = Sigma::new();
    let data = util::mixed(SALV_LEN, SEG, 9);
    let enc = util::encode_bytes(&data, &util::opts(2, 3, SEG as u32));
    assert_eq!(layout(&enc).segments.len(), 11);
    (sigma, data, enc)
}

/// Damages the payload of segment `k` of the intact stream `enc`.
fn corrupt_payload(enc: &mut [u8], k: usize) {
    let l = layout(enc);
    corrupt_payload_at(enc, &l, k);
}

/// Damages segment `k`'s payload; `l` is the layout of the intact stream (`enc` may be cut).
fn corrupt_payload_at(enc: &mut [u8], l: &util::Layout, k: usize) {
    let p = l.segments[k].payload();
    let mid = p.start + (p.end - p.start) / 2;
    for b in &mut enc[mid..mid + 8] {
        *b ^= 0xa5;
    }
}

/// Runs `sigma decode --salvage NAME -o NAME.out`, and the library on the same file.
fn salvage_both(
    sigma: &Sigma,
    name: &str,
    enc: &[u8],
) -> (util::Run, Vec<u8>, sigmalang::SalvageReport, Vec<u8>) {
    let p = sigma.create(name, enc);
    let before = snapshot(&p);
    let out = format!("{name}.out");
    let run = sigma.run(["decode", "--salvage", name, "-o", &out]);
    let cli_out = sigma.read(&out);
    let mut lib_out = Vec::new();
    let report = sigmalang::salvage(&File::open(&p).unwrap(), &mut lib_out).unwrap();
    assert!(cli_out == lib_out, "CLI and library salvage differ");
    assert_eq!(report.bytes_written, lib_out.len() as u64);
    assert_unchanged(&p, &before);
    (run, cli_out, report, lib_out)
}

#[test]
fn salvage_intact_file() {
    let (sigma, data, enc) = salvage_fixture();
    let (run, out, report, _) = salvage_both(&sigma, "ok.sigma", &enc);
    let run = run.ok();
    assert!(run.stderr.contains("nothing lost"), "{}", run.stderr);
    assert!(out == data);
    assert_eq!(report.recovered_segments, 11);
    assert!(report.lost.is_empty() && report.complete());
    assert!(!report.scanned);
    assert_eq!(report.original_len, Some(SALV_LEN as u64));
}

#[test]
fn salvage_damaged_middle_segment() {
    let (sigma, data, enc) = salvage_fixture();
    for (name, ks) in [("one.sigma", vec![4usize]), ("two.sigma", vec![4, 5])] {
        let mut bad = enc.clone();
        for &k in &ks {
            corrupt_payload(&mut bad, k);
        }
        let (run, out, report, _) = salvage_both(&sigma, name, &bad);
        let run = run.expect_code(1);
        let a = ks[0] * SEG;
        let b = (ks[ks.len() - 1] + 1) * SEG;
        let segs = if ks.len() == 1 {
            format!("{}", ks[0])
        } else {
            format!("{}..={}", ks[0], ks[ks.len() - 1])
        };
        let expect = format!(
            "lost bytes {a}..{b} ({} bytes, segment {segs}), written as zeros",
            b - a
        );
        assert!(
            run.stderr.contains(&expect),
            "{name}: want `{expect}` in\n{}",
            run.stderr
        );
        assert_eq!(out.len(), data.len(), "{name}: length kept");
        assert!(out[..a] == data[..a], "{name}: bytes before the lost range");
        assert!(out[b..] == data[b..], "{name}: bytes after the lost range");
        assert!(
            out[a..b].iter().all(|&x| x == 0),
            "{name}: lost range not zeros"
        );
        assert_eq!(report.recovered_segments, 11 - ks.len() as u64);
        assert!(!report.scanned);
        assert_eq!(report.original_len, Some(SALV_LEN as u64));
        assert_eq!(
            report.lost,
            vec![sigmalang::LostRange {
                start: a as u64,
                end: Some(b as u64),
                segments: segs
            }]
        );
    }
    // The short last segment lost: its exact length is known from the index.
    let mut bad = enc.clone();
    corrupt_payload(&mut bad, 10);
    let (run, out, report, _) = salvage_both(&sigma, "last.sigma", &bad);
    let run = run.expect_code(1);
    let a = 10 * SEG;
    assert!(
        run.stderr.contains(&format!(
            "lost bytes {a}..{SALV_LEN} (1234 bytes, segment 10)"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(out.len(), SALV_LEN);
    assert!(out[..a] == data[..a] && out[a..].iter().all(|&x| x == 0));
    assert_eq!(report.lost.len(), 1);
}

#[test]
fn salvage_lost_tail() {
    let (sigma, data, enc) = salvage_fixture();
    let s7 = layout(&enc).segments[7];
    let cut = &enc[..s7.offset + SEGMENT_HEADER_LEN + s7.enc_len / 2];
    let (run, out, report, _) = salvage_both(&sigma, "tail.sigma", cut);
    let run = run.expect_code(1);
    let a = 7 * SEG;
    assert!(
        run.stderr
            .contains(&format!("lost bytes {a}.. to the unknown end")),
        "{}",
        run.stderr
    );
    assert!(out == data[..a], "recovered prefix");
    assert!(report.scanned);
    assert_eq!(report.recovered_segments, 7);
    assert_eq!(report.original_len, None);
    assert_eq!(
        report.lost,
        vec![sigmalang::LostRange {
            start: a as u64,
            end: None,
            segments: "7 onwards".into()
        }]
    );
}

#[test]
fn salvage_damaged_header_and_lost_index() {
    let (sigma, data, enc) = salvage_fixture();
    let l = layout(&enc);
    let mut bad = enc[..l.index_offset + 5].to_vec();
    bad[9] ^= 0x10; // segment size field: the header check fails, the size must be inferred
                    // Everything is still there (the short last segment ends the stream).
    let (run, out, report, _) = salvage_both(&sigma, "hdr.sigma", &bad);
    let run = run.ok();
    assert!(run.stderr.contains("by scanning"), "{}", run.stderr);
    assert!(out == data);
    assert!(report.scanned && report.complete());
    assert_eq!(report.recovered_segments, 11);
    assert_eq!(report.original_len, None);

    // And a damaged segment in the middle: zeros of the inferred segment size.
    corrupt_payload_at(&mut bad, &l, 3);
    let (run, out, report, _) = salvage_both(&sigma, "hdr3.sigma", &bad);
    let run = run.expect_code(1);
    let (a, b) = (3 * SEG, 4 * SEG);
    assert!(
        run.stderr
            .contains(&format!("lost bytes {a}..{b} (4096 bytes, segment 3)")),
        "{}",
        run.stderr
    );
    assert_eq!(out.len(), data.len());
    assert!(out[..a] == data[..a] && out[b..] == data[b..]);
    assert!(out[a..b].iter().all(|&x| x == 0));
    assert!(report.scanned);
    assert_eq!(report.recovered_segments, 10);
    assert_eq!(
        report.lost,
        vec![sigmalang::LostRange {
            start: a as u64,
            end: Some(b as u64),
            segments: "3".into()
        }]
    );

    // Header damaged and the tail cut in the middle of segment 6.
    let s6 = l.segments[6];
    let mut cut = enc[..s6.offset + 50].to_vec();
    cut[0] ^= 0xff; // magic
    let (run, out, report, _) = salvage_both(&sigma, "hdrcut.sigma", &cut);
    let run = run.expect_code(1);
    assert!(
        run.stderr
            .contains(&format!("lost bytes {}.. to the unknown end", 6 * SEG)),
        "{}",
        run.stderr
    );
    assert!(out == data[..6 * SEG]);
    assert!(report.scanned);
    assert_eq!(report.recovered_segments, 6);
}

#[test]
fn salvage_damaged_index_with_intact_footer() {
    let (sigma, data, enc) = salvage_fixture();
    let l = layout(&enc);
    let mut bad = enc.clone();
    bad[l.index_offset + 20] ^= 0x01; // an index entry: the index check fails
    let (run, out, report, _) = salvage_both(&sigma, "idx.sigma", &bad);
    run.ok();
    assert!(out == data);
    assert!(report.scanned && report.complete());
    assert_eq!(report.original_len, Some(SALV_LEN as u64));

    // Plus the last segment lost: the footer gives its exact end.
    corrupt_payload_at(&mut bad, &l, 10);
    let (run, out, report, _) = salvage_both(&sigma, "idx10.sigma", &bad);
    let run = run.expect_code(1);
    let a = 10 * SEG;
    assert!(
        run.stderr.contains(&format!(
            "lost bytes {a}..{SALV_LEN} (1234 bytes, segment 10)"
        )),
        "{}",
        run.stderr
    );
    assert!(out == data[..a]);
    assert_eq!(report.recovered_segments, 10);
    assert_eq!(
        report.lost,
        vec![sigmalang::LostRange {
            start: a as u64,
            end: Some(SALV_LEN as u64),
            segments: "10".into()
        }]
    );
}

// ---------------------------------------------------------------------------------------------
// Random access
// ---------------------------------------------------------------------------------------------

/// 10 whole 4 KiB segments and a short 11th.
const RANGE_LEN: usize = 10 * SEG + 1000;

fn range_fixture() -> (Sigma, Vec<u8>, Vec<u8>) {
    let sigma = Sigma::new();
    let data = util::mixed(RANGE_LEN, 3000, 5); // kinds switch inside segments
    let enc = util::encode_bytes(&data, &util::opts(2, 4, SEG as u32));
    sigma.create("r.sigma", &enc);
    (sigma, data, enc)
}

fn range_points() -> Vec<usize> {
    let mut v = vec![0, 1, 2, RANGE_LEN - 1, RANGE_LEN];
    for k in 1..=10 {
        v.extend([k * SEG - 1, k * SEG, k * SEG + 1]);
    }
    v.extend([RANGE_LEN / 2, 3 * SEG + 77, 10 * SEG + 500]);
    v.sort_unstable();
    v.dedup();
    v.retain(|&p| p <= RANGE_LEN);
    v
}

#[test]
fn reader_matches_original_for_every_edge_range() {
    let (sigma, data, _) = range_fixture();
    let p = sigma.path("r.sigma");
    let mut shared = sigmalang::Reader::new(File::open(&p).unwrap()).unwrap();
    assert_eq!(shared.len(), RANGE_LEN as u64);
    assert!(!shared.is_empty());
    let pts = range_points();
    let mut pairs = 0;
    for &a in &pts {
        for &b in &pts {
            if a > b {
                continue;
            }
            pairs += 1;
            // seek + read_exact on a reader reused across ranges (exercises its segment cache).
            let mut buf = vec![0u8; b - a];
            shared.seek(SeekFrom::Start(a as u64)).unwrap();
            shared.read_exact(&mut buf).unwrap();
            assert!(buf == data[a..b], "read_exact {a}..{b}");
            assert_eq!(shared.stream_position().unwrap(), b as u64);
            // copy_range on the same reader.
            let mut out = Vec::new();
            let n = shared.copy_range(a as u64, b as u64, &mut out).unwrap();
            assert_eq!(n, (b - a) as u64);
            assert!(out == data[a..b], "copy_range {a}..{b}");
        }
    }
    assert!(pairs > 500);
    // A fresh reader for a few (no cache), reading backwards.
    for &(a, b) in &[
        (RANGE_LEN - 1, RANGE_LEN),
        (SEG - 1, SEG + 1),
        (0, RANGE_LEN),
    ] {
        let mut r = sigmalang::Reader::new(File::open(&p).unwrap()).unwrap();
        let mut out = Vec::new();
        r.copy_range(a as u64, b as u64, &mut out).unwrap();
        assert!(out == data[a..b]);
    }
    // Seeks from the end and from the current position; reading at or past the end gives 0.
    let mut last = [0u8; 1];
    shared.seek(SeekFrom::End(-1)).unwrap();
    shared.read_exact(&mut last).unwrap();
    assert_eq!(last[0], data[RANGE_LEN - 1]);
    assert_eq!(shared.read(&mut last).unwrap(), 0);
    shared
        .seek(SeekFrom::Start(RANGE_LEN as u64 + 100))
        .unwrap();
    assert_eq!(shared.read(&mut last).unwrap(), 0);
    shared.seek(SeekFrom::Start(5 * SEG as u64)).unwrap();
    shared.seek(SeekFrom::Current(-3)).unwrap();
    let mut six = [0u8; 6];
    shared.read_exact(&mut six).unwrap();
    assert!(six[..] == data[5 * SEG - 3..5 * SEG + 3]);
    assert!(shared.seek(SeekFrom::End(-(RANGE_LEN as i64) - 1)).is_err());
    let mut all = Vec::new();
    shared.seek(SeekFrom::Start(0)).unwrap();
    shared.read_to_end(&mut all).unwrap();
    assert!(all == data);
    // Out of bounds / reversed ranges are errors for copy_range.
    let mut sink = Vec::new();
    let e = shared
        .copy_range(0, RANGE_LEN as u64 + 1, &mut sink)
        .unwrap_err();
    assert!(matches!(e, Error::InvalidOption(_)), "{e:?}");
    assert!(shared.copy_range(10, 9, &mut sink).is_err());
    assert!(sink.is_empty());
}

#[test]
fn cli_range_decode() {
    let (sigma, data, enc) = range_fixture();
    let before = snapshot(&sigma.path("r.sigma"));
    let pts = [
        0,
        1,
        SEG - 1,
        SEG,
        SEG + 1,
        5 * SEG - 1,
        5 * SEG + 1,
        10 * SEG,
        RANGE_LEN - 1,
        RANGE_LEN,
    ];
    for (i, &a) in pts.iter().enumerate() {
        for &b in &pts[i..] {
            if (a + b) % 3 == 1 && a != b && b != RANGE_LEN {
                continue; // a sample is enough here; the library test covers every pair
            }
            let r = format!("{a}..{b}");
            let run = sigma.run(["decode", "r.sigma", "--range", &r, "-c"]).ok();
            assert!(run.stdout == data[a..b], "--range {r}");
        }
    }
    // Open-ended forms, suffixes, output to a file.
    let run = sigma
        .run(["decode", "r.sigma", "--range", "40000..", "-c", "-q"])
        .ok();
    assert!(run.stdout == data[40000..]);
    let run = sigma
        .run(["decode", "r.sigma", "--range", "..5000", "-c", "-q"])
        .ok();
    assert!(run.stdout == data[..5000]);
    let run = sigma
        .run(["decode", "r.sigma", "--range", "..", "-c", "-q"])
        .ok();
    assert!(run.stdout == data);
    let run = sigma
        .run(["decode", "r.sigma", "--range", "4K..8K", "-c", "-q"])
        .ok();
    assert!(run.stdout == data[4096..8192]);
    let run = sigma
        .run([
            "decode",
            "r.sigma",
            "--range",
            &format!("{RANGE_LEN}.."),
            "-c",
        ])
        .ok();
    assert!(run.stdout.is_empty());
    sigma
        .run([
            "decode",
            "r.sigma",
            "--range",
            "100..9000",
            "-o",
            "part",
            "-q",
        ])
        .ok();
    assert!(sigma.read("part") == data[100..9000]);

    // END past the data stops at the end, as head and dd do.
    sigma
        .run([
            "decode",
            "r.sigma",
            "--range",
            &format!("100..{}", RANGE_LEN + 1),
            "-o",
            "tail",
            "-q",
        ])
        .ok();
    assert!(sigma.read("tail") == data[100..]);
    let run = sigma
        .run(["decode", "r.sigma", "--range", "0..99999999", "-c"])
        .ok();
    assert!(run.stdout == data);
    // START past the data: a usage error naming the length, nothing written.
    let run = sigma
        .run([
            "decode",
            "r.sigma",
            "--range",
            &format!("{}..", RANGE_LEN + 5),
            "-o",
            "oob",
        ])
        .expect_code(2);
    assert!(run.stderr.contains("past the end"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&RANGE_LEN.to_string()),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
    assert!(!sigma.exists("oob"));
    // START > END and nonsense are usage errors.
    for r in ["10..5", "abc", "5-10", "1x..2"] {
        let run = sigma
            .run(["decode", "r.sigma", "--range", r, "-c"])
            .expect_code(2);
        assert!(run.stdout.is_empty(), "--range {r}");
    }
    assert_unchanged(&sigma.path("r.sigma"), &before);
    assert_eq!(before.bytes, enc);
}

#[test]
fn range_reads_only_the_segments_it_needs() {
    let (sigma, data, enc) = range_fixture();
    let mut bad = enc.clone();
    corrupt_payload(&mut bad, 8);
    let p = sigma.create("bad.sigma", &bad);
    // Opening reads header, footer and index only: still fine.
    let mut r = sigmalang::Reader::new(File::open(&p).unwrap()).unwrap();
    let (a, b) = (SEG + 10, 2 * SEG - 10); // inside segment 1
    let mut buf = vec![0u8; b - a];
    r.seek(SeekFrom::Start(a as u64)).unwrap();
    r.read_exact(&mut buf).unwrap();
    assert!(buf == data[a..b]);
    let mut out = Vec::new();
    r.copy_range(0, 8 * SEG as u64, &mut out).unwrap(); // right up to segment 8
    assert!(out == data[..8 * SEG]);
    r.copy_range(9 * SEG as u64, RANGE_LEN as u64, &mut out)
        .unwrap(); // after it
                   // Into segment 8: an error naming it.
    let mut out = Vec::new();
    let e = r
        .copy_range(8 * SEG as u64 - 5, 8 * SEG as u64 + 5, &mut out)
        .unwrap_err();
    match &e {
        Error::CorruptSegment { segment, .. } | Error::Codec { segment, .. } => {
            assert_eq!(*segment, 8, "{e}")
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert!(e.to_string().contains("segment 8"), "{e}");
    r.seek(SeekFrom::Start(8 * SEG as u64 + 100)).unwrap();
    let io_err = r.read_exact(&mut [0u8; 10]).unwrap_err();
    assert!(io_err.to_string().contains("segment 8"), "{io_err}");
    // After the failure the reader still serves other segments.
    r.seek(SeekFrom::Start(a as u64)).unwrap();
    r.read_exact(&mut buf).unwrap();
    assert!(buf == data[a..b]);

    // The CLI likewise.
    let run = sigma
        .run(["decode", "bad.sigma", "--range", &format!("{a}..{b}"), "-c"])
        .ok();
    assert!(run.stdout == data[a..b]);
    let run = sigma
        .run(["decode", "bad.sigma", "--range", "30000..36000", "-o", "x"])
        .expect_code(1);
    assert!(run.stderr.contains("segment 8"), "{}", run.stderr);
    assert!(!sigma.exists("x"));
    let left: Vec<String> = sigma
        .list()
        .into_iter()
        .filter(|n| n.ends_with(".sigma-tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
