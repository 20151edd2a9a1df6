//! Damaged input: a table of hand-made corruptions with the exact error each must give, then
//! exhaustive single-byte corruption and truncation of a small stream through every decode path.
//!
//! Decode paths: `decode(Source::File)` (reads the index at the end, then the segments it lists),
//! `decode(Source::Reader)` and `Decoder<R>` (both parse front to back).

mod util;

use sigmalang::format::VERSION;
use sigmalang::{decode, Error, Options, Source};
use std::alloc::{GlobalAlloc, System};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use util::*;

// --- the largest single allocation, to show that no length field is trusted blindly ------------

struct Tracking;

static LARGEST_ALLOC: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        LARGEST_ALLOC.fetch_max(l.size(), Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: std::alloc::Layout) -> *mut u8 {
        LARGEST_ALLOC.fetch_max(l.size(), Ordering::Relaxed);
        System.alloc_zeroed(l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: std::alloc::Layout, new: usize) -> *mut u8 {
        LARGEST_ALLOC.fetch_max(new, Ordering::Relaxed);
        System.realloc(p, l, new)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        System.dealloc(p, l)
    }
}

#[global_allocator]
static GLOBAL: Tracking = Tracking;

/// Nothing in this test binary allocates anywhere near this much in one piece (segments are 4 KiB).
const ALLOC_LIMIT: usize = 8 << 20;

// --- the sample stream ---------------------------------------------------------------------------

const SEG: u32 = 4096;
const S: usize = SEG as usize;

struct Sample {
    data: Vec<u8>,
    enc: Vec<u8>,
    layout: Layout,
}

/// Five segments: coded text, stored random, coded runs, stored random, short coded text.
fn sample() -> &'static Sample {
    static SAMPLE: OnceLock<Sample> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let data = [
            text(S, 1),
            random(S, 2),
            runs(S, 3),
            random(S, 4),
            text(2500, 5),
        ]
        .concat();
        let enc = encode_bytes(&data, &opts(1, 3, SEG));
        let layout = layout(&enc);
        let stored: Vec<bool> = layout.segments.iter().map(|s| s.stored).collect();
        assert_eq!(stored, [false, true, false, true, false], "sample layout");
        Sample { data, enc, layout }
    })
}

/// One worker: thousands of decodes run here, and a pool per call is the main cost.
fn dopts() -> Options {
    Options::new().threads(1)
}

/// The three decode paths' results (file path through `file`, which gets `bytes` written to it).
struct Outcome {
    file: sigmalang::Result<Vec<u8>>,
    reader: sigmalang::Result<Vec<u8>>,
    decoder: sigmalang::Result<Vec<u8>>,
}

fn decode_file_src(f: &File) -> sigmalang::Result<Vec<u8>> {
    let mut out = Vec::new();
    decode(Source::File(f), &mut out, &dopts(), None).map(|_| out)
}

fn decode_three(bytes: &[u8]) -> Outcome {
    let tmp = tempfile::tempfile().unwrap();
    tmp.write_all_at(bytes, 0).unwrap();
    Outcome {
        file: decode_file_src(&tmp),
        reader: decode_bytes(bytes, &dopts()),
        decoder: decoder_read_all(bytes),
    }
}

// --- the table -------------------------------------------------------------------------------------

type Matcher = Box<dyn Fn(&Error) -> bool>;

macro_rules! m {
    ($($p:tt)*) => {
        Box::new(move |e: &Error| matches!(e, $($p)*)) as Matcher
    };
}

struct Case {
    what: &'static str,
    bytes: Vec<u8>,
    /// Expected from `decode(Source::Reader)` and `Decoder<R>`.
    stream: Matcher,
    /// Expected from `decode(Source::File)`; `None`: only "some corrupt-input error" is checked
    /// here, a separate test pins the exact error (see `trailing_data_file_path`).
    file: Option<Matcher>,
}

fn case(what: &'static str, bytes: Vec<u8>, both: fn() -> Matcher) -> Case {
    Case {
        what,
        bytes,
        stream: both(),
        file: Some(both()),
    }
}

fn edit(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut v = sample().enc.clone();
    f(&mut v);
    v
}

