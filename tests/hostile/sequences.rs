//! Rows for format version 4: layouts of another version, and the sequences layout's own rules
//! (docs/FORMAT.md, "Sequences layout", "Rules a reader enforces" 7). The payloads are written by
//! hand from the specification: every table single-symbol (mode 1), so the bitstreams hold only
//! extra bits and the marker, and no FSE state.

use super::rows::{abcd, abcd_split, abcd_streams, codec, one, seg0};
use super::*;
use sigmalang::error::Pos;
use sigmalang::CodecError;

/// A backward bitstream holding `fields` (value, bits) in the order a reader reads them: the
/// writer packs them last field first, least significant bit first, then the `1` marker and zero
/// bits up to a byte (docs/FORMAT.md, "The bitstream of a group").
fn backward(fields: &[(u64, u32)]) -> Vec<u8> {
    let mut bits = Vec::new();
    for &(v, n) in fields.iter().rev() {
        bits.extend((0..n).map(|i| (v >> i) & 1 == 1));
    }
    bits.push(true);
    while bits.len() % 8 != 0 {
        bits.push(false);
    }
    bits.chunks(8)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u8, |b, (i, &x)| b | u8::from(x) << i)
        })
        .collect()
}

/// The fields of a one-group sequences payload.
#[derive(Clone)]
struct Fields {
    lit_count: u32,
    /// The literal byte section (mode byte included).
    literals: Vec<u8>,
    seq_count: u32,
    modes: u8,
    /// The three single symbols (literal length, offset, match length).
    symbols: Vec<u8>,
    /// `stream_len`, when it is not the bitstream's length.
    stream_len: Option<u32>,
    stream: Vec<u8>,
    after: Vec<u8>,
}

impl Fields {
    fn bytes(&self) -> Vec<u8> {
        let len = self.stream_len.unwrap_or(self.stream.len() as u32);
        [
            &self.lit_count.to_le_bytes()[..],
            &self.literals,
            &self.seq_count.to_le_bytes(),
            &[self.modes],
            &self.symbols,
            &len.to_le_bytes(),
            &self.stream,
            &self.after,
        ]
        .concat()
    }
}

/// [`abcd`] as one sequence: the literals `abcd` (raw section, payload bytes 4..9), then a copy of
/// 60 bytes (match-length code 19 = 48 + 9) at new distance 4 (offset code 10, two extra bits 0).
/// `seq_count` is at payload offset 9, the modes at 13, the three symbols at 14, 15, 16, the
/// bitstream length at 17 and the bitstream (one byte) at 21; 22 bytes in all.
fn abcd_fields() -> Fields {
    Fields {
        lit_count: 4,
        literals: b"\0abcd".to_vec(),
        seq_count: 1,
        modes: 0x15,
        symbols: vec![4, 10, 19],
        stream_len: None,
        // Read order: the offset's extra bits, then the match length's (none for the literal
        // length below 16).
        stream: backward(&[(0, 2), (9, 4)]),
        after: Vec::new(),
    }
}

/// A row whose bad archive is `abcd` in the sequences layout with `edit` applied.
fn seq_row(name: &'static str, edit: fn(&mut Fields), w: Want) -> Row {
    row(
        name,
        move |bad| {
            let mut f = abcd_fields();
            if bad {
                edit(&mut f);
            }
            one(VERSION, SEQUENCES, abcd(), f.bytes())
        },
        w,
    )
}

fn section_error(section: &'static str, field: &'static str, at: usize, words: &str) -> Want {
    let mut w = want(
        codec(move |c| {
            matches!(c, CodecError::BadSection { section: s, field: f, at: a, .. }
                if *s == section && f == field && *a == at)
        }),
        &[],
    );
    w.words.push(words.to_string());
    w
}

