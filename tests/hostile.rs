//! Hostile archives, built field by field with every checksum valid (`hostile/writer.rs`), one row
//! per rule of docs/FORMAT.md ("Rules a reader enforces", "Varints", "Versioning", "Which
//! structure is authoritative", "Error positions") and per defect of issue 22. Each row builds its
//! archive with the defect and without it: without, every decode path must give back the data (so
//! the row can fail), with, every path must give the exact error — variant, segment, offset and
//! the words of the message.
//!
//! Paths: `decode(Source::File)` and `Reader` (random access) read through the index;
//! `decode(Source::Reader)` and `Decoder` parse front to back.

mod util;
#[path = "hostile/writer.rs"]
mod writer;

use sigmalang::{decode, Error, Options, Source};
use std::io::{Cursor, Read};
use std::os::unix::fs::FileExt;
use util::{decoder_read_all, random, unwrap_io};
use writer::*;

pub const SEG: u32 = 4096;

type Matcher = Box<dyn Fn(&Error) -> bool>;

macro_rules! m {
    ($($p:tt)*) => {
        Box::new(move |e: &Error| matches!(e, $($p)*)) as Matcher
    };
}

/// What a path must report: a variant pattern and words of the message.
struct Want {
    matches: Matcher,
    words: Vec<String>,
}

fn want(matches: Matcher, words: &[&str]) -> Want {
    Want {
        matches,
        words: words.iter().map(|w| w.to_string()).collect(),
    }
}

/// Builds a row's archive with the defect (`true`) or without it, and the data the latter holds.
type Build = Box<dyn Fn(bool) -> (Vec<u8>, Vec<u8>)>;

struct Row {
    name: &'static str,
    build: Build,
    /// What the streaming paths report.
    stream: Want,
    /// What the indexed paths report, when it is not the same.
    indexed: Option<Want>,
}

fn row(name: &'static str, build: impl Fn(bool) -> (Vec<u8>, Vec<u8>) + 'static, w: Want) -> Row {
    Row {
        name,
        build: Box::new(build),
        stream: w,
        indexed: None,
    }
}

#[path = "hostile/rows.rs"]
mod rows;
#[path = "hostile/sequences.rs"]
mod sequences;

// --- running the table ------------------------------------------------------------------------

const PATHS: [&str; 4] = [
    "decode(Source::File)",
    "Reader",
    "decode(Source::Reader)",
    "Decoder",
];

/// `bytes` through each of [`PATHS`].
fn decode_all(bytes: &[u8]) -> Vec<sigmalang::Result<Vec<u8>>> {
    let o = Options::new().threads(1);
    let file = tempfile::tempfile().unwrap();
    file.write_all_at(bytes, 0).unwrap();
    let mut out = Vec::new();
    let from_file = decode(Source::File(&file), &mut out, &o, None).map(|_| out);
    let random = sigmalang::Reader::new(Cursor::new(bytes)).and_then(|mut r| {
        let mut out = Vec::new();
        r.read_to_end(&mut out).map_err(unwrap_io)?;
        Ok(out)
    });
    let mut out = Vec::new();
    let from_reader = decode(Source::Reader(&mut &bytes[..]), &mut out, &o, None).map(|_| out);
    vec![from_file, random, from_reader, decoder_read_all(bytes)]
}

/// The rows' problems on the paths `which` picks.
fn check(rows: &[Row]) -> Vec<String> {
    let mut problems = Vec::new();
    for r in rows {
        let (good, data) = (r.build)(false);
        let (bad, _) = (r.build)(true);
        assert_ne!(good, bad, "{}: the defect changes nothing", r.name);
        for (p, (g, b)) in decode_all(&good)
            .into_iter()
            .zip(decode_all(&bad))
            .enumerate()
        {
            let path = PATHS[p];
            match g {
                Ok(out) if out == data => {}
                other => {
                    problems.push(format!("{}: {path}: without the defect: {other:?}", r.name))
                }
            }
            let w = match (&r.indexed, p) {
                (Some(w), 0 | 1) => w,
                _ => &r.stream,
            };
            match b {
                Ok(_) => problems.push(format!("{}: {path}: decoded", r.name)),
                Err(e) => {
                    let msg = e.to_string();
                    let missing: Vec<_> = w
                        .words
                        .iter()
                        .filter(|x| !msg.contains(x.as_str()))
                        .collect();
                    if !(w.matches)(&e) || !missing.is_empty() || !e.is_corrupt_input() {
                        problems.push(format!(
                            "{}: {path}: {e:?}\n    \"{msg}\" lacks {missing:?}",
                            r.name
                        ));
                    }
                }
            }
        }
    }
    problems
}

fn report(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn hostile_archives_give_the_exact_error_on_every_path() {
    let mut rows = rows::rows();
    rows.extend(sequences::rows());
    assert!(rows.len() >= 40, "{} rows", rows.len());
    report(check(&rows));
}

/// The writer agrees with the encoder: an empty input gives the same 72 bytes (docs/FORMAT.md,
/// "Footer"), whose stream hash is xxh3 of no bytes.
#[test]
fn the_writer_and_the_encoder_agree_on_the_empty_stream() {
    let empty = Archive::new(VERSION, SEG).bytes();
    let enc = util::encode_bytes(&[], &util::opts(1, 3, SEG));
    assert_eq!(empty, enc);
    assert_eq!(util::le64(&enc, 72 - 12), 0x2D06_8005_38D3_94C2);
    assert_eq!(util::le32(&enc, 28), 0x1675_3BDF);
}

/// Every archive this suite calls valid is one the encoder could have written: the writer's
/// layout of a stored segment matches the encoder's byte for byte (format version included).
#[test]
fn the_writer_and_the_encoder_agree_on_a_stored_segment() {
    let data = random(3000, 9);
    let a = Archive::new(VERSION, SEG).seg(Seg::stored(&data));
    assert_eq!(a.bytes(), util::encode_bytes(&data, &util::opts(1, 3, SEG)));
}

/// The same for a segment in the sequences layout: the writer's header fields around the
/// encoder's payload give the encoder's stream byte for byte.
#[test]
fn the_writer_and_the_encoder_agree_on_a_sequences_segment() {
    let data = util::text(3000, 9);
    let mut payload = Vec::new();
    let mf = &mut sigmalang::codec::MatchFinder::new(3);
    let layout = sigmalang::codec::encode_payload(&data, mf, &mut payload);
    assert_eq!(layout, Some(sigmalang::codec::Layout::Sequences));
    let a = Archive::new(VERSION, SEG).seg(Seg::coded(SEQUENCES, &data, payload));
    assert_eq!(a.bytes(), util::encode_bytes(&data, &util::opts(1, 3, SEG)));
}
