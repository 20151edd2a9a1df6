//! The table: one row per rule of docs/FORMAT.md and per defect of issue 22, with the payloads
//! its archives are made of.

use super::*;
use sigmalang::error::Pos;
use sigmalang::CodecError;
use util::text;

// --- payloads -------------------------------------------------------------------------------

/// "abcd" 16 times: a PRIMITIVE of 4 and a REFERENCE of 60 at distance `lo + 1` (4 when valid).
pub(crate) fn abcd() -> Vec<u8> {
    b"abcd".repeat(16)
}
pub(crate) fn abcd_plain(lo: u8) -> Vec<u8> {
    vec![0x04, b'a', b'b', b'c', b'd', 0x78, lo, 0x00]
}
pub(crate) fn abcd_streams(los: &[u8], bytes: Vec<u8>) -> Vec<u8> {
    sections([raw(&[0x04, 0x78]), raw(&[]), raw(los), raw(&[0]), bytes])
}
pub(crate) fn abcd_split(lo: u8, literals: &[u8]) -> Vec<u8> {
    let glyphs = [0x04, 0x78, lo, 0x00];
    [&4u32.to_le_bytes()[..], &glyphs, &section(4, literals)].concat()
}
/// 100 × 'x': a PRIMITIVE of 1 and a DELTA of 99 (slot 0, distance 1), its length varint `x`.
fn x100() -> Vec<u8> {
    vec![b'x'; 100]
}
/// "ab" 50 times: a PRIMITIVE of 2 and a REFERENCE of 67 + 31 at distance 2; its two literals in
/// a Huffman section whose `stream_len` is `sl`.
fn ab100_streams(sl: &[u8]) -> Vec<u8> {
    sections([
        raw(&[0x02, 0x7f]),
        raw(&[31]),
        raw(&[1]),
        raw(&[0]),
        section(2, &huffman_ab(b"ab", b'a', b'b', Some(sl))),
    ])
}

pub(crate) fn one(version: u8, flags: u8, raw: Vec<u8>, payload: Vec<u8>) -> (Vec<u8>, Vec<u8>) {
    let a = Archive::new(version, SEG).seg(Seg::coded(flags, &raw, payload));
    (a.bytes(), raw)
}

/// Three segments (two full stored ones and `abcd` plain), the index and footer edited by `edit`.
fn three(edit: impl FnOnce(&mut Trailer)) -> (Vec<u8>, Vec<u8>) {
    let (r0, r1) = (random(SEG as usize, 1), random(SEG as usize, 2));
    let a = Archive::new(VERSION, SEG)
        .seg(Seg::stored(&r0))
        .seg(Seg::stored(&r1))
        .seg(Seg::coded(PLAIN, &abcd(), abcd_plain(3)));
    (a.bytes_with(edit), [r0, r1, abcd()].concat())
}
/// Offsets in the archive of [`three`]: its index and its footer.
const THREE_INDEX: u64 = 16 + 2 * (36 + 4096) + 36 + 8;
const THREE_FOOTER: u64 = THREE_INDEX + 16 + 3 * 32;

pub(crate) fn codec(m: impl Fn(&CodecError) -> bool + 'static) -> Matcher {
    Box::new(move |e| matches!(e, Error::Codec { segment: 0, offset: 16, source } if m(source)))
}
pub(crate) fn seg0() -> Matcher {
    m!(Error::CorruptSegment {
        segment: 0,
        offset: 16,
        ..
    })
}

// --- the table --------------------------------------------------------------------------------

