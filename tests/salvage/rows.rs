//! The rows of the salvage tests and what they share: the streams the hostile files are built
//! from, the damage done to them, and what salvage must give for each ([`Want`], [`Expect`]).
//! `tests/salvage.rs` checks the library's report on every row and `cli/tests/salvage.rs` what
//! `sigma decode --salvage` does with the same file; both include this file and the rows
//! (`concat.rs`, `footer.rs`, `versions.rs`), which call [`run_rows`] with the including file's
//! `check`.
// Each including file reads only its side of a row (the report, or the exit status and stderr).
#![allow(dead_code)]

pub use crate::util::{fix_file_header_check, fix_footer_check, layout, Layout};
pub use sigmalang::LostRange;

pub const SEG: usize = 4096;
/// Stream A: two whole 4 KiB segments and a short third (the 9,192-byte file).
pub const A_LEN: usize = 9192;
/// Stream B: one whole 8 KiB segment and a short second.
pub const B_LEN: usize = 10_000;
pub const B_SEG: usize = 8192;

pub struct Stream {
    pub data: Vec<u8>,
    pub enc: Vec<u8>,
    pub l: Layout,
}

pub fn stream(len: usize, seg: usize, seed: u64) -> Stream {
    let data = crate::util::mixed(len, 3000, seed);
    let enc = crate::util::encode_bytes(&data, &crate::util::opts(1, 3, seg as u32));
    let l = layout(&enc);
    Stream { data, enc, l }
}

pub fn a() -> Stream {
    let s = stream(A_LEN, SEG, 1);
    assert_eq!(s.l.segments.len(), 3);
    s
}

pub fn b() -> Stream {
    let s = stream(B_LEN, B_SEG, 2);
    assert_eq!(s.l.segments.len(), 2);
    s
}

pub fn empty() -> Stream {
    stream(0, SEG, 3)
}

pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Damages 8 bytes in the middle of segment `k`'s payload (its payload checksum then fails).
pub fn damage_payload(s: &mut Stream, k: usize) {
    let p = s.l.segments[k].payload();
    let mid = p.start + (p.end - p.start) / 2;
    for b in &mut s.enc[mid..mid + 8] {
        *b ^= 0xa5;
    }
}

/// Damages an index entry (the index check value then fails).
pub fn damage_index(s: &mut Stream) {
    s.enc[s.l.index_offset + 20] ^= 0x01;
}

/// Damages the footer (its check value then fails).
pub fn damage_footer(s: &mut Stream) {
    s.enc[s.l.footer_offset + 14] ^= 0x01;
}

/// Damages the file header's segment size (its check value then fails).
pub fn damage_header(s: &mut Stream) {
    s.enc[9] ^= 0x10;
}

/// Sets the footer's raw length, with a valid footer check value.
pub fn set_footer_raw_len(s: &mut Stream, v: u64) {
    let at = s.l.footer_offset + 12;
    s.enc[at..at + 8].copy_from_slice(&v.to_le_bytes());
    fix_footer_check(&mut s.enc);
}

/// Sets header byte `at` (4 version, 5 flags, 7 reserved) with a valid header check value.
pub fn set_header_byte(s: &mut Stream, at: usize, v: u8) {
    s.enc[at] = v;
    fix_file_header_check(&mut s.enc);
}

pub fn lost(start: usize, end: Option<usize>, segments: &str) -> LostRange {
    LostRange {
        start: start as u64,
        end: end.map(|e| e as u64),
        segments: segments.into(),
    }
}

/// What salvage must report for a row.
pub struct Want {
    pub out: Vec<u8>,
    pub recovered: u64,
    pub streams: u64,
    pub scanned: bool,
    pub original_len: Option<u64>,
    pub lost: Vec<LostRange>,
    pub inconsistent: Vec<String>,
    /// Exit status of `sigma decode --salvage`.
    pub code: i32,
    /// Lines (or parts of lines) its stderr must hold.
    pub stderr: Vec<String>,
}

pub enum Expect {
    Report(Want),
    /// Refused before writing anything: the error's text, which the CLI's stderr must hold too.
    Refused(String),
}

pub struct Row {
    pub name: &'static str,
    pub file: Vec<u8>,
    pub expect: Expect,
}

/// Checks every row with `check`, then fails naming each row that failed (each row's own message
/// is printed as it fails).
pub fn run_rows(rows: Vec<Row>, check: fn(Row)) {
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
