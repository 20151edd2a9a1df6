//! Random access end to end: `Reader` (seek, read, `copy_range`) against the original bytes for
//! every range between segment edges, `sigma decode --range` in all its forms and errors, and a
//! range that reads only the segments it needs (a damaged segment elsewhere does not matter).

mod util;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use sigmalang::Error;
use util::{assert_unchanged, corrupt_payload, no_temp_files, snapshot, Sigma};

const SEG: usize = 4096;

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
    no_temp_files(&sigma);
}
