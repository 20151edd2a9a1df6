//! Reading on after an error (it sticks, nothing unverified comes out), and a few lone errors.

use super::*;
use std::io::Read;

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
