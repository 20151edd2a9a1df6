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

#[test]
fn concatenated_streams_are_salvaged_in_turn() {
    let (sa, sb) = (a(), b());
    let ab = cat(&[&sa.data, &sb.data]);
    let b_at = sa.enc.len(); // where stream B starts in the file
    let mut rows = Vec::new();

    // The case: two valid files back to back salvage to both, through their indexes.
    rows.push(Row {
        name: "ab",
        file: cat(&[&sa.enc, &sb.enc]),
        expect: Expect::Report(Want {
            out: ab.clone(),
            recovered: 5,
            streams: 2,
            scanned: false,
            original_len: Some((A_LEN + B_LEN) as u64),
            lost: vec![],
            inconsistent: vec![],
            code: 0,
            stderr: vec![
                "salvaged 5 segments from 2 streams".into(),
                "nothing lost".into(),
            ],
        }),
    });

    // An empty stream first, between and last changes nothing.
    let e = empty();
    rows.push(Row {
        name: "empty-a-empty-b-empty",
        file: cat(&[&e.enc, &sa.enc, &e.enc, &sb.enc, &e.enc]),
        expect: Expect::Report(Want {
            out: ab.clone(),
            recovered: 5,
            streams: 5,
            scanned: false,
            original_len: Some((A_LEN + B_LEN) as u64),
            lost: vec![],
            inconsistent: vec![],
            code: 0,
            stderr: vec!["nothing lost".into()],
        }),
    });

    // A's index damaged: A is scanned, B still read through its index; nothing lost.
    let mut a_idx = a();
    damage_index(&mut a_idx);
    rows.push(Row {
        name: "a-index-damaged",
        file: cat(&[&a_idx.enc, &sb.enc]),
        expect: Expect::Report(Want {
            out: ab.clone(),
            recovered: 5,
            streams: 2,
            scanned: true,
            original_len: Some((A_LEN + B_LEN) as u64),
            lost: vec![],
            inconsistent: vec![],
            code: 0,
            stderr: vec!["by scanning".into(), "nothing lost".into()],
        }),
    });

    // ... and A's segment 1 lost: zeros in its place, B's data keeps its offset.
    let mut a_idx1 = a();
    damage_index(&mut a_idx1);
    damage_payload(&mut a_idx1, 1);
    let mut out = ab.clone();
    out[SEG..2 * SEG].fill(0);
    rows.push(Row {
        name: "a-index-and-segment-1-damaged",
        file: cat(&[&a_idx1.enc, &sb.enc]),
        expect: Expect::Report(Want {
            out,
            recovered: 4,
            streams: 2,
            scanned: true,
            original_len: Some((A_LEN + B_LEN) as u64),
            lost: vec![lost(SEG, Some(2 * SEG), "1 of the stream at byte 0")],
            inconsistent: vec![],
            code: 1,
            stderr: vec![
                "lost bytes 4096..8192 (4096 bytes, segment 1 of the stream at byte 0), written as zeros"
                    .into(),
            ],
        }),
    });

    // A's last segment lost while both indexes are intact: zeros of the length A's index gives.
    let mut a2 = a();
    damage_payload(&mut a2, 2);
    let mut out = ab.clone();
    out[2 * SEG..A_LEN].fill(0);
    rows.push(Row {
        name: "a-last-segment-damaged",
        file: cat(&[&a2.enc, &sb.enc]),
        expect: Expect::Report(Want {
            out,
            recovered: 4,
            streams: 2,
            scanned: false,
            original_len: Some((A_LEN + B_LEN) as u64),
            lost: vec![lost(2 * SEG, Some(A_LEN), "2 of the stream at byte 0")],
            inconsistent: vec![],
            code: 1,
            stderr: vec![format!(
                "lost bytes 8192..{A_LEN} (1000 bytes, segment 2 of the stream at byte 0), written as zeros"
            )],
        }),
    });

    // B's first segment lost: a range of the original in B's part.
    let mut b0 = b();
    damage_payload(&mut b0, 0);
    let mut out = ab.clone();
    out[A_LEN..A_LEN + B_SEG].fill(0);
    rows.push(Row {
        name: "b-segment-0-damaged",
        file: cat(&[&sa.enc, &b0.enc]),
        expect: Expect::Report(Want {
            out,
            recovered: 4,
            streams: 2,
            scanned: false,
            original_len: Some((A_LEN + B_LEN) as u64),
            lost: vec![lost(
                A_LEN,
                Some(A_LEN + B_SEG),
                &format!("0 of the stream at byte {b_at}"),
            )],
            inconsistent: vec![],
            code: 1,
            stderr: vec![format!(
                "lost bytes {A_LEN}..{} (8192 bytes, segment 0 of the stream at byte {b_at}), written as zeros",
                A_LEN + B_SEG
            )],
        }),
    });

    // B's file header damaged: A's footer still ends A, B is recovered from its segments.
    let mut bh = b();
    damage_header(&mut bh);
    rows.push(Row {
        name: "b-header-damaged",
        file: cat(&[&sa.enc, &bh.enc]),
        expect: Expect::Report(Want {
            out: ab.clone(),
            recovered: 5,
            streams: 2,
            scanned: true,
            original_len: Some((A_LEN + B_LEN) as u64),
            lost: vec![],
            inconsistent: vec![],
            code: 0,
            stderr: vec!["nothing lost".into()],
        }),
    });

    // A's footer and last segment damaged: A's length is unknown, B follows at once and the report
    // says so rather than "nothing lost".
    let mut af = a();
    damage_footer(&mut af);
    damage_payload(&mut af, 2);
    let mut out = sa.data[..2 * SEG].to_vec();
    out.extend_from_slice(&sb.data);
    rows.push(Row {
        name: "a-footer-and-tail-damaged",
        file: cat(&[&af.enc, &sb.enc]),
        expect: Expect::Report(Want {
            out,
            recovered: 4,
            streams: 2,
            scanned: true,
            original_len: None,
            lost: vec![lost(2 * SEG, None, "2 onwards of the stream at byte 0")],
            inconsistent: vec![],
            code: 1,
            stderr: vec![
                "lost bytes 8192.. of unknown length (segment 2 onwards of the stream at byte 0)"
                    .into(),
            ],
        }),
    });

    // A's footer and B's header both damaged: nothing marks where A ends but A's short last
    // segment, after which B's segments follow; B is recovered as a stream of its own.
    let mut af = a();
    damage_footer(&mut af);
    let mut bh = b();
    damage_header(&mut bh);
    rows.push(Row {
        name: "a-footer-and-b-header-damaged",
        file: cat(&[&af.enc, &bh.enc]),
        expect: Expect::Report(Want {
            out: ab.clone(),
            recovered: 5,
            streams: 2,
            scanned: true,
            original_len: None,
            lost: vec![],
            inconsistent: vec![],
            code: 0,
            stderr: vec![
                "salvaged 5 segments from 2 streams".into(),
                "nothing lost".into(),
            ],
        }),
    });

    // A cut in the middle of its segment 1, then B: what A held from there on is lost.
    let s1 = sa.l.segments[1];
    let cut = &sa.enc[..s1.offset + 100];
    let mut out = sa.data[..SEG].to_vec();
    out.extend_from_slice(&sb.data);
    rows.push(Row {
        name: "a-cut-then-b",
        file: cat(&[cut, &sb.enc]),
        expect: Expect::Report(Want {
            out,
            recovered: 3,
            streams: 2,
            scanned: true,
            original_len: None,
            lost: vec![lost(SEG, None, "1 onwards of the stream at byte 0")],
            inconsistent: vec![],
            code: 1,
            stderr: vec!["lost bytes 4096.. of unknown length".into()],
        }),
    });

    // Bytes after the last stream that are no stream: everything is recovered, but the report
    // does not claim that nothing was lost.
    let end = sa.enc.len() + sb.enc.len();
    rows.push(Row {
        name: "ab-trailing-bytes",
        file: cat(&[&sa.enc, &sb.enc, b"junk"]),
        expect: Expect::Report(Want {
            out: ab.clone(),
            recovered: 5,
            streams: 2,
            scanned: false,
            original_len: None,
            lost: vec![lost(
                A_LEN + B_LEN,
                None,
                &format!(
                    "none: input bytes {end}..{} hold no intact file header, segment or footer",
                    end + 4
                ),
            )],
            inconsistent: vec![],
            code: 1,
            stderr: vec![format!(
                "lost bytes {}.. to the unknown end of the original",
                A_LEN + B_LEN
            )],
        }),
    });
    run_rows(rows);
}

