//! Concatenated streams (`cat a.sigma b.sigma`): several complete streams back to back decode to
//! the concatenation of their contents through every path — `decode(Source::File)` (through the
//! streams' indexes), `decode(Source::Reader)` and `Decoder` (parsing front to back, here over
//! reads of a few bytes), and `Reader` (random access). Anything else after a footer is an error
//! that names the byte where the last complete stream ends, in the whole input.

mod util;

use sigmalang::format::{read_streams_at, FILE_MAGIC};
use sigmalang::{decode, Error, Options, Reader, Source};
use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::sync::Mutex;
use util::*;

/// One part of a concatenated input: its original bytes and its encoding.
struct Part {
    data: Vec<u8>,
    enc: Vec<u8>,
}

fn part(data: Vec<u8>, level: u8, seg: u32) -> Part {
    let enc = encode_bytes(&data, &opts(2, level, seg));
    Part { data, enc }
}

/// Three non-empty streams of different levels, segment sizes and lengths, and an empty one.
fn parts() -> (Part, Part, Part, Part) {
    (
        part(text(20_000, 1), 1, 4096),
        part([random(9000, 2), text(30_000, 3)].concat(), 5, 8192),
        part(mixed(12_345, 1000, 4), 9, 16384),
        part(Vec::new(), 3, 4096),
    )
}

fn cat(parts: &[&Part]) -> (Vec<u8>, Vec<u8>) {
    let data = parts.iter().flat_map(|p| p.data.iter().copied()).collect();
    let enc = parts.iter().flat_map(|p| p.enc.iter().copied()).collect();
    (data, enc)
}

fn temp_file(bytes: &[u8]) -> File {
    let f = tempfile::tempfile().unwrap();
    f.write_all_at(bytes, 0).unwrap();
    f
}

fn decode_file_bytes(bytes: &[u8], threads: usize) -> sigmalang::Result<Vec<u8>> {
    let f = temp_file(bytes);
    let mut out = Vec::new();
    decode(
        Source::File(&f),
        &mut out,
        &Options::new().threads(threads),
        None,
    )?;
    Ok(out)
}

fn decode_split(bytes: &[u8], max: usize) -> sigmalang::Result<Vec<u8>> {
    let mut src = SplitReader::new(bytes, max);
    let mut out = Vec::new();
    decode(
        Source::Reader(&mut src),
        &mut out,
        &Options::new().threads(2),
        None,
    )?;
    Ok(out)
}

fn read_all_random(bytes: &[u8]) -> sigmalang::Result<Vec<u8>> {
    let mut r = Reader::new(Cursor::new(bytes))?;
    let mut out = Vec::new();
    r.read_to_end(&mut out).map_err(unwrap_io)?;
    Ok(out)
}

/// Every decode path's result, with its name.
fn all_paths(bytes: &[u8]) -> Vec<(String, sigmalang::Result<Vec<u8>>)> {
    let mut v = vec![
        ("file, 1 thread".to_string(), decode_file_bytes(bytes, 1)),
        ("file, 3 threads".to_string(), decode_file_bytes(bytes, 3)),
        ("reader".to_string(), decode_bytes(bytes, &Options::new())),
        ("random access".to_string(), read_all_random(bytes)),
    ];
    for max in [1, 3, 7, 4096] {
        v.push((format!("reader, reads of {max}"), decode_split(bytes, max)));
        v.push((
            format!("Decoder, reads of {max}"),
            decoder_read_all(SplitReader::new(bytes, max)),
        ));
    }
    v
}

#[track_caller]
fn assert_decodes(bytes: &[u8], want: &[u8]) {
    for (path, got) in all_paths(bytes) {
        match got {
            Ok(got) => assert!(
                got == want,
                "{path}: {} bytes, want {}",
                got.len(),
                want.len()
            ),
            Err(e) => panic!("{path}: {e}"),
        }
    }
}

/// Every path fails with an error whose message is `want`.
#[track_caller]
fn assert_error(bytes: &[u8], want: &str) {
    for (path, got) in all_paths(bytes) {
        match got {
            Ok(out) => panic!("{path}: decoded {} bytes, want error {want:?}", out.len()),
            Err(e) => assert_eq!(e.to_string(), want, "{path}: {e:?}"),
        }
    }
}

fn trailing(at: usize) -> String {
    format!("trailing data after the stream at byte {at} (not a ΣLANG stream)")
}

#[test]
fn two_streams_of_different_levels_and_segment_sizes() {
    let (a, b, c, _) = parts();
    for pair in [[&a, &b], [&b, &a], [&c, &a], [&a, &a]] {
        let (data, enc) = cat(&pair);
        assert_decodes(&enc, &data);
    }
}

#[test]
fn three_streams() {
    let (a, b, c, _) = parts();
    let (data, enc) = cat(&[&a, &b, &c]);
    assert_decodes(&enc, &data);
    let (data, enc) = cat(&[&c, &b, &a]);
    assert_decodes(&enc, &data);
}

