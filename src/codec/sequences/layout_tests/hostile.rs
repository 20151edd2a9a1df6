//! Hand-made sequences payloads, each breaking one rule of docs/FORMAT.md ("Sequences layout",
//! "Rules a reader enforces" 7), with the exact error each must give. Every one is built next to
//! the valid payload it differs from, which must decode.

use super::super::Field;
use crate::codec::fse::Distribution;
use crate::codec::{decode_payload, Layout};
use crate::error::{CodecError, Pos};

/// A backward bitstream holding `fields` (value, bits) in the order a reader reads them, as
/// "The bitstream of a group" describes it: packed last field first, then the marker.
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

/// The fields of a one-group payload with raw literals.
#[derive(Clone)]
struct Fields {
    lit_count: u32,
    literals: Vec<u8>,
    seq_count: u32,
    modes: u8,
    tables: Vec<u8>,
    stream_len: Option<u32>,
    stream: Vec<u8>,
    after: Vec<u8>,
}

impl Fields {
    fn bytes(&self) -> Vec<u8> {
        let len = self.stream_len.unwrap_or(self.stream.len() as u32);
        [
            &self.lit_count.to_le_bytes()[..],
            &[0],
            &self.literals,
            &self.seq_count.to_le_bytes(),
            &[self.modes],
            &self.tables,
            &len.to_le_bytes(),
            &self.stream,
            &self.after,
        ]
        .concat()
    }
}

const ABCD_LEN: usize = 64;

/// `abcd` 16 times as literals `abcd` (payload bytes 4..9, raw section) and one sequence: a copy
/// of 60 bytes (match-length code 19: 48 + 9 + 3) from new distance 4 (offset code 10, two extra
/// bits 0). All three tables single (mode 1): symbols at 14, 15, 16; `seq_count` at 9, the modes
/// at 13, `stream_len` at 17, the bitstream (one byte) at 21.
fn abcd() -> Fields {
    Fields {
        lit_count: 4,
        literals: b"abcd".to_vec(),
        seq_count: 1,
        modes: 0x15,
        tables: vec![4, 10, 19],
        stream_len: None,
        stream: backward(&[(0, 2), (9, 4)]),
        after: Vec::new(),
    }
}

pub(super) fn decode(p: &[u8], raw_len: usize) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    decode_payload(p, Layout::Sequences, &mut out, raw_len).map(|_| out)
}

/// `edit` applied to [`abcd`] gives an error that `want` accepts and whose message contains
/// `words`; without it the payload decodes.
#[track_caller]
fn refused(
    edit: impl Fn(&mut Fields),
    raw_len: usize,
    want: impl Fn(&CodecError) -> bool,
    words: &str,
) {
    assert_eq!(
        decode(&abcd().bytes(), ABCD_LEN).unwrap(),
        b"abcd".repeat(16)
    );
    let mut f = abcd();
    edit(&mut f);
    match decode(&f.bytes(), raw_len) {
        Ok(_) => panic!("decoded; want `{words}`"),
        Err(e) => {
            assert!(want(&e), "{e:?}");
            assert!(e.to_string().contains(words), "`{e}` lacks `{words}`");
        }
    }
}

pub(super) fn section(
    section: &'static str,
    field: &'static str,
    at: usize,
) -> impl Fn(&CodecError) -> bool {
    move |e| {
        matches!(e, CodecError::BadSection { section: s, field: f, at: a, .. }
            if *s == section && f == field && *a == at)
    }
}

#[test]
fn counts_above_what_raw_len_allows() {
    refused(
        |f| f.lit_count = 65,
        ABCD_LEN,
        section("literals", "count", 0),
        "section 'literals' count at payload offset 0: 65 bytes, more than the segment's raw length 64",
    );
    // At most (64 - 4) / 3 = 20 sequences; the count is refused as it is read, whatever follows.
    for n in [21, 1 << 20, u32::MAX] {
        refused(
            move |f| f.seq_count = n,
            ABCD_LEN,
            section("sequences", "count", 9),
            &format!("count at payload offset 9: {n} sequences cannot fit in the 60 bytes"),
        );
    }
    // 20 is allowed: the decoder goes on and finds the group too short for them.
    let mut f = abcd();
    f.seq_count = 20;
    let e = decode(&f.bytes(), ABCD_LEN).unwrap_err();
    assert!(
        !matches!(e, CodecError::BadSection { ref field, .. } if field == "count"),
        "{e}"
    );
    // With every byte a literal no sequence fits.
    let mut f = abcd();
    f.lit_count = 64;
    f.literals = b"abcd".repeat(16);
    let e = decode(&f.bytes(), ABCD_LEN).unwrap_err();
    assert!(
        e.to_string()
            .contains("1 sequences cannot fit in the 0 bytes"),
        "{e}"
    );
}