// ---------------------------------------------------------------------------------------------
// A footer whose raw length disagrees with the index and the segments
// ---------------------------------------------------------------------------------------------

#[test]
fn footer_raw_length_disagreeing_is_reported_never_trusted() {
    let sa = a();
    let f_at = sa.l.footer_offset;
    let s2_at = sa.l.segments[2].offset;
    let mut rows = Vec::new();
    for (name, claim) in [
        ("footer-len-minus-1", A_LEN as u64 - 1),
        ("footer-len-plus-1", A_LEN as u64 + 1),
    ] {
        let mut s = a();
        set_footer_raw_len(&mut s, claim);
        rows.push(Row {
            name,
            file: s.enc,
            expect: Expect::Report(Want {
                out: sa.data.clone(),
                recovered: 3,
                streams: 1,
                scanned: true,
                original_len: None,
                lost: vec![],
                inconsistent: vec![format!(
                    "the footer at byte {f_at} says {claim} bytes in 3 segments, but segment 2 at \
                     byte {s2_at} holds original bytes 8192..9192"
                )],
                code: 1,
                stderr: vec![
                    format!("{name}.sigma: the container disagrees with itself: the footer at byte {f_at} says {claim} bytes"),
                    "the segments' own checksums were trusted".into(),
                    "the container is inconsistent".into(),
                ],
            }),
        });
    }
    let mut s = a();
    set_footer_raw_len(&mut s, u64::MAX);
    rows.push(Row {
        name: "footer-len-max",
        file: s.enc,
        expect: Expect::Report(Want {
            out: sa.data.clone(),
            recovered: 3,
            streams: 1,
            scanned: true,
            original_len: None,
            lost: vec![],
            inconsistent: vec![format!(
                "the footer at byte {f_at} says {} bytes in 3 segments, which segments of 4096 \
                 bytes cannot hold",
                u64::MAX
            )],
            code: 1,
            stderr: vec!["the container disagrees with itself".into()],
        }),
    });

    // The footer lies and the last segment is lost: its length is not taken from the footer (never
    // `8192..18446744073709551615` or `8192..9191`): the tail is lost to an unknown end.
    for (name, claim, why) in [
        (
            "footer-len-max-tail-lost",
            u64::MAX,
            format!(
                "the footer at byte {f_at} says {} bytes in 3 segments, which segments of 4096 \
                 bytes cannot hold",
                u64::MAX
            ),
        ),
        (
            "footer-len-minus-1-tail-lost",
            A_LEN as u64 - 1,
            format!(
                "the footer at byte {f_at} says 9191 bytes in 3 segments, but the index at byte \
                 {} lists 9192 bytes",
                sa.l.index_offset
            ),
        ),
    ] {
        let mut s = a();
        set_footer_raw_len(&mut s, claim);
        damage_payload(&mut s, 2);
        rows.push(Row {
            name,
            file: s.enc,
            expect: Expect::Report(Want {
                out: sa.data[..2 * SEG].to_vec(),
                recovered: 2,
                streams: 1,
                scanned: true,
                original_len: None,
                lost: vec![lost(2 * SEG, None, "2 onwards")],
                inconsistent: vec![why],
                code: 1,
                stderr: vec![
                    "lost bytes 8192.. to the unknown end of the original (segment 2 onwards)"
                        .into(),
                    "the container disagrees with itself".into(),
                ],
            }),
        });
    }

    // A footer that agrees and a lost tail: the tail's length comes from the footer, and it is cut
    // from the output, not claimed as zeros.
    let mut s = a();
    damage_index(&mut s);
    damage_payload(&mut s, 2);
    rows.push(Row {
        name: "footer-agrees-tail-lost",
        file: s.enc,
        expect: Expect::Report(Want {
            out: sa.data[..2 * SEG].to_vec(),
            recovered: 2,
            streams: 1,
            scanned: true,
            original_len: Some(A_LEN as u64),
            lost: vec![lost(2 * SEG, Some(A_LEN), "2")],
            inconsistent: vec![],
            code: 1,
            stderr: vec![format!(
                "lost bytes 8192..{A_LEN} (1000 bytes, segment 2), not written (the output ends before them)"
            )],
        }),
    });

    // The footer's stream checksum does not match the segments'.
    let mut s = a();
    let at = s.l.footer_offset + 28;
    s.enc[at] ^= 0x40;
    fix_footer_check(&mut s.enc);
    rows.push(Row {
        name: "footer-stream-hash",
        file: s.enc,
        expect: Expect::Report(Want {
            out: sa.data.clone(),
            recovered: 3,
            streams: 1,
            scanned: true,
            original_len: None,
            lost: vec![],
            inconsistent: vec![format!(
                "the footer at byte {f_at} says 9192 bytes in 3 segments, but its stream checksum \
                 does not match the segments' checksums"
            )],
            code: 1,
            stderr: vec!["the container disagrees with itself".into()],
        }),
    });

    // A consistent index and footer that both lie about segment 1's checksum: the index is not
    // trusted over the segment's own header, which is intact.
    let mut s = a();
    forge_index_raw_hash(&mut s, 1);
    rows.push(Row {
        name: "index-and-footer-lie",
        file: s.enc,
        expect: Expect::Report(Want {
            out: sa.data.clone(),
            recovered: 3,
            streams: 1,
            scanned: true,
            original_len: None,
            lost: vec![],
            inconsistent: vec![format!(
                "the footer at byte {f_at} says 9192 bytes in 3 segments, but its stream checksum \
                 does not match the segments' checksums"
            )],
            code: 1,
            stderr: vec!["the container disagrees with itself".into()],
        }),
    });
    // An intact segment 0 of another stream inside A, after A's own: it cannot be placed (the
    // ordinal is taken), so it is reported rather than dropped in silence; A's footer no longer
    // fits where it now sits.
    let other = stream(SEG, SEG, 7);
    let c0 = other.l.segments[0];
    let s1 = sa.l.segments[1].offset;
    let mut file = sa.enc[..s1].to_vec();
    file.extend_from_slice(&other.enc[c0.offset..c0.end()]);
    file.extend_from_slice(&sa.enc[s1..]);
    let shift = c0.end() - c0.offset;
    rows.push(Row {
        name: "duplicate-ordinal",
        file,
        expect: Expect::Report(Want {
            out: sa.data.clone(),
            recovered: 3,
            streams: 1,
            scanned: true,
            original_len: None,
            lost: vec![],
            inconsistent: vec![
                format!(
                    "segment 0 at byte {s1} is intact but was not written: an earlier segment \
                     has the same ordinal"
                ),
                format!(
                    "the footer at byte {} says 9192 bytes in 3 segments, with its index at \
                     stream offset {}: that index does not end where the footer starts",
                    f_at + shift,
                    sa.l.index_offset
                ),
            ],
            code: 1,
            stderr: vec![format!(
                "the container disagrees with itself: segment 0 at byte {s1} is intact but was not written"
            )],
        }),
    });
    run_rows(rows);
}