#[test]
fn empty_streams_anywhere() {
    let (a, b, _, e) = parts();
    for list in [
        vec![&a, &e, &b],
        vec![&e, &a, &b],
        vec![&a, &b, &e],
        vec![&e, &e, &a, &e, &e, &b, &e],
    ] {
        let (data, enc) = cat(&list);
        assert_decodes(&enc, &data);
    }
    let (_, enc) = cat(&[&e, &e, &e]);
    assert_decodes(&enc, b"");
}

/// Stats cover every stream; progress ends at the whole input and the whole output.
#[test]
fn stats_and_progress_cover_all_streams() {
    let (a, b, c, e) = parts();
    let (data, enc) = cat(&[&a, &e, &b, &c]);
    let segments = [20_000usize.div_ceil(4096), 39_000usize.div_ceil(8192), 1]
        .iter()
        .sum::<usize>() as u64;
    let f = temp_file(&enc);
    let last = Mutex::new((0, 0));
    let progress = |enc_done: u64, raw_done: u64| *last.lock().unwrap() = (enc_done, raw_done);
    for source in ["file", "reader"] {
        let mut out = Vec::new();
        let o = Options::new().threads(3);
        let stats = match source {
            "file" => decode(Source::File(&f), &mut out, &o, Some(&progress)),
            _ => decode(Source::Reader(&mut &enc[..]), &mut out, &o, Some(&progress)),
        }
        .unwrap();
        assert!(out == data, "{source}");
        assert_eq!(stats.bytes_in, enc.len() as u64, "{source}");
        assert_eq!(stats.bytes_out, data.len() as u64, "{source}");
        assert_eq!(stats.segments, segments, "{source}");
        // The last segment of `c` ends where its index starts: 56 bytes before the end.
        let (enc_done, raw_done) = *last.lock().unwrap();
        assert_eq!(
            enc_done,
            (enc.len() - c.enc.len() + layout(&c.enc).index_offset) as u64
        );
        assert_eq!(raw_done, data.len() as u64, "{source}");
    }
}

#[test]
fn read_streams_at_locates_every_stream() {
    let (a, b, c, e) = parts();
    let (_, enc) = cat(&[&a, &e, &b, &c]);
    let read_at = |buf: &mut [u8], at: u64| -> std::io::Result<()> {
        buf.copy_from_slice(&enc[at as usize..at as usize + buf.len()]);
        Ok(())
    };
    let streams = read_streams_at(&read_at, enc.len() as u64).unwrap();
    let starts: Vec<u64> = streams.iter().map(|(s, _)| *s).collect();
    let (la, le, lb) = (a.enc.len() as u64, e.enc.len() as u64, b.enc.len() as u64);
    assert_eq!(starts, [0, la, la + le, la + le + lb]);
    let lens: Vec<u64> = streams.iter().map(|(_, i)| i.encoded_len).collect();
    assert_eq!(lens, [la, le, lb, c.enc.len() as u64]);
    let raw: Vec<u64> = streams.iter().map(|(_, i)| i.footer.raw_len).collect();
    assert_eq!(raw, [20_000, 0, 39_000, 12_345]);
    let segs: Vec<u32> = streams.iter().map(|(_, i)| i.header.segment_size).collect();
    assert_eq!(segs, [4096, 4096, 8192, 16384]);
    // One stream: one entry at 0.
    let one = read_streams_at(&read_at, la).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].0, 0);
    assert_eq!(one[0].1.encoded_len, la);
}

#[test]
fn random_access_across_stream_boundaries() {
    let (a, b, c, e) = parts();
    let (data, enc) = cat(&[&a, &e, &b, &c]);
    let mut r = Reader::new(Cursor::new(&enc[..])).unwrap();
    assert_eq!(r.len(), data.len() as u64);
    assert_eq!(r.streams().len(), 4);
    let (ab, bc) = (20_000u64, 59_000u64);
    let ranges = [
        (0, data.len() as u64),
        (ab - 1, ab + 1),
        (ab - 5000, ab + 9000),
        (bc - 1, bc + 1),
        (ab - 3, bc + 3),
        (ab, ab + 1),
        (bc, data.len() as u64),
        (ab, ab),
        (data.len() as u64, data.len() as u64),
    ];
    for (start, end) in ranges {
        let mut out = Vec::new();
        assert_eq!(r.copy_range(start, end, &mut out).unwrap(), end - start);
        assert!(
            out == data[start as usize..end as usize],
            "copy_range({start}, {end})"
        );
        r.seek(SeekFrom::Start(start)).unwrap();
        let mut buf = vec![0u8; (end - start) as usize];
        r.read_exact(&mut buf).unwrap();
        assert!(
            buf == data[start as usize..end as usize],
            "read {start}..{end}"
        );
    }
    // Backwards over the boundary, a few bytes at a time.
    let mut pos = bc + 100;
    while pos > ab - 100 {
        pos -= 7;
        r.seek(SeekFrom::Start(pos)).unwrap();
        let mut buf = [0u8; 7];
        r.read_exact(&mut buf).unwrap();
        assert_eq!(&buf[..], &data[pos as usize..pos as usize + 7]);
    }
    assert!(r
        .copy_range(0, data.len() as u64 + 1, &mut Vec::new())
        .is_err());
}

