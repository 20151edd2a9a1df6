//! Salvage of hostile files (issue 22, "Salvage hides losses"): concatenated streams, footers
//! whose raw length disagrees with the segments, unknown versions and reserved header bits. Each
//! row builds its file here from valid streams (recomputing check values where the defect must
//! get past them) and states the exact report the library must give, then runs the real binary
//! on the same file for its exit status, its output and the key words of its stderr.
//!
//! The rule under test (src/salvage/mod.rs): the segments' own verified headers and checksums are
//! authoritative; a footer or index is a claim, used only when it agrees with them. A container
//! that disagrees with itself makes the report incomplete (exit status 1) even when no byte is
//! lost, and a header of a version this build does not know is refused before anything is
//! written.

mod util;

use std::fs::File;

use sigmalang::{Error, LostRange, SalvageReport};
use util::{fix_file_header_check, fix_footer_check, layout, Layout, Sigma};

const SEG: usize = 4096;
/// Stream A: two whole 4 KiB segments and a short third (the 9,192-byte file).
const A_LEN: usize = 9192;
/// Stream B: one whole 8 KiB segment and a short second.
const B_LEN: usize = 10_000;
const B_SEG: usize = 8192;

struct Stream {
    data: Vec<u8>,
    enc: Vec<u8>,
    l: Layout,
}

fn stream(len: usize, seg: usize, seed: u64) -> Stream {
    let data = util::mixed(len, 3000, seed);
    let enc = util::encode_bytes(&data, &util::opts(1, 3, seg as u32));
    let l = layout(&enc);
    Stream { data, enc, l }
}

fn a() -> Stream {
    let s = stream(A_LEN, SEG, 1);
    assert_eq!(s.l.segments.len(), 3);
    s
}

fn b() -> Stream {
    let s = stream(B_LEN, B_SEG, 2);
    assert_eq!(s.l.segments.len(), 2);
    s
}

