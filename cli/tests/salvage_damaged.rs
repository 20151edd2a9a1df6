//! Salvage of damaged streams through the command line, checked against the library's
//! `sigmalang::salvage` on the same file: an intact file, lost middle and last segments, a lost
//! tail, a damaged file header, a lost or damaged index. See docs/FORMAT.md, "Salvage". The
//! hand-built hostile files of `tests/salvage/` are run through the command line by `salvage.rs`.

mod util;

use std::fs::File;

use util::{
    assert_unchanged, corrupt_payload, corrupt_payload_at, layout, snapshot, Sigma,
    SEGMENT_HEADER_LEN,
};

const SEG: usize = 4096;

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