/// Changes index entry `k`'s raw hash and recomputes the index check and the footer's stream
/// checksum, so that the index and footer agree with each other (and `Index::read_at` accepts
/// them) but not with segment `k`'s header.
fn forge_index_raw_hash(s: &mut Stream, k: usize) {
    use xxhash_rust::xxh3::{xxh3_64, Xxh3};
    let io = s.l.index_offset;
    let n = s.l.segments.len();
    let e = io + 12 + k * 32;
    s.enc[e + 24] ^= 0x01;
    let entries = &s.enc[io + 12..io + 12 + n * 32];
    let mut h = Xxh3::new();
    h.update(&s.enc[io..io + 4]);
    h.update(entries);
    h.update(&(n as u64).to_le_bytes());
    let check = h.digest() as u32;
    let c = io + 12 + n * 32;
    s.enc[c..c + 4].copy_from_slice(&check.to_le_bytes());
    let mut hashes = Vec::new();
    for j in 0..n {
        hashes.extend_from_slice(&s.enc[io + 12 + j * 32 + 24..io + 12 + j * 32 + 32]);
    }
    let f = s.l.footer_offset;
    s.enc[f + 28..f + 36].copy_from_slice(&xxh3_64(&hashes).to_le_bytes());
    fix_footer_check(&mut s.enc);
    let mut direct = Vec::new();
    let opts = sigmalang::Options::new();
    assert!(
        sigmalang::decode(
            sigmalang::Source::Reader(&mut &s.enc[..]),
            &mut direct,
            &opts,
            None
        )
        .is_err(),
        "the forged index must still be refused by decode"
    );
}

