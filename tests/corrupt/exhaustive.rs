//! Exhaustive: every single-byte corruption and every truncation of the sample, on every path.

use super::*;
use std::io::Read;
use std::os::unix::fs::FileExt;

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