/// 1, 3, 4 and 100 bytes of garbage, and the first bytes of a magic, after one and after two
/// streams (the second larger than the 64 KiB a file reader searches for a footer before garbage).
#[test]
fn trailing_garbage_is_an_error_at_the_end_of_the_last_stream() {
    let (a, b, _, _) = parts();
    let big = part(random(80_000, 9), 1, 4096);
    assert!(big.enc.len() > 64 << 10);
    let garbage: Vec<Vec<u8>> = vec![
        vec![0],
        vec![1, 2, 3],
        b"GARB".to_vec(),
        random(100, 5),
        FILE_MAGIC[..1].to_vec(),
        FILE_MAGIC[..3].to_vec(),
        [&FILE_MAGIC[..3], b"X"].concat(),
        vec![0; 40],
    ];
    for streams in [vec![&a], vec![&a, &b], vec![&b, &big], vec![&a, &big, &a]] {
        let (_, enc) = cat(&streams);
        for g in &garbage {
            let bytes = [&enc[..], g].concat();
            assert_error(&bytes, &trailing(enc.len()));
        }
    }
}

/// Garbage between two streams: the error names the end of the first.
#[test]
fn garbage_between_streams() {
    let (a, b, c, e) = parts();
    let big = part(random(80_000, 9), 1, 4096);
    for (first, second) in [(&a, &b), (&a, &big), (&e, &c), (&big, &a)] {
        for g in [
            vec![0u8],
            b"junk".to_vec(),
            random(100, 6),
            FILE_MAGIC[..2].to_vec(),
        ] {
            let bytes = [&first.enc[..], &g, &second.enc].concat();
            assert_error(&bytes, &trailing(first.enc.len()));
            // And between the second and third of three.
            let bytes = [&c.enc[..], &first.enc, &g, &second.enc].concat();
            assert_error(&bytes, &trailing(c.enc.len() + first.enc.len()));
        }
    }
}

/// A second stream cut anywhere after its magic: truncated, at the byte where it ends.
#[test]
fn truncated_second_stream() {
    let (a, b, _, _) = parts();
    let l = layout(&b.enc);
    let cuts = [
        4,
        10,
        16,
        16 + 20,
        l.segments[1].offset,
        l.segments[1].offset + 50,
        l.index_offset,
        l.index_offset + 20,
        l.footer_offset,
        b.enc.len() - 1,
    ];
    for cut in cuts {
        let bytes = [&a.enc[..], &b.enc[..cut]].concat();
        for (path, got) in all_paths(&bytes) {
            match got {
                Err(Error::Truncated { offset, .. }) => {
                    assert_eq!(offset, bytes.len() as u64, "{path}, cut at {cut}")
                }
                other => panic!("{path}, cut at {cut}: {other:?}"),
            }
        }
    }
}

/// Damage inside a later stream is reported at its position in the whole input.
#[test]
fn damage_in_a_later_stream_names_the_absolute_offset() {
    let (a, b, _, _) = parts();
    let base = a.enc.len();
    let l = layout(&b.enc);
    // A payload byte of segment 2 of the second stream: its payload checksum fails.
    let s = l.segments[2];
    let mut bytes = [&a.enc[..], &b.enc].concat();
    bytes[base + s.payload().start + 3] ^= 0x10;
    let want = format!(
        "segment 2 at encoded byte {}: payload checksum mismatch",
        base + s.offset
    );
    assert_error(&bytes, &want);
    // The second stream's file header (its level byte): named with the stream's start.
    let mut bytes = [&a.enc[..], &b.enc].concat();
    bytes[base + 6] ^= 1;
    let want =
        format!("corrupt file header: header check value mismatch (the stream at byte {base})");
    assert_error(&bytes, &want);
    // An index entry of the second stream: both kinds of reader blame the index at its start.
    let mut bytes = [&a.enc[..], &b.enc].concat();
    bytes[base + l.index_offset + 12 + 32 + 24] ^= 1;
    let at = base + l.index_offset;
    for (path, got) in all_paths(&bytes) {
        match got {
            Err(Error::CorruptTrailer { offset, .. }) => assert_eq!(offset, at as u64, "{path}"),
            other => panic!("{path}: {other:?}"),
        }
    }
}

/// A single stream takes the path of one stream: its errors are those `Index::read_at` gives.
#[test]
fn single_damaged_stream_errors_are_unchanged() {
    let (a, _, _, _) = parts();
    let l = layout(&a.enc);
    let mut bytes = a.enc.clone();
    bytes[l.index_offset + 12 + 8] ^= 1; // entry 0's encoded offset
    let e = decode_file_bytes(&bytes, 1).unwrap_err();
    assert!(
        matches!(e, Error::CorruptTrailer { offset, .. } if offset == l.index_offset as u64),
        "{e:?}"
    );
}