fn cases() -> Vec<Case> {
    let smp = sample();
    let enc = &smp.enc;
    let l = &smp.layout;
    let seg = l.segments.clone();
    let len = enc.len();
    let (s0, s1, s2, s3, s4) = (seg[0], seg[1], seg[2], seg[3], seg[4]);
    let foot = l.footer_offset;
    let mut v = Vec::new();

    // Nothing at all: cut before the magic.
    v.push(case("empty input", vec![], || {
        m!(Error::Truncated { offset: 0, .. })
    }));
    // Too short to even hold a magic: truncated, not "bad magic".
    v.push(case("two bytes", b"\xce\xa3".to_vec(), || {
        m!(Error::Truncated { offset: 2, .. })
    }));
    // The magic and nothing else.
    v.push(case("magic only", enc[..4].to_vec(), || {
        m!(Error::Truncated { offset: 4, .. })
    }));
    // A zip file (or anything else) is not ΣLANG.
    v.push(case(
        "bad magic",
        edit(|e| e[..4].copy_from_slice(b"PK\x03\x04")),
        || m!(Error::BadMagic { found } if found == b"PK\x03\x04"),
    ));
    v.push(case("random bytes", random(1000, 77), || {
        m!(Error::BadMagic { .. })
    }));
    // The version after this build's: the header check value no longer matches either, but the
    // version is checked first, so the reader says what it is instead of "damaged". Version 0 is
    // no version.
    v.push(case(
        "unsupported version",
        edit(|e| e[4] = VERSION + 1),
        || {
            m!(Error::UnsupportedVersion {
            found,
            supported: VERSION
        } if *found == VERSION + 1)
        },
    ));
    v.push(case("version 0", edit(|e| e[4] = 0), || {
        m!(Error::UnsupportedVersion {
            found: 0,
            supported: VERSION
        })
    }));
    // The same with a valid check value.
    v.push(case(
        "unsupported version, valid check",
        edit(|e| {
            e[4] = 0xff;
            fix_file_header_check(e);
        }),
        || {
            m!(Error::UnsupportedVersion {
                found: 0xff,
                supported: VERSION
            })
        },
    ));
    // One bit of the level byte: the header check value catches it.
    v.push(case(
        "header check mismatch",
        edit(|e| e[6] ^= 1),
        || m!(Error::BadHeader { what } if what.contains("check")),
    ));
    // The check value itself damaged.
    v.push(case(
        "header check value damaged",
        edit(|e| e[15] ^= 0x80),
        || m!(Error::BadHeader { .. }),
    ));
    // A reserved byte set, with a valid check value.
    v.push(case(
        "reserved header byte",
        edit(|e| {
            e[5] = 1;
            fix_file_header_check(e);
        }),
        || m!(Error::BadHeader { what } if what.contains("reserved")),
    ));
    // Segment size below the minimum, with a valid check value.
    v.push(case(
        "segment size 1000",
        edit(|e| {
            e[8..12].copy_from_slice(&1000u32.to_le_bytes());
            fix_file_header_check(e);
        }),
        || m!(Error::BadHeader { what } if what.contains("segment size")),
    ));
    // Segment size above the maximum (would allow 4 GiB segments), with a valid check value.
    v.push(case(
        "segment size 4 GiB",
        edit(|e| {
            e[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
            fix_file_header_check(e);
        }),
        || m!(Error::BadHeader { .. }),
    ));
    // The file header and nothing else.
    v.push(case("file header only", enc[..16].to_vec(), || {
        m!(Error::Truncated { offset: 16, .. })
    }));
    // Cut exactly at a segment boundary: every segment present is intact, the end is missing.
    let cut = s1.offset;
    v.push(case(
        "cut at a segment boundary",
        enc[..cut].to_vec(),
        || m!(Error::Truncated { offset, .. } if *offset == sample().layout.segments[1].offset as u64),
    ));
    // Cut after all segments, before the index.
    v.push(case(
        "cut before the index",
        enc[..l.index_offset].to_vec(),
        || m!(Error::Truncated { offset, .. } if *offset == sample().layout.index_offset as u64),
    ));
    // Cut in the middle of a segment header.
    v.push(case(
        "cut inside a segment header",
        enc[..s2.offset + 10].to_vec(),
        || m!(Error::Truncated { offset, .. } if *offset == sample().layout.segments[2].offset as u64 + 10),
    ));
    // Cut in the middle of a payload.
    v.push(case(
        "cut inside a payload",
        enc[..s3.offset + 36 + 100].to_vec(),
        || m!(Error::Truncated { .. }),
    ));
    // The index is there, the footer is missing.
    v.push(case(
        "missing footer",
        enc[..foot].to_vec(),
        || m!(Error::Truncated { offset, .. } if *offset == sample().layout.footer_offset as u64),
    ));
    // The footer's last byte is missing.
    v.push(case(
        "footer cut by one byte",
        enc[..len - 1].to_vec(),
        || m!(Error::Truncated { .. }),
    ));
    // One byte after a complete stream.
    let enc_len = len as u64;
    v.push(Case {
        what: "trailing garbage after the footer",
        bytes: edit(|e| e.push(0)),
        stream: m!(Error::TrailingData { offset } if *offset == enc_len),
        file: None,
    });
    // A whole second stream after the first decodes (tests/concat.rs); one cut short is truncated
    // where the input ends.
    v.push(case(
        "second stream cut short",
        [enc.clone(), enc[..100].to_vec()].concat(),
        || m!(Error::Truncated { offset, .. } if *offset == sample().enc.len() as u64 + 100),
    ));
    // A segment header claiming a 4 GiB raw length, with a valid check value: rejected against the
    // segment size before anything is allocated (the allocation bound is checked separately).
    v.push(case(
        "huge raw_len",
        edit(|e| {
            let at = sample().layout.segments[0].offset;
            e[at + 12..at + 16].copy_from_slice(&u32::MAX.to_le_bytes());
            fix_segment_header_check(e, at);
        }),
        || {
            m!(Error::CorruptSegment {
                segment: 0,
                offset: 16,
                ..
            })
        },
    ));
    // A stored segment claiming a 4 GiB payload, with a valid check value.
    v.push(case(
        "huge enc_len",
        edit(|e| {
            let at = sample().layout.segments[1].offset;
            e[at + 16..at + 20].copy_from_slice(&u32::MAX.to_le_bytes());
            fix_segment_header_check(e, at);
        }),
        || m!(Error::CorruptSegment { segment: 1, offset, .. } if *offset == sample().layout.segments[1].offset as u64),
    ));
    // A coded segment whose payload would not be smaller than its raw length.
    v.push(case(
        "coded payload as long as the raw data",
        edit(|e| {
            let at = sample().layout.segments[0].offset;
            e[at + 16..at + 20].copy_from_slice(&SEG.to_le_bytes());
            fix_segment_header_check(e, at);
        }),
        || m!(Error::CorruptSegment { segment: 0, .. }),
    ));
    // An empty segment (raw_len 0) is never written.
    v.push(case(
        "raw_len 0",
        edit(|e| {
            let at = sample().layout.segments[2].offset;
            e[at + 12..at + 16].copy_from_slice(&0u32.to_le_bytes());
            fix_segment_header_check(e, at);
        }),
        || m!(Error::CorruptSegment { segment: 2, .. }),
    ));
    // An unknown flag bit, with a valid check value.
    v.push(case(
        "unknown segment flag",
        edit(|e| {
            let at = sample().layout.segments[2].offset;
            e[at + 8] |= 0x80;
            fix_segment_header_check(e, at);
        }),
        || m!(Error::CorruptSegment { segment: 2, what, .. } if what.contains("flag")),
    ));
    // A damaged segment marker.
    v.push(case(
        "bad segment marker",
        edit(|e| e[sample().layout.segments[3].offset + 2] = b'X'),
        || m!(Error::CorruptSegment { segment: 3, .. }),
    ));
    // Segments 1 and 3 (both stored, same size) swapped: each is intact on its own.
    v.push(case(
        "swapped segments of equal size",
        edit(|e| {
            let (a, b) = (sample().layout.segments[1], sample().layout.segments[3]);
            let sa = e[a.offset..a.end()].to_vec();
            let sb = e[b.offset..b.end()].to_vec();
            e[a.offset..a.end()].copy_from_slice(&sb);
            e[b.offset..b.end()].copy_from_slice(&sa);
        }),
        || m!(Error::CorruptSegment { segment: 1, what, .. } if what.contains("ordinal") || what.contains("index")),
    ));
    // Segments 0 and 1 (different sizes) swapped.
    v.push(case(
        "swapped segments of different sizes",
        {
            let mut e = enc[..s0.offset].to_vec();
            e.extend_from_slice(&enc[s1.offset..s1.end()]);
            e.extend_from_slice(&enc[s0.offset..s0.end()]);
            e.extend_from_slice(&enc[s2.offset..]);
            e
        },
        || m!(Error::CorruptSegment { segment: 0, what, .. } if what.contains("ordinal") || what.contains("index")),
    ));
    // One flipped payload bit in a coded segment.
    v.push(case(
        "corrupted payload",
        edit(|e| e[sample().layout.segments[2].offset + 36 + 5] ^= 0x10),
        || m!(Error::CorruptSegment { segment: 2, what, .. } if what.contains("payload checksum")),
    ));
    // One flipped payload byte in a stored segment.
    v.push(case(
        "corrupted stored payload",
        edit(|e| e[sample().layout.segments[3].offset + 36 + 4000] ^= 0xff),
        || m!(Error::CorruptSegment { segment: 3, what, .. } if what.contains("payload checksum")),
    ));
    // A coded payload edited and its payload check value recomputed: the glyph decoder or the
    // decoded-data checksum must catch it.
    v.push(case(
        "corrupted glyphs, valid payload check",
        edit(|e| {
            let s = sample().layout.segments[0];
            e[s.offset + 36 + 40] ^= 0x01;
            fix_payload_hash(e, &s);
        }),
        || {
            m!(Error::Codec {
                segment: 0,
                offset: 16,
                ..
            } | Error::CorruptSegment {
                segment: 0,
                offset: 16,
                ..
            })
        },
    ));
    // A glyph stream that starts with a REFERENCE: nothing precedes it to refer to. (The segment
    // is made a plain glyph stream first, whatever layout the encoder chose for it; the REFERENCE
    // has `lo` and `hi` 0, distance 1.)
    v.push(case(
        "reference before any data, valid payload check",
        edit(|e| {
            let s = sample().layout.segments[2];
            e[s.offset + 8] = 0;
            e[s.offset + 36..s.offset + 39].copy_from_slice(&[0x40, 0, 0]);
            fix_payload_hash(e, &s);
        }),
        || {
            m!(Error::Codec {
                segment: 2,
                source: sigmalang::CodecError::BadDistance {
                    at: sigmalang::error::Pos::Byte(0),
                    ..
                },
                ..
            } | Error::CorruptSegment { segment: 2, .. })
        },
    ));
    // A stored payload edited with a valid payload check: only the decoded-data checksum knows.
    v.push(case(
        "stored payload edited, valid payload check",
        edit(|e| {
            let s = sample().layout.segments[1];
            e[s.offset + 36 + 7] ^= 0x01;
            fix_payload_hash(e, &s);
        }),
        || m!(Error::CorruptSegment { segment: 1, what, .. } if what.contains("decoded data checksum")),
    ));
    // The decoded-data checksum in a header edited (valid header check value).
    v.push(case(
        "raw hash edited, valid header check",
        edit(|e| {
            let at = sample().layout.segments[4].offset;
            e[at + 20] ^= 0x01;
            fix_segment_header_check(e, at);
        }),
        || m!(Error::CorruptSegment { segment: 4, .. }),
    ));
    // A segment dropped: the stream parser sees the ordinal jump; the file reader sees that the
    // index no longer fits.
    v.push(Case {
        what: "dropped segment",
        bytes: [&enc[..s2.offset], &enc[s2.end()..]].concat(),
        stream: m!(Error::CorruptSegment { segment: 2, what, .. } if what.contains("ordinal")),
        file: Some(m!(Error::CorruptTrailer { .. })),
    });
    // A segment duplicated.
    v.push(Case {
        what: "duplicated segment",
        bytes: [&enc[..s1.end()], &enc[s1.offset..]].concat(),
        stream: m!(Error::CorruptSegment { segment: 2, what, .. } if what.contains("ordinal")),
        file: Some(m!(Error::CorruptTrailer { .. })),
    });
    // A copy of the short last segment, renumbered, after it: only the last segment may be short.
    v.push(Case {
        what: "segment after the short final segment",
        bytes: {
            let mut extra = enc[s4.offset..s4.end()].to_vec();
            extra[4..8].copy_from_slice(&5u32.to_le_bytes());
            fix_segment_header_check(&mut extra, 0);
            [&enc[..s4.end()], &extra[..], &enc[s4.end()..]].concat()
        },
        stream: m!(Error::CorruptSegment { segment: 5, what, .. } if what.contains("short")),
        file: Some(m!(Error::CorruptTrailer { .. })),
    });
    // The segment size in the file header doubled (valid check): segment 0 is then short, so a
    // segment after it is an error; and the footer cannot hold the length in 5 segments.
    v.push(Case {
        what: "segment size changed, valid header check",
        bytes: edit(|e| {
            e[8..12].copy_from_slice(&(2 * SEG).to_le_bytes());
            fix_file_header_check(e);
        }),
        stream: m!(Error::CorruptSegment { segment: 1, what, .. } if what.contains("short")),
        file: Some(m!(Error::CorruptTrailer { .. })),
    });
    // One bit of an index entry.
    v.push(case(
        "corrupted index entry",
        edit(|e| e[sample().layout.index_offset + 12 + 32 + 3] ^= 0x04),
        || m!(Error::CorruptTrailer { .. }),
    ));
    // The index count.
    v.push(case(
        "index count",
        edit(|e| e[sample().layout.index_offset + 4] ^= 0x02),
        || m!(Error::CorruptTrailer { .. }),
    ));
    // The index check value.
    v.push(case(
        "index check value",
        edit(|e| e[sample().layout.footer_offset - 1] ^= 0x20),
        || m!(Error::CorruptTrailer { .. }),
    ));
    // One bit of the footer's raw length: the footer check value catches it.
    v.push(case(
        "footer field",
        edit(|e| e[sample().layout.footer_offset + 12] ^= 0x01),
        || m!(Error::CorruptTrailer { .. }),
    ));
    // The footer's raw length changed with a valid check value: disagrees with the segments.
    v.push(case(
        "footer raw length, valid check",
        edit(|e| {
            let at = sample().layout.footer_offset + 12;
            let n = le64(e, at) + 1;
            e[at..at + 8].copy_from_slice(&n.to_le_bytes());
            fix_footer_check(e);
        }),
        || m!(Error::CorruptTrailer { .. }),
    ));
    // A footer claiming 2^50 segments, valid check: rejected without allocating an index for them.
    v.push(case(
        "footer claims 2^50 segments",
        edit(|e| {
            let at = sample().layout.footer_offset;
            e[at + 4..at + 12].copy_from_slice(&(1u64 << 50).to_le_bytes());
            e[at + 12..at + 20].copy_from_slice(&((1u64 << 50) * 4096).to_le_bytes());
            fix_footer_check(e);
        }),
        || m!(Error::CorruptTrailer { .. }),
    ));
    // The footer marker damaged: the stream parser finds a bad footer where one must be; the file
    // reader finds no footer at the end, which looks like a cut stream.
    v.push(Case {
        what: "footer marker",
        bytes: edit(|e| e[sample().layout.footer_offset + 3] = b'X'),
        stream: m!(Error::CorruptTrailer { .. }),
        file: Some(m!(Error::Truncated { .. } | Error::CorruptTrailer { .. })),
    });
    v
}

fn check_err(path: &str, case: &Case, r: &sigmalang::Result<Vec<u8>>, want: Option<&Matcher>) {
    match r {
        Ok(_) => panic!("{}: {path} decoded a corrupt stream", case.what),
        Err(e) => {
            assert!(
                e.is_corrupt_input(),
                "{}: {path}: not a corrupt-input error: {e:?}",
                case.what
            );
            if let Some(want) = want {
                assert!(
                    want(e),
                    "{}: {path}: unexpected error {e:?} ({e})",
                    case.what
                );
            }
        }
    }
}

#[test]
fn corrupt_input_table() {
    let cases = cases();
    assert!(cases.len() > 40);
    for c in &cases {
        let o = decode_three(&c.bytes);
        check_err("decode(Source::File)", c, &o.file, c.file.as_ref());
        check_err("decode(Source::Reader)", c, &o.reader, Some(&c.stream));
        check_err("Decoder<R>", c, &o.decoder, Some(&c.stream));
    }
}

#[test]
fn the_sample_itself_decodes() {
    let smp = sample();
    let o = decode_three(&smp.enc);
    assert!(o.file.unwrap() == smp.data);
    assert!(o.reader.unwrap() == smp.data);
    assert!(o.decoder.unwrap() == smp.data);
}

#[test]
fn huge_length_fields_allocate_nothing_big() {
    // Several tests run at once in this process; none of them allocates more than ALLOC_LIMIT.
    for c in cases() {
        if !(c.what.starts_with("huge") || c.what.contains("2^50") || c.what.contains("4 GiB")) {
            continue;
        }
        let before = LARGEST_ALLOC.load(Ordering::Relaxed);
        assert!(before < ALLOC_LIMIT);
        let o = decode_three(&c.bytes);
        assert!(o.file.is_err() && o.reader.is_err() && o.decoder.is_err());
        let largest = LARGEST_ALLOC.load(Ordering::Relaxed);
        assert!(
            largest < ALLOC_LIMIT,
            "{}: an allocation of {largest} bytes",
            c.what
        );
    }
}

#[test]
fn error_messages_name_the_damage() {
    let smp = sample();
    let s2 = smp.layout.segments[2];
    let mut bad = smp.enc.clone();
    bad[s2.offset + 36 + 9] ^= 0xff;
    let o = decode_three(&bad);
    for r in [o.file, o.reader, o.decoder] {
        let msg = r.unwrap_err().to_string();
        assert!(
            msg.contains("segment 2") && msg.contains(&format!("byte {}", s2.offset)),
            "{msg}"
        );
    }
    let o = decode_three(&smp.enc[..smp.enc.len() - 3]);
    for r in [o.file, o.reader, o.decoder] {
        let msg = r.unwrap_err().to_string();
        assert!(msg.contains("truncated"), "{msg}");
    }
}

// --- exhaustive ------------------------------------------------------------------------------

/// What a damaged byte at `at` must be reported as (by every path).
fn check_flip(at: usize, path: &str, e: &Error, failures: &mut Vec<String>) {
    let l = &sample().layout;
    let mut fail = |why: &str| failures.push(format!("byte {at}, {path}: {why}: {e:?}"));
    if !e.is_corrupt_input() {
        return fail("not a corrupt-input error");
    }
    if at < FILE_HEADER_LEN {
        if !matches!(
            e,
            Error::BadMagic { .. } | Error::UnsupportedVersion { .. } | Error::BadHeader { .. }
        ) {
            fail("file header damage not reported as such");
        }
    } else if let Some((k, s)) = l
        .segments
        .iter()
        .enumerate()
        .find(|(_, s)| (s.offset..s.end()).contains(&at))
    {
        let (segment, offset) = match e {
            Error::CorruptSegment {
                segment, offset, ..
            }
            | Error::Codec {
                segment, offset, ..
            } => (*segment, *offset),
            _ => {
                return fail(&format!(
                    "segment {k} damage not reported as a segment error"
                ))
            }
        };
        if !e.to_string().contains("segment") {
            fail("message does not name the segment");
        }
        if offset != s.offset as u64 {
            fail(&format!("wrong offset (segment {k} is at {})", s.offset));
        }
        if segment != k as u64 {
            fail(&format!("wrong segment number (damage is in segment {k})"));
        }
    } else if (l.index_offset..l.index_offset + 4).contains(&at) && path != "file" {
        // A damaged index marker: a stream parser cannot tell it from a damaged marker of one
        // more segment, and says so ("expected a segment header or the index").
        if !matches!(e, Error::CorruptSegment { segment, offset, what }
            if *segment == l.segments.len() as u64
                && *offset == l.index_offset as u64
                && what.contains("or the index"))
        {
            fail("damaged index marker");
        }
    } else if !matches!(e, Error::CorruptTrailer { .. } | Error::Truncated { .. })
        || (matches!(e, Error::Truncated { .. }) && path != "file")
    {
        // The file reader cannot tell a damaged footer marker from a missing footer.
        fail("index/footer damage not reported as CorruptTrailer");
    }
}

/// Every single-byte corruption with `mask` through the three decode paths. Returns the problems.
fn flip_every_byte(mask: u8, segment_numbers: bool) -> Vec<String> {
    let smp = sample();
    let mut bytes = smp.enc.clone();
    let file = tempfile::tempfile().unwrap();
    file.write_all_at(&bytes, 0).unwrap();
    let mut out = Vec::with_capacity(smp.data.len());
    let mut failures = Vec::new();
    let o = dopts();
    for at in 0..bytes.len() {
        let orig = bytes[at];
        bytes[at] ^= mask;
        file.write_all_at(&bytes[at..at + 1], at as u64).unwrap();

        out.clear();
        let file_r = decode(Source::File(&file), &mut out, &o, None);
        out.clear();
        let reader_r = decode(Source::Reader(&mut &bytes[..]), &mut out, &o, None);
        out.clear();
        let decoder_r = sigmalang::Decoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(unwrap_io);
        for (path, r) in [
            ("file", file_r.map(|_| ())),
            ("reader", reader_r.map(|_| ())),
            ("decoder", decoder_r.map(|_| ())),
        ] {
            match r {
                Ok(()) => failures.push(format!("byte {at}, {path}: corrupt stream decoded")),
                Err(e) => {
                    let before = failures.len();
                    check_flip(at, path, &e, &mut failures);
                    if !segment_numbers {
                        // Wrong segment numbers are the subject of a separate (ignored) test.
                        let keep: Vec<String> = failures
                            .drain(before..)
                            .filter(|f| !f.contains("wrong segment number"))
                            .collect();
                        failures.extend(keep);
                    }
                }
            }
        }

        bytes[at] = orig;
        file.write_all_at(&bytes[at..at + 1], at as u64).unwrap();
    }
    failures
}

fn report(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} problems, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

#[test]
fn every_byte_xor_01_is_detected() {
    report(flip_every_byte(0x01, false));
}

#[test]
fn every_byte_xor_ff_is_detected() {
    report(flip_every_byte(0xff, false));
}

#[test]
fn every_byte_flip_names_the_right_segment() {
    let mut f = flip_every_byte(0x01, true);
    f.extend(flip_every_byte(0xff, true));
    report(f);
}

#[test]
fn every_truncation_is_detected() {
    let smp = sample();
    let enc = &smp.enc;
    let file = tempfile::tempfile().unwrap();
    file.write_all_at(enc, 0).unwrap();
    let o = dopts();
    let mut out = Vec::with_capacity(smp.data.len());
    let mut failures = Vec::new();
    // From the longest cut down, shortening the one file as we go.
    for n in (0..enc.len()).rev() {
        file.set_len(n as u64).unwrap();
        let cut = &enc[..n];
        out.clear();
        let file_r = decode(Source::File(&file), &mut out, &o, None).map(|_| ());
        out.clear();
        let reader_r = decode(Source::Reader(&mut &cut[..]), &mut out, &o, None).map(|_| ());
        out.clear();
        let decoder_r = sigmalang::Decoder::new(cut)
            .read_to_end(&mut out)
            .map(|_| ())
            .map_err(unwrap_io);
        for (path, r) in [
            ("file", file_r),
            ("reader", reader_r),
            ("decoder", decoder_r),
        ] {
            match r {
                Ok(()) => failures.push(format!("{n} bytes, {path}: truncated stream decoded")),
                // Every prefix of a valid stream is a valid stream cut short.
                Err(Error::Truncated { offset, .. }) => {
                    if offset != n as u64 {
                        failures.push(format!("{n} bytes, {path}: Truncated at {offset}"));
                    }
                }
                Err(e) => failures.push(format!("{n} bytes, {path}: {e:?}")),
            }
        }
    }
    report(failures);
}

// --- reading on after an error ---------------------------------------------------------------------

/// Reads a `Decoder` until the first error, then reads again: the error must stick, and no byte of
/// the failed segment may come out.
fn read_after_error(enc: &[u8]) -> (usize, std::io::Result<usize>) {
    let mut d = sigmalang::Decoder::new(enc);
    let mut buf = vec![0u8; 1000];
    let mut good = 0;
    loop {
        match d.read(&mut buf) {
            Ok(0) => panic!("corrupt stream decoded"),
            Ok(n) => good += n,
            Err(e) => {
                assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
                break;
            }
        }
    }
    (good, d.read(&mut buf))
}

#[test]
fn decoder_error_sticks_after_checksum_failure() {
    // A payload checksum failure leaves the decoder's buffer alone: the error sticks.
    let smp = sample();
    let mut bad = smp.enc.clone();
    bad[smp.layout.segments[1].offset + 40] ^= 1;
    let (good, again) = read_after_error(&bad);
    assert_eq!(good, S, "segment 0 is intact and comes out");
    assert!(again.is_err(), "read after an error returned {again:?}");
}

#[test]
fn decoder_never_returns_unverified_bytes_after_an_error() {
    // Segment 0 is stored; its payload is edited and its payload check recomputed, so only the
    // decoded-data checksum fails, after the payload was copied into the decoder's buffer.
    let data = [random(S, 9), text(S, 10)].concat();
    let mut enc = encode_bytes(&data, &opts(1, 3, SEG));
    let s0 = layout(&enc).segments[0];
    assert!(s0.stored);
    enc[s0.offset + 36 + 100] ^= 0xff;
    fix_payload_hash(&mut enc, &s0);
    let (good, again) = read_after_error(&enc);
    assert_eq!(good, 0);
    assert!(
        again.is_err(),
        "read after an error returned {:?} bytes of the corrupt segment",
        again.ok()
    );
}

#[test]
fn decoder_read_after_codec_error_does_not_panic() {
    // Segment 0 decodes fine (pos = 4096); segment 1's glyph stream starts with a REFERENCE to
    // nothing (valid payload check), so decompress fails with `out` empty.
    let data = [text(S, 11), text(S, 12)].concat();
    let mut enc = encode_bytes(&data, &opts(1, 3, SEG));
    let s1 = layout(&enc).segments[1];
    assert!(!s1.stored);
    enc[s1.offset + 36] = 0x40;
    fix_payload_hash(&mut enc, &s1);
    let (good, again) = std::panic::catch_unwind(|| read_after_error(&enc))
        .unwrap_or_else(|_| panic!("Decoder panicked on a read after an error"));
    assert_eq!(good, S);
    assert!(again.is_err());
}

#[test]
fn trailing_data_file_path() {
    let smp = sample();
    let end = smp.enc.len() as u64;
    for extra in [vec![0u8], smp.enc[..2].to_vec(), random(100, 9)] {
        let bytes = [smp.enc.clone(), extra].concat();
        let o = decode_three(&bytes);
        let e = o.file.unwrap_err();
        assert!(
            matches!(e, Error::TrailingData { offset } if offset == end),
            "{e:?}"
        );
    }
}

#[test]
fn glyph_kinds_on_cut_reference() {
    for stream in [&[0x40u8][..], &[0x7f], &[0x05, 1, 2, 3, 4, 5, 0x41]] {
        let r = std::panic::catch_unwind(|| sigmalang::codec::glyph_kinds(stream));
        assert!(
            matches!(r, Ok(Err(_))),
            "glyph_kinds({stream:02x?}) panicked or succeeded"
        );
    }
}

#[test]
fn glyph_kinds_counts_valid_streams() {
    let mut mf = sigmalang::codec::MatchFinder::new(5);
    for data in [text(S, 1), runs(S, 2), binary(S, 3)] {
        let mut out = Vec::new();
        assert!(sigmalang::codec::compress(&data, &mut mf, &mut out));
        let k = sigmalang::codec::glyph_kinds(&out).unwrap();
        assert!(k.iter().sum::<u64>() > 0);
        assert!(k[0] > 0, "some literals");
    }
}

#[test]
fn decoder_io_error_kind_is_invalid_data() {
    let mut out = Vec::new();
    let e = sigmalang::Decoder::new(&b"not sigma at all"[..])
        .read_to_end(&mut out)
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    let inner = e.get_ref().unwrap().downcast_ref::<Error>().unwrap();
    assert!(matches!(inner, Error::BadMagic { .. }));
}