pub fn rows() -> Vec<Row> {
    let mut v = Vec::new();
    let plain_x = |len: &'static [u8]| {
        move |bad: bool| {
            let varint: &[u8] = if bad { len } else { &[0x51] };
            one(
                VERSION,
                PLAIN,
                x100(),
                [&[0x01, b'x', 0x8f][..], varint].concat(),
            )
        }
    };

    // Question 1: varints.
    v.push(row(
        "varint zero-padded",
        plain_x(&[0xd1, 0x00]),
        want(
            codec(|c| matches!(c, CodecError::BadVarint { at: 3, .. })),
            &["malformed varint at payload byte 3: zero-padded"],
        ),
    ));
    v.push(row(
        "varint above 2^32 - 1",
        plain_x(&[0x80, 0x80, 0x80, 0x80, 0x10]),
        want(
            codec(|c| matches!(c, CodecError::BadVarint { at: 3, .. })),
            &["payload byte 3: value above 2^32 - 1"],
        ),
    ));
    v.push(row(
        "varint longer than 5 bytes",
        plain_x(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
        want(
            codec(|c| matches!(c, CodecError::BadVarint { at: 3, .. })),
            &["payload byte 3: longer than 5 bytes"],
        ),
    ));
    v.push(row(
        "67 + x at x = 2^32 - 1 does not overflow",
        |bad| {
            let mut p = abcd_plain(3);
            if bad {
                p = [&p[..5], &[0x7f, 0x03, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]].concat();
            }
            one(VERSION, PLAIN, abcd(), p)
        },
        want(
            codec(|c| {
                matches!(c, CodecError::OutputOverrun { at: Pos::Byte(5), len, limit: 64 }
                    if *len == 67 + u64::from(u32::MAX) - 60)
            }),
            &["glyph at payload byte 5 writes 4294967302 bytes past the declared raw length 64"],
        ),
    ));
    v.push(row(
        "zero-padded hi varint, on the decoder's fast path",
        |bad| {
            let hi: &[u8] = if bad { &[0x80, 0x00] } else { &[0x00] };
            let head = [0x04, b'a', b'b', b'c', b'd', 0x78, 0x03];
            let p = [&head[..], hi, &[20], &[b'y'; 20]].concat();
            one(VERSION, PLAIN, [abcd(), vec![b'y'; 20]].concat(), p)
        },
        want(
            codec(|c| matches!(c, CodecError::BadVarint { at: 7, .. })),
            &["malformed varint at payload byte 7: zero-padded"],
        ),
    ));
    v.push(row(
        "zero-padded varint in section 'lengths'",
        |bad| {
            let lens: &[u8] = if bad { &[0xd1, 0x00] } else { &[0x51] };
            let p = sections([raw(&[0x01, 0x8f]), raw(lens), raw(&[]), raw(&[]), raw(b"x")]);
            one(3, STREAMS, x100(), p)
        },
        want(
            codec(|c| {
                matches!(
                    c,
                    CodecError::Field {
                        at: Pos::Glyph(1),
                        section: "lengths",
                        ..
                    }
                )
            }),
            &["glyph 1: section 'lengths' holds a zero-padded varint"],
        ),
    ));
    v.push(row(
        "zero-padded stream_len of a Huffman section",
        |bad| {
            let sl: &[u8] = if bad { &[0x81, 0x00] } else { &[0x01] };
            one(3, STREAMS, b"ab".repeat(50), ab100_streams(sl))
        },
        want(
            codec(|c| {
                matches!(c, CodecError::BadSection { section: "bytes", field, at: 81, .. }
                    if field == "stream_len")
            }),
            &["section 'bytes' stream_len at payload offset 81: malformed varint: zero-padded"],
        ),
    ));

    // Question 2: every section count of the streams layout is at most raw_len.
    for (name, k, at) in [("lengths", 1, 7), ("his", 3, 18)] {
        v.push(row(
            if k == 1 {
                "count of 'lengths' above raw_len"
            } else {
                "count of 'his' above raw_len"
            },
            move |bad| {
                let mut s = [
                    raw(&[0x04, 0x78]),
                    raw(&[]),
                    raw(&[3]),
                    raw(&[0]),
                    raw(b"abcd"),
                ];
                if bad {
                    s[k][..4].copy_from_slice(&65u32.to_le_bytes());
                }
                one(3, STREAMS, abcd(), sections(s))
            },
            want(
                codec(move |c| {
                    matches!(c, CodecError::BadSection { section, field, at: a, .. }
                        if *section == name && field == "count" && *a == at)
                }),
                &[
                    "count at payload offset",
                    "65 bytes, more than the segment's raw length 64",
                ],
            ),
        ));
    }

    // Question 3: layouts and modes of another version.
    let version_row = |name, flags, versions: (u8, u8), payload: fn() -> Vec<u8>, w| Row {
        name,
        build: Box::new(move |bad| {
            one(
                if bad { versions.0 } else { versions.1 },
                flags,
                abcd(),
                payload(),
            )
        }),
        stream: w,
        indexed: None,
    };
    for (name, v_bad) in [
        ("SPLIT in a version-3 stream", 3),
        ("SPLIT in a version-2 stream", 2),
    ] {
        let words = format!("layout SPLIT (flags 0x02) is not part of format version {v_bad}");
        v.push(version_row(
            name,
            SPLIT,
            (v_bad, 1),
            || abcd_split(3, b"\0abcd"),
            {
                let mut w = want(seg0(), &[]);
                w.words.push(words);
                w
            },
        ));
    }
    v.push(version_row(
        "STREAMS in a version-1 stream",
        STREAMS,
        (1, 2),
        || abcd_streams(&[3], raw(b"abcd")),
        want(
            seg0(),
            &["layout STREAMS (flags 0x04) is not part of format version 1"],
        ),
    ));
    v.push(version_row(
        "mode 3 in a version-2 stream",
        STREAMS,
        (2, 3),
        || abcd_streams(&[3], section(4, b"\x03\x00abcd")),
        want(
            codec(|c| matches!(c, CodecError::BadSection { section: "bytes", at: 28, .. })),
            &["section 'bytes' mode byte at payload offset 28: mode 3 (blocks) is not part of format version 2"],
        ),
    ));
    v.push(row(
        "mode 2 in the split layout (version 1)",
        |bad| {
            let lits: &[u8] = if bad { b"\x02\x00\x01\x01\x00\x00\x00\x00" } else { b"\0abcd" };
            one(1, SPLIT, abcd(), abcd_split(3, lits))
        },
        want(
            codec(|c| matches!(c, CodecError::BadSection { section: "literals", at: 12, .. })),
            &["section 'literals' mode byte at payload offset 12: mode 2 (four bitstreams) is not allowed in the split layout"],
        ),
    ));

    // Question 4: the header's level and reserved bytes, the segment header's reserved bytes.
    for (name, level, words) in [
        ("level 0", 0u8, "level 0 outside 1..=9"),
        ("level 10", 10, "level 10 outside 1..=9"),
    ] {
        v.push(row(
            name,
            move |bad| {
                let mut a =
                    Archive::new(VERSION, SEG).seg(Seg::coded(PLAIN, &abcd(), abcd_plain(3)));
                a.level = if bad { level } else { 9 };
                (a.bytes(), abcd())
            },
            want(m!(Error::BadHeader { .. }), &[words]),
        ));
    }
    v.push(row(
        "reserved header byte 7",
        |bad| {
            let mut a = Archive::new(VERSION, SEG).seg(Seg::coded(PLAIN, &abcd(), abcd_plain(3)));
            a.reserved = u8::from(bad);
            (a.bytes(), abcd())
        },
        want(
            m!(Error::BadHeader { .. }),
            &["reserved bytes set", "byte 7 = 0x01"],
        ),
    ));
    v.push(row(
        "reserved bytes of a segment header (issue 22, bullet 1)",
        |bad| {
            let mut s = Seg::coded(PLAIN, &abcd(), abcd_plain(3));
            s.reserved = [0, u8::from(bad), 0];
            (Archive::new(VERSION, SEG).seg(s).bytes(), abcd())
        },
        want(
            seg0(),
            &["reserved bytes 9..12 set (00 01 00; all must be 0)"],
        ),
    ));
    // Flags that name no layout: a bit above SEQUENCES, and two layouts at once.
    for (name, flags, words) in [
        (
            "unknown layout flags 0x10",
            0x10u8,
            "unknown layout flags 0x10",
        ),
        (
            "layout flags STORED | SPLIT",
            0x03,
            "unknown layout flags 0x03",
        ),
        (
            "layout flags STREAMS | SEQUENCES",
            0x0c,
            "unknown layout flags 0x0c",
        ),
    ] {
        v.push(row(
            name,
            move |bad| {
                one(
                    VERSION,
                    if bad { flags } else { PLAIN },
                    abcd(),
                    abcd_plain(3),
                )
            },
            want(seg0(), &[words]),
        ));
    }

    // Question 5: every segment but the last holds exactly segment_size.
    let mut short = row(
        "short segment followed by another",
        |bad| {
            let r0 = random(if bad { 100 } else { SEG as usize }, 3);
            let r1 = text(50, 4);
            let a = Archive::new(VERSION, SEG).seg(Seg::stored(&r0)).seg(Seg::stored(&r1));
            (a.bytes(), [r0, r1].concat())
        },
        want(
            m!(Error::CorruptSegment { segment: 1, offset: 152, .. }),
            &["follows segment 0 (at encoded byte 16), which is short (100 bytes): every segment but the last holds exactly the segment size 4096"],
        ),
    );
    short.indexed = Some(want(
        m!(Error::CorruptTrailer { offset: 238, .. }),
        &["entry 0 raw length 100, but every segment but the last holds exactly the segment size 4096"],
    ));
    v.push(short);

    // Question 6 (issue 22, bullet 3): the footer disagrees with the segments and the index.
    let footer = |words: &str| {
        want(
            m!(Error::CorruptTrailer {
                offset: THREE_FOOTER,
                ..
            }),
            &[words],
        )
    };
    v.push(row(
        "footer raw length + 1",
        |bad| three(|t| t.raw_len += u64::from(bad)),
        footer("footer raw length 8257 disagrees with the 8256 bytes the segments hold"),
    ));
    v.push(row(
        "footer raw length 2^64 - 1",
        |bad| {
            three(|t| {
                if bad {
                    t.raw_len = u64::MAX
                }
            })
        },
        footer("footer raw length 18446744073709551615 disagrees with the 8256 bytes"),
    ));
    v.push(row(
        "footer segment count + 1",
        |bad| three(|t| t.segments += u64::from(bad)),
        footer("footer segment count 4 disagrees with the 3 segments of the stream"),
    ));
    v.push(row(
        "footer stream checksum",
        |bad| three(|t| t.stream_hash ^= u64::from(bad)),
        footer("footer stream checksum"),
    ));
    let mut entry = row(
        "index entry raw length, valid index check",
        |bad| three(|t| t.entries[2].raw_len -= u32::from(bad)),
        want(
            m!(Error::CorruptTrailer {
                offset: THREE_INDEX,
                ..
            }),
            &["index does not match the segments"],
        ),
    );
    entry.indexed = Some(want(
        m!(Error::CorruptTrailer {
            offset: THREE_INDEX,
            ..
        }),
        &["entry 2 disagrees with the header of segment 2"],
    ));
    v.push(entry);

    // Question 7: an empty section is mode 0; mode 1 with count 0 is an error.
    v.push(row(
        "empty Huffman section",
        |bad| {
            let lens = if bad {
                section(0, &[1, 0, 0x01, 0x00])
            } else {
                raw(&[])
            };
            let p = sections([raw(&[0x04, 0x78]), lens, raw(&[3]), raw(&[0]), raw(b"abcd")]);
            one(3, STREAMS, abcd(), p)
        },
        want(
            codec(|c| {
                matches!(
                    c,
                    CodecError::BadSection {
                        section: "lengths",
                        at: 11,
                        ..
                    }
                )
            }),
            &["section 'lengths' mode byte at payload offset 11: mode 1 for an empty section"],
        ),
    ));

    // Question 8: the stream hash of zero segments.
    v.push(row(
        "stream hash of zero segments",
        |bad| {
            let a = Archive::new(VERSION, SEG);
            (a.bytes_with(|t| if bad { t.stream_hash = 0 }), Vec::new())
        },
        want(
            m!(Error::CorruptTrailer { offset: 32, .. }),
            &["footer stream checksum 0000000000000000 disagrees with the segments' raw hashes (2d06800538d394c2)"],
        ),
    ));

    // Question 9 and issue 22, bullet 2: positions in each layout's unit, sections by name.
    v.push(row(
        "reserved mode of a streams section",
        |bad| {
            let lens = if bad { section(0, &[4]) } else { raw(&[]) };
            let p = sections([raw(&[0x04, 0x78]), lens, raw(&[3]), raw(&[0]), raw(b"abcd")]);
            one(3, STREAMS, abcd(), p)
        },
        want(
            codec(|c| matches!(c, CodecError::BadSection { section: "lengths", at: 11, .. })),
            &["segment 0 at encoded byte 16: section 'lengths' mode byte at payload offset 11: reserved mode 4"],
        ),
    ));
    v.push(row(
        "streams section cut short",
        |bad| one(3, STREAMS, abcd(), abcd_streams(&[3], section(4 + u32::from(bad), b"\0abcd"))),
        want(
            codec(|c| matches!(c, CodecError::BadSection { section: "bytes", at: 29, .. })),
            &["section 'bytes' raw bytes at payload offset 29: cut short: needs 5 bytes, the payload has 4"],
        ),
    ));
    let distance = |at: Pos, words: &'static str| {
        want(
            codec(
                move |c| matches!(c, CodecError::BadDistance { at: a, distance: 17, available: 4 } if *a == at),
            ),
            &[words],
        )
    };
    let lo = |bad: bool| if bad { 16 } else { 3 };
    v.push(row(
        "distance too far, plain layout: a payload byte",
        move |bad| one(VERSION, PLAIN, abcd(), abcd_plain(lo(bad))),
        distance(
            Pos::Byte(5),
            "glyph at payload byte 5 references distance 17, but only 4 bytes precede it",
        ),
    ));
    v.push(row(
        "distance too far, split layout: a payload byte",
        move |bad| one(1, SPLIT, abcd(), abcd_split(lo(bad), b"\0abcd")),
        distance(
            Pos::Byte(5),
            "glyph at payload byte 5 references distance 17",
        ),
    ));
    v.push(row(
        "distance too far, streams layout: a glyph number",
        move |bad| one(3, STREAMS, abcd(), abcd_streams(&[lo(bad)], raw(b"abcd"))),
        distance(
            Pos::Glyph(1),
            "glyph 1 references distance 17, but only 4 bytes precede it",
        ),
    ));
    v.push(row(
        "a streams section runs out",
        |bad| {
            one(
                3,
                STREAMS,
                abcd(),
                abcd_streams(if bad { &[] } else { &[3] }, raw(b"abcd")),
            )
        },
        want(
            codec(|c| {
                matches!(
                    c,
                    CodecError::Field {
                        at: Pos::Glyph(1),
                        section: "los",
                        ..
                    }
                )
            }),
            &["glyph 1: section 'los' runs out"],
        ),
    ));
    v.push(row(
        "a streams section has bytes left over",
        |bad| {
            let bytes: &[u8] = if bad { b"abcde" } else { b"abcd" };
            one(3, STREAMS, abcd(), abcd_streams(&[3], raw(bytes)))
        },
        want(
            codec(|c| {
                matches!(
                    c,
                    CodecError::LeftOver {
                        section: "bytes",
                        left: 1
                    }
                )
            }),
            &["section 'bytes' has 1 bytes left over after the last glyph"],
        ),
    ));
    v
}
