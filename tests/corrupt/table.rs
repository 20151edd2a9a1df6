//! The table: hand-made corruptions, each with the exact error every decode path must give.

use super::largest_alloc::{ALLOC_LIMIT, LARGEST_ALLOC};
use super::*;
use sigmalang::format::VERSION;
use std::sync::atomic::Ordering;

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