#[test]
fn group_modes() {
    for bits in [0x40, 0x80, 0xc0] {
        refused(
            move |f| f.modes |= bits,
            ABCD_LEN,
            section("sequences", "group 0 modes", 13),
            &format!(
                "group 0 modes at payload offset 13: reserved bits set in {:#04x}",
                0x15 | bits
            ),
        );
    }
    // Repeat in the first group, for each field; the error names the modes byte.
    for f in Field::ALL {
        let modes = 0x15 | 3 << (2 * f as u8);
        let words = format!(
            "{} table repeats a table, but this is the first group",
            f.name()
        );
        refused(
            move |x| x.modes = modes,
            ABCD_LEN,
            section("sequences", "group 0 modes", 13),
            &format!("group 0 modes at payload offset 13: {words}"),
        );
    }
}

#[test]
fn single_symbols_below_the_alphabet() {
    for (f, at, limit) in [
        (Field::LiteralLength, 14, 64),
        (Field::Offset, 15, 36),
        (Field::MatchLength, 16, 64),
    ] {
        for sym in [limit, 0xff] {
            refused(
                move |x| x.tables[f as usize] = sym as u8,
                ABCD_LEN,
                section(
                    "sequences",
                    [
                        "group 0 literal-length symbol",
                        "group 0 offset symbol",
                        "group 0 match-length symbol",
                    ][f as usize],
                    at,
                ),
                &format!("symbol at payload offset {at}: code {sym} is not below {limit}"),
            );
        }
        // The last symbol of the alphabet is a table; the sequence it makes is another matter.
        let mut x = abcd();
        x.tables[f as usize] = limit as u8 - 1;
        let e = decode(&x.bytes(), ABCD_LEN).unwrap_err();
        assert!(!e.to_string().contains("symbol"), "{}: {e}", f.name());
    }
}

/// A described table whose accuracy log is one above the field's largest (10, 9, 10), or which
/// names a symbol at the alphabet's size; the largest accuracy log itself is accepted.
#[test]
fn table_descriptions() {
    for f in Field::ALL {
        let counts: Vec<u32> = (0..f.symbols() as u32).map(|s| 1 + s % 3).collect();
        let mut too_fine = Vec::new();
        Distribution::normalize(&counts, f.max_log() + 1)
            .unwrap()
            .write(&mut too_fine);
        let mut fine = Vec::new();
        Distribution::normalize(&counts, f.max_log())
            .unwrap()
            .write(&mut fine);
        let i = f as usize;
        let modes = 0x15 & !(3 << (2 * i)) | 2 << (2 * i);
        // The description replaces the field's symbol byte: it starts at 14 + i.
        let at = 14 + i;
        let with = |d: &[u8]| {
            let mut x = abcd();
            x.modes = modes;
            x.tables.splice(i..i + 1, d.iter().copied());
            x
        };
        let e = decode(&with(&too_fine).bytes(), ABCD_LEN).unwrap_err();
        let field = format!("group 0 {} table", f.name());
        assert!(
            matches!(&e, CodecError::BadSection { field: x, at: a, .. } if *x == field && *a == at),
            "{e:?}"
        );
        let words = format!(
            "{field} at payload offset {at}: FSE accuracy log {} outside 5..={}",
            f.max_log() + 1,
            f.max_log()
        );
        assert!(e.to_string().contains(&words), "`{e}` lacks `{words}`");
        // At the largest accuracy log the table is read; decoding then fails further on (the
        // bitstream was made for a single-symbol table), but not in the description.
        let e = decode(&with(&fine).bytes(), ABCD_LEN).unwrap_err();
        assert!(!e.to_string().contains("table"), "{}: {e}", f.name());
    }
    // An offset description that goes on to symbol 36.
    let mut probs = vec![0i16; 37];
    probs[0] = 31;
    probs[36] = 1;
    let mut d = Vec::new();
    Distribution::new(&probs, 5).unwrap().write(&mut d);
    let mut x = abcd();
    x.modes = 0x19;
    x.tables.splice(1..2, d.iter().copied());
    let e = decode(&x.bytes(), ABCD_LEN).unwrap_err();
    assert!(
        matches!(&e, CodecError::BadSection { field, at, .. } if field == "group 0 offset table" && *at >= 15),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("goes past the 36 symbols allowed"),
        "{e}"
    );
    // A description cut off by the end of the payload.
    let mut x = abcd();
    x.modes = 0x19;
    x.tables = vec![4, 0x10];
    x.stream.clear();
    x.stream_len = Some(0);
    let p = x.bytes();
    let e = decode(&p[..16], ABCD_LEN).unwrap_err();
    assert!(e.to_string().contains("group 0 offset table"), "{e}");
    assert!(e.to_string().contains("cut short"), "{e}");
}

