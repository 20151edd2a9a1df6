//! Parts (docs/FORMAT.md, "Parts"): `encode_part` + `join` give the bytes of a one-process encode
//! for any number of parts, in any order; a damaged, cut, extended, missing, repeated or foreign
//! part is refused with an error that names it (`sigma encode --part` and `sigma join`:
//! `cli/tests/parts.rs`).

mod util;

use sigmalang::{encode_part, join, segments_of_part, Error, Options, PART_HEADER_LEN};
use std::fs::File;
use std::io::Write;
use util::*;

const SEG: u32 = 4096;

fn file_with(bytes: &[u8]) -> File {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(bytes).unwrap();
    f
}

/// The parts of `data` as bytes, part 0 first.
fn parts_of(data: &[u8], o: &Options, n: u32) -> Vec<Vec<u8>> {
    let input = file_with(data);
    (0..n)
        .map(|k| {
            let mut out = Vec::new();
            encode_part(&input, &mut out, o, k, n, None).unwrap();
            out
        })
        .collect()
}

fn join_bytes(parts: &[Vec<u8>]) -> sigmalang::Result<Vec<u8>> {
    let mut readers: Vec<&[u8]> = parts.iter().map(|p| &p[..]).collect();
    let mut refs: Vec<&mut dyn std::io::Read> = readers
        .iter_mut()
        .map(|r| r as &mut dyn std::io::Read)
        .collect();
    let mut out = Vec::new();
    join(&mut refs, &mut out)?;
    Ok(out)
}

#[test]
fn joined_parts_are_the_one_process_encoding() {
    for (len, level) in [
        (0, 3),
        (100, 1),
        (5 * SEG as usize + 123, 3),
        (12 * SEG as usize, 9),
    ] {
        let data = mixed(len, 1000, len as u64);
        let o = opts(2, level, SEG);
        let whole = encode_bytes(&data, &o);
        for n in [1, 2, 3, 7, 20] {
            let mut parts = parts_of(&data, &o, n);
            assert!(
                join_bytes(&parts).unwrap() == whole,
                "{len} bytes, {n} parts"
            );
            // Any order, and one thread per part or many: the same bytes.
            parts.reverse();
            assert!(
                join_bytes(&parts).unwrap() == whole,
                "{len} bytes, {n} parts reversed"
            );
        }
    }
    // A part made from only its own bytes (a range read) is the same part.
    let data = mixed(7 * SEG as usize + 9, 500, 3);
    let o = opts(2, 5, SEG);
    let from_file = parts_of(&data, &o, 3);
    for k in 0..3 {
        let (start, end) = sigmalang::part_range(data.len() as u64, SEG, k, 3);
        let mut out = Vec::new();
        let mut range = &data[start as usize..end as usize];
        sigmalang::encode_part_from_reader(&mut range, data.len() as u64, &mut out, &o, k, 3)
            .unwrap();
        assert!(out == from_file[k as usize], "part {k}");
        // One byte short is an error, not a wrong part.
        let mut short = &data[start as usize..end as usize - 1];
        let e = sigmalang::encode_part_from_reader(
            &mut short,
            data.len() as u64,
            &mut Vec::new(),
            &o,
            k,
            3,
        );
        assert!(matches!(e, Err(Error::InputChanged(_))), "{e:?}");
    }
    // Parts differ by at most one segment, cover every segment once, and may be empty.
    let mut next = 0;
    for k in 0..7 {
        let (first, count) = segments_of_part(5 * 4096 + 1, 4096, k, 7);
        assert_eq!(first, next);
        assert!(count <= 1);
        next += count;
    }
    assert_eq!(next, 6);
    // `auto` resolves from the whole input's length, so every part agrees.
    let data = text(300_000, 4);
    let o = Options::new().segment_size_policy(sigmalang::SegmentSize::Auto);
    let mut whole = Vec::new();
    sigmalang::encode(
        sigmalang::Source::File(&file_with(&data)),
        &mut whole,
        &o,
        None,
    )
    .unwrap();
    assert!(join_bytes(&parts_of(&data, &o, 3)).unwrap() == whole);
}

#[test]
fn bad_parts_are_refused_with_the_part_named() {
    let data = mixed(9 * SEG as usize + 7, 700, 5);
    let o = opts(1, 3, SEG);
    let good = parts_of(&data, &o, 3);
    let part_error = |parts: &[Vec<u8>], index: usize, words: &str| match join_bytes(parts) {
        Err(Error::Part { index: i, source }) => {
            assert_eq!(i, index, "{source}");
            assert!(
                source.to_string().contains(words),
                "want {words:?}: {source}"
            );
        }
        other => panic!("want a part error with {words:?}, got {other:?}"),
    };
    let with = |k: usize, f: &dyn Fn(&mut Vec<u8>)| {
        let mut p = good.clone();
        f(&mut p[k]);
        p
    };
    part_error(
        &with(1, &|p| p[PART_HEADER_LEN + 40] ^= 1),
        1,
        "payload checksum",
    );
    part_error(
        &with(2, &|p| {
            p[20] ^= 1;
            let c = xxhash_rust::xxh32::xxh32(&p[..44], 0);
            p[44..48].copy_from_slice(&c.to_le_bytes());
        }),
        2,
        "reserved",
    );
    part_error(&with(0, &|p| p[3] ^= 1), 0, "not a ΣLANG part");
    part_error(&with(0, &|p| p[44] ^= 1), 0, "check value");
    part_error(&with(1, &|p| p.truncate(p.len() - 1)), 1, "truncated");
    part_error(&with(2, &|p| p.truncate(30)), 2, "truncated");
    part_error(
        &with(2, &|p| p.push(0)),
        2,
        "1 bytes follow the part's last segment",
    );
    // A segment header's ordinal is under its check value: moving segments between parts fails.
    let swapped = {
        let mut p = good.clone();
        p.swap(0, 1);
        let (h0, h1) = (
            p[0][..PART_HEADER_LEN].to_vec(),
            p[1][..PART_HEADER_LEN].to_vec(),
        );
        p[0][..PART_HEADER_LEN].copy_from_slice(&h1);
        p[1][..PART_HEADER_LEN].copy_from_slice(&h0);
        p
    };
    assert!(join_bytes(&swapped).is_err());
    let set_error = |parts: &[Vec<u8>], words: &str| match join_bytes(parts) {
        Err(Error::PartSet(msg)) => assert!(msg.contains(words), "want {words:?}: {msg}"),
        other => panic!("want a part-set error with {words:?}, got {other:?}"),
    };
    set_error(&good[..2], "part 2 of 3 is missing");
    set_error(
        &[good.clone(), vec![good[1].clone()]].concat(),
        "both part 1 of 3",
    );
    let other_level = parts_of(&data, &opts(1, 1, SEG), 3);
    set_error(
        &[good[0].clone(), good[1].clone(), other_level[2].clone()],
        "belongs to another encode",
    );
    let other_split = parts_of(&data, &o, 2);
    set_error(
        &[good[0].clone(), other_split[1].clone()],
        "belongs to another encode",
    );
    set_error(&[], "no parts given");
    // Out-of-range part numbers are refused before anything is read.
    let input = file_with(&data);
    for (k, n) in [(3, 3), (0, 0)] {
        let e = encode_part(&input, &mut Vec::new(), &o, k, n, None).unwrap_err();
        assert!(matches!(e, Error::InvalidOption(_)), "{e}");
    }
}