pub fn rows() -> Vec<Row> {
    let mut v = Vec::new();

    // Layouts of another version (docs/FORMAT.md, "Versioning"): the same payload is valid in a
    // stream of the version that has its layout.
    let version_row = |name, flags, versions: (u8, u8), payload: fn() -> Vec<u8>, words: &str| {
        let mut w = want(seg0(), &[]);
        w.words.push(words.to_string());
        Row {
            name,
            build: Box::new(move |bad| {
                let version = if bad { versions.0 } else { versions.1 };
                one(version, flags, abcd(), payload())
            }),
            stream: w,
            indexed: None,
        }
    };
    let sequences = || abcd_fields().bytes();
    for (name, version) in [
        ("SEQUENCES in a version-3 stream", 3u8),
        ("SEQUENCES in a version-1 stream", 1),
    ] {
        v.push(version_row(
            name,
            SEQUENCES,
            (version, VERSION),
            sequences,
            &format!(
                "layout SEQUENCES (flags 0x08) is not part of format version {version} (it came \
                 with version 4)"
            ),
        ));
    }
    v.push(version_row(
        "STREAMS in a version-4 stream",
        STREAMS,
        (VERSION, 3),
        || abcd_streams(&[3], raw(b"abcd")),
        "layout STREAMS (flags 0x04) is not part of format version 4 (only versions 2 and 3 have it)",
    ));
    v.push(version_row(
        "SPLIT in a version-4 stream",
        SPLIT,
        (VERSION, 1),
        || abcd_split(3, b"\0abcd"),
        "layout SPLIT (flags 0x02) is not part of format version 4 (only version 1 has it)",
    ));

    // The sequences layout's rules, each found where the specification says.
    v.push(seq_row(
        "sequences: literal count above raw_len",
        |f| f.lit_count = 65,
        section_error(
            "literals",
            "count",
            0,
            "section 'literals' count at payload offset 0: 65 bytes, more than the segment's raw length 64",
        ),
    ));
    v.push(seq_row(
        "sequences: more sequences than raw_len can hold",
        // At most (64 - 4) / 3 = 20 sequences of 3 bytes after 4 literals.
        |f| f.seq_count = 21,
        section_error(
            "sequences",
            "count",
            9,
            "section 'sequences' count at payload offset 9: 21 sequences cannot fit in the 60 bytes",
        ),
    ));
    v.push(seq_row(
        "sequences: reserved bits of a group's modes",
        |f| f.modes |= 0x40,
        section_error(
            "sequences",
            "group 0 modes",
            13,
            "group 0 modes at payload offset 13: reserved bits set in 0x55",
        ),
    ));
    v.push(seq_row(
        "sequences: repeat mode in the first group",
        |f| f.modes = 0x17,
        section_error(
            "sequences",
            "group 0 modes",
            13,
            "group 0 modes at payload offset 13: literal-length table repeats a table, but this is the first group",
        ),
    ));
    v.push(seq_row(
        "sequences: single offset symbol past the alphabet",
        |f| f.symbols[1] = 36,
        section_error(
            "sequences",
            "group 0 offset symbol",
            15,
            "group 0 offset symbol at payload offset 15: code 36 is not below 36",
        ),
    ));
    v.push(seq_row(
        "sequences: bitstream length past the payload",
        |f| f.stream_len = Some(2),
        section_error(
            "sequences",
            "group 0 bitstream length",
            17,
            "group 0 bitstream length at payload offset 17: 2 bytes, but the payload has 1 after it",
        ),
    ));
    v.push(seq_row(
        "sequences: bits left over in a group's bitstream",
        |f| f.stream = backward(&[(0, 2), (9, 4), (0, 1)]),
        section_error(
            "sequences",
            "group 0 bitstream",
            21,
            "group 0 bitstream at payload offset 21: has 1 bits left after its last sequence",
        ),
    ));
    v.push(seq_row(
        "distance too far, sequences layout: a sequence number",
        // Offset code 12: distance 16 + 4 extra bits, here 1.
        |f| {
            f.symbols[1] = 12;
            f.stream = backward(&[(1, 4), (9, 4)]);
        },
        want(
            codec(|c| {
                matches!(
                    c,
                    CodecError::BadDistance {
                        at: Pos::Sequence(0),
                        distance: 17,
                        available: 4
                    }
                )
            }),
            &["sequence 0 references distance 17, but only 4 bytes precede it"],
        ),
    ));
    v.push(seq_row(
        "sequences: bytes after the last group",
        |f| f.after = vec![0],
        want(
            codec(|c| matches!(c, CodecError::TrailingBytes { at: 22, left: 1 })),
            &["1 bytes after the last section, at payload offset 22"],
        ),
    ));
    v
}