// ---------------------------------------------------------------------------------------------
// Unknown versions and reserved header bits
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_version_or_reserved_bits_are_refused() {
    let unsupported =
        |v: u8| format!("unsupported format version {v} (this build reads versions 1 to 3)");
    let reserved = |f: u8, r: u8| {
        format!(
            "corrupt file header: reserved bytes set ({f:#04x}, {r:#04x}): a header this build \
             does not know, so salvage does not reinterpret it"
        )
    };
    let mut rows = Vec::new();
    for v in [0u8, 4, 9, 255] {
        let mut s = a();
        set_header_byte(&mut s, 4, v);
        rows.push(Row {
            name: ["v0", "v4", "v9", "v255"]
                [[0u8, 4, 9, 255].iter().position(|&x| x == v).unwrap()],
            file: s.enc,
            expect: Expect::Refused(unsupported(v)),
        });
    }
    for (name, at, v) in [
        ("flags-01", 5, 0x01u8),
        ("flags-80", 5, 0x80),
        ("reserved-7", 7, 0x01),
    ] {
        let mut s = a();
        set_header_byte(&mut s, at, v);
        let (f, r) = if at == 5 { (v, 0) } else { (0, v) };
        rows.push(Row {
            name,
            file: s.enc,
            expect: Expect::Refused(reserved(f, r)),
        });
    }
    // The unknown header is the second stream's, found by scanning (A's index is damaged so
    // nothing is read through indexes): its segments are not salvaged as today's version, nor is
    // anything else.
    let mut a_idx = a();
    damage_index(&mut a_idx);
    let mut b4 = b();
    set_header_byte(&mut b4, 4, 4);
    rows.push(Row {
        name: "second-stream-v4-scanned",
        file: cat(&[&a_idx.enc, &b4.enc]),
        expect: Expect::Refused(unsupported(4)),
    });
    let mut b4 = b();
    set_header_byte(&mut b4, 4, 4);
    rows.push(Row {
        name: "second-stream-v4",
        file: cat(&[&a().enc, &b4.enc]),
        expect: Expect::Refused(unsupported(4)),
    });
    let mut bf = b();
    set_header_byte(&mut bf, 5, 0x02);
    let b_at = a().enc.len();
    rows.push(Row {
        name: "second-stream-flags",
        file: cat(&[&a().enc, &bf.enc]),
        expect: Expect::Refused(format!(
            "corrupt file header: reserved bytes set (0x02, 0x00): a header this build does not \
             know, so salvage does not reinterpret it (the stream at byte {b_at})"
        )),
    });

    // A version byte of 4 whose check value fails is damage, not an unknown version: the stream is
    // recovered from its segments.
    let sa = a();
    let mut s = a();
    s.enc[4] = 4;
    rows.push(Row {
        name: "v4-damaged-header",
        file: s.enc,
        expect: Expect::Report(Want {
            out: sa.data.clone(),
            recovered: 3,
            streams: 1,
            scanned: true,
            original_len: Some(A_LEN as u64),
            lost: vec![],
            inconsistent: vec![],
            code: 0,
            stderr: vec!["by scanning".into(), "nothing lost".into()],
        }),
    });
    run_rows(rows);
}

/// The refusal is an `UnsupportedVersion` error a library caller can match.
#[test]
fn unknown_version_error_is_typed() {
    let sigma = Sigma::new();
    let mut s = a();
    set_header_byte(&mut s, 4, 9);
    let p = sigma.create("v9.sigma", &s.enc);
    let (r, out) = library(&p);
    assert!(
        matches!(
            r,
            Err(Error::UnsupportedVersion {
                found: 9,
                supported: 3
            })
        ),
        "{r:?}"
    );
    assert!(out.is_empty());
}