fn empty() -> Stream {
    stream(0, SEG, 3)
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Damages 8 bytes in the middle of segment `k`'s payload (its payload checksum then fails).
fn damage_payload(s: &mut Stream, k: usize) {
    let p = s.l.segments[k].payload();
    let mid = p.start + (p.end - p.start) / 2;
    for b in &mut s.enc[mid..mid + 8] {
        *b ^= 0xa5;
    }
}

/// Damages an index entry (the index check value then fails).
fn damage_index(s: &mut Stream) {
    s.enc[s.l.index_offset + 20] ^= 0x01;
}

/// Damages the footer (its check value then fails).
fn damage_footer(s: &mut Stream) {
    s.enc[s.l.footer_offset + 14] ^= 0x01;
}

/// Damages the file header's segment size (its check value then fails).
fn damage_header(s: &mut Stream) {
    s.enc[9] ^= 0x10;
}

/// Sets the footer's raw length, with a valid footer check value.
fn set_footer_raw_len(s: &mut Stream, v: u64) {
    let at = s.l.footer_offset + 12;
    s.enc[at..at + 8].copy_from_slice(&v.to_le_bytes());
    fix_footer_check(&mut s.enc);
}

/// Sets header byte `at` (4 version, 5 flags, 7 reserved) with a valid header check value.
fn set_header_byte(s: &mut Stream, at: usize, v: u8) {
    s.enc[at] = v;
    fix_file_header_check(&mut s.enc);
}

fn lost(start: usize, end: Option<usize>, segments: &str) -> LostRange {
    LostRange {
        start: start as u64,
        end: end.map(|e| e as u64),
        segments: segments.into(),
    }
}

/// What salvage must report for a row.
struct Want {
    out: Vec<u8>,
    recovered: u64,
    streams: u64,
    scanned: bool,
    original_len: Option<u64>,
    lost: Vec<LostRange>,
    inconsistent: Vec<String>,
    /// Exit status of `sigma decode --salvage`.
    code: i32,
    /// Lines (or parts of lines) its stderr must hold.
    stderr: Vec<String>,
}

enum Expect {
    Report(Want),
    /// Refused before writing anything: the error's text, which the CLI's stderr must hold too.
    Refused(String),
}

struct Row {
    name: &'static str,
    file: Vec<u8>,
    expect: Expect,
}

fn library(p: &std::path::Path) -> (sigmalang::Result<SalvageReport>, Vec<u8>) {
    let mut out = Vec::new();
    let r = sigmalang::salvage(&File::open(p).unwrap(), &mut out);
    (r, out)
}

fn check(row: Row) {
    let sigma = Sigma::new();
    let file = format!("{}.sigma", row.name);
    let p = sigma.create(&file, &row.file);
    let before = util::snapshot(&p);
    let (got, lib_out) = library(&p);
    let run = sigma.run(["decode", "--salvage", &file, "-o", "out"]);
    util::assert_unchanged(&p, &before);
    let name = row.name;
    match row.expect {
        Expect::Report(w) => {
            let r = got.unwrap_or_else(|e| panic!("{name}: salvage failed: {e}"));
            assert!(
                lib_out == w.out,
                "{name}: output differs from the expected bytes"
            );
            assert_eq!(r.bytes_written, w.out.len() as u64, "{name}: bytes_written");
            assert_eq!(r.recovered_segments, w.recovered, "{name}: recovered");
            assert_eq!(r.streams, w.streams, "{name}: streams");
            assert_eq!(r.scanned, w.scanned, "{name}: scanned");
            assert_eq!(r.original_len, w.original_len, "{name}: original_len");
            assert_eq!(r.lost, w.lost, "{name}: lost ranges");
            assert_eq!(r.inconsistent, w.inconsistent, "{name}: inconsistent");
            assert_eq!(
                r.complete(),
                w.lost.is_empty() && w.inconsistent.is_empty(),
                "{name}: complete()"
            );
            assert_eq!(
                run.code,
                Some(w.code),
                "{name}: exit status\n{}",
                run.stderr
            );
            assert!(
                sigma.read("out") == w.out,
                "{name}: the CLI's output differs"
            );
            for s in &w.stderr {
                assert!(
                    run.stderr.contains(s.as_str()),
                    "{name}: want `{s}` in stderr:\n{}",
                    run.stderr
                );
            }
            let nothing_lost = run.stderr.contains("nothing lost");
            assert_eq!(nothing_lost, w.code == 0, "{name}: {}", run.stderr);
        }
        Expect::Refused(msg) => {
            let e = got
                .err()
                .unwrap_or_else(|| panic!("{name}: salvage did not refuse"));
            assert_eq!(e.to_string(), msg, "{name}: error");
            assert!(
                lib_out.is_empty(),
                "{name}: the library wrote before refusing"
            );
            assert_eq!(run.code, Some(1), "{name}: exit status\n{}", run.stderr);
            let line = format!("sigma: {file}: {msg}");
            assert!(
                run.stderr.contains(&line),
                "{name}: want `{line}` in stderr:\n{}",
                run.stderr
            );
            assert!(!run.stderr.contains("salvaged"), "{name}: {}", run.stderr);
            assert_eq!(
                sigma.list(),
                vec![file.clone()],
                "{name}: the refused salvage left an output"
            );
            // To stdout: nothing either.
            let run = sigma.run(["decode", "--salvage", "-c", &file]);
            assert_eq!(run.code, Some(1), "{name}: exit status (stdout)");
            assert!(run.stdout.is_empty(), "{name}: bytes on stdout");
        }
    }
}

/// Checks every row, then fails naming each row that failed (each row's own message is printed
/// as it fails).
fn run_rows(rows: Vec<Row>) {
    assert!(!rows.is_empty());
    let mut failed = Vec::new();
    for row in rows {
        let name = row.name;
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(row))).is_err() {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "rows failed: {failed:?}");
}

// ---------------------------------------------------------------------------------------------
// Concatenated streams
// ---------------------------------------------------------------------------------------------

#[path = "salvage/concat.rs"]
mod concat;
#[path = "salvage/footer.rs"]
mod footer;
#[path = "salvage/versions.rs"]
mod versions;