#[test]
fn bitstreams() {
    let stream = section("sequences", "group 0 bitstream", 21);
    refused(
        |f| f.stream_len = Some(2),
        ABCD_LEN,
        section("sequences", "group 0 bitstream length", 17),
        "group 0 bitstream length at payload offset 17: 2 bytes, but the payload has 1 after it",
    );
    refused(
        |f| f.stream_len = Some(u32::MAX),
        ABCD_LEN,
        section("sequences", "group 0 bitstream length", 17),
        "bitstream length at payload offset 17: 4294967295 bytes",
    );
    refused(
        |f| f.stream.clear(),
        ABCD_LEN,
        &stream,
        "group 0 bitstream at payload offset 21: empty FSE bitstream",
    );
    refused(
        |f| f.stream.push(0),
        ABCD_LEN,
        &stream,
        "group 0 bitstream at payload offset 21: FSE bitstream ends in a zero byte",
    );
    refused(
        |f| f.stream = backward(&[(0, 2), (9, 4), (0, 1)]),
        ABCD_LEN,
        &stream,
        "group 0 bitstream at payload offset 21: has 1 bits left after its last sequence",
    );
    refused(
        |f| f.stream = backward(&[(0, 2), (9, 4), (0, 9)]),
        ABCD_LEN,
        &stream,
        "has 9 bits left after its last sequence",
    );
    // Only the marker: the six bits the sequence needs are read from before the first bit (as
    // zeros: distance 4, match length 51, which fit), and that is the error.
    refused(
        |f| f.stream = vec![0x01],
        ABCD_LEN,
        &stream,
        "group 0 bitstream at payload offset 21: ends before its sequences do",
    );
}

#[test]
fn executing_the_sequences() {
    // Offset code 12: distance 16 + 1 (four extra bits) with 4 bytes decoded.
    refused(
        |f| {
            f.tables[1] = 12;
            f.stream = backward(&[(1, 4), (9, 4)]);
        },
        ABCD_LEN,
        |e| {
            matches!(
                e,
                CodecError::BadDistance {
                    at: Pos::Sequence(0),
                    distance: 17,
                    available: 4
                }
            )
        },
        "sequence 0 references distance 17, but only 4 bytes precede it",
    );
    // A run of period 4 (offset code 7) copies the same bytes as distance 4; period 1 to 4
    // before any byte is decoded is an error.
    let mut f = abcd();
    f.tables[1] = 7;
    f.stream = backward(&[(9, 4)]);
    assert_eq!(decode(&f.bytes(), ABCD_LEN).unwrap(), b"abcd".repeat(16));
    refused(
        |f| {
            f.literals.clear();
            f.lit_count = 0;
            f.tables[0] = 0;
            f.tables[1] = 4;
            f.stream = backward(&[(9, 4)]);
        },
        ABCD_LEN,
        |e| {
            matches!(
                e,
                CodecError::BadDistance {
                    at: Pos::Sequence(0),
                    distance: 1,
                    available: 0
                }
            )
        },
        "sequence 0 references distance 1, but only 0 bytes precede it",
    );
    // Five literals wanted, four there.
    refused(
        |f| f.tables[0] = 5,
        ABCD_LEN,
        |e| {
            matches!(
                e,
                CodecError::Field {
                    at: Pos::Sequence(0),
                    section: "literals",
                    ..
                }
            )
        },
        "sequence 0: section 'literals' runs out",
    );
    // Match-length code 20 (64 + 3 extra... 5 bits): 4 + 67 bytes for 64.
    refused(
        |f| {
            f.tables[2] = 20;
            f.stream = backward(&[(0, 2), (0, 5)]);
        },
        ABCD_LEN,
        |e| {
            matches!(
                e,
                CodecError::OutputOverrun {
                    at: Pos::Sequence(0),
                    len: 7,
                    limit: 64
                }
            )
        },
        "sequence 0 writes 7 bytes past the declared raw length 64",
    );
    // raw_len one more than the sequences and literals make.
    refused(
        |_| {},
        ABCD_LEN + 1,
        |e| {
            matches!(
                e,
                CodecError::ShortOutput {
                    expected: 65,
                    got: 64
                }
            )
        },
        "decodes to 64 bytes, the segment header declares 65",
    );
    // A literal left over after the last sequence, with no room for it.
    refused(
        |f| {
            f.lit_count = 5;
            f.literals.push(b'e');
        },
        ABCD_LEN,
        |e| {
            matches!(
                e,
                CodecError::LeftOver {
                    section: "literals",
                    left: 1
                }
            )
        },
        "section 'literals' has 1 bytes left over after the last glyph",
    );
    refused(
        |f| f.after = vec![0],
        ABCD_LEN,
        |e| matches!(e, CodecError::TrailingBytes { at: 22, left: 1 }),
        "1 bytes after the last section, at payload offset 22",
    );
}

#[test]
fn payloads_cut_before_a_field() {
    let p = abcd().bytes();
    let cases: [(usize, &str, &str); 5] = [
        (2, "literals", "count"),
        (11, "sequences", "count"),
        (13, "sequences", "group 0 modes"),
        (15, "sequences", "group 0 offset symbol"),
        (19, "sequences", "group 0 bitstream length"),
    ];
    for (cut, s, field) in cases {
        let e = decode(&p[..cut], ABCD_LEN).unwrap_err();
        assert!(
            matches!(&e, CodecError::BadSection { section, field: f, .. } if *section == s && f == field),
            "cut at {cut}: {e:?}"
        );
        assert!(e.to_string().contains("cut short"), "cut at {cut}: {e}");
    }
}
