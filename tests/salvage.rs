//! Salvage of hostile files (issue 22, "Salvage hides losses"): concatenated streams, footers
//! whose raw length disagrees with the segments, unknown versions and reserved header bits. Each
//! row (`tests/salvage/`) builds its file from valid streams (recomputing check values where the
//! defect must get past them) and states the exact report the library must give (checked here)
//! and what `sigma decode --salvage` must do with the same file: its exit status, its output and
//! the key words of its stderr (checked by `cli/tests/salvage.rs`).
//!
//! The rule under test (src/salvage/mod.rs): the segments' own verified headers and checksums are
//! authoritative; a footer or index is a claim, used only when it agrees with them. A container
//! that disagrees with itself makes the report incomplete (exit status 1) even when no byte is
//! lost, and a header of a version this build does not know is refused before anything is
//! written.

#[path = "salvage/rows.rs"]
mod rows;
mod util;

use rows::*;
use sigmalang::{Error, SalvageReport};
use std::fs::File;
use util::Scratch;

fn library(p: &std::path::Path) -> (sigmalang::Result<SalvageReport>, Vec<u8>) {
    let mut out = Vec::new();
    let r = sigmalang::salvage(&File::open(p).unwrap(), &mut out);
    (r, out)
}

/// The library's side of a row: the report (or the refusal) and the bytes written.
fn check(row: Row) {
    let dir = Scratch::new();
    let p = dir.create(&format!("{}.sigma", row.name), &row.file);
    let (got, lib_out) = library(&p);
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
        }
    }
}

/// The refusal is an `UnsupportedVersion` error a library caller can match.
#[test]
fn unknown_version_error_is_typed() {
    let dir = Scratch::new();
    let mut s = a();
    set_header_byte(&mut s, 4, 9);
    let p = dir.create("v9.sigma", &s.enc);
    let (r, out) = library(&p);
    assert!(
        matches!(
            r,
            Err(Error::UnsupportedVersion {
                found: 9,
                supported: sigmalang::format::VERSION
            })
        ),
        "{r:?}"
    );
    assert!(out.is_empty());
}

#[path = "salvage/concat.rs"]
mod concat;
#[path = "salvage/footer.rs"]
mod footer;
#[path = "salvage/versions.rs"]
mod versions;
