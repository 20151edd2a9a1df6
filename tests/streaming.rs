//! Stream decoding through sources that return tiny or interrupted reads: every structure (file
//! header, segment header, payload, index, footer) gets cut at every possible place.

mod util;

use sigmalang::{decode, encode, Decoder, Source};
use std::io::{self, Read};
use util::*;

const SEG: u32 = 4096;
const S: usize = SEG as usize;

/// Coded and stored segments, a short final one; levels 1 and 9.
fn samples() -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut v = Vec::new();
    for (level, data) in [
        (1u8, mixed(6 * S + 1234, S, 41)),
        (9, mixed(5 * S, 3000, 42)),
        (3, Vec::new()),
        (3, text(100, 43)),
    ] {
        let enc = encode_bytes(&data, &opts(2, level, SEG));
        v.push((data, enc));
    }
    v
}

#[test]
fn decoder_over_split_reads() {
    for (data, enc) in samples() {
        for max in [1usize, 2, 3, 7] {
            let got = decoder_read_all(SplitReader::new(&enc[..], max))
                .unwrap_or_else(|e| panic!("{max}-byte reads: {e}"));
            assert!(got == data, "{max}-byte reads give different data");
        }
    }
}

#[test]
fn decode_reader_over_split_reads() {
    for (data, enc) in samples() {
        for max in [1usize, 2, 3, 7] {
            for threads in [1usize, 3] {
                let mut src = SplitReader::new(&enc[..], max);
                let mut out = Vec::new();
                let stats = decode(
                    Source::Reader(&mut src),
                    &mut out,
                    &opts(threads, 3, SEG),
                    None,
                )
                .unwrap_or_else(|e| panic!("{max}-byte reads: {e}"));
                assert!(out == data, "{max}-byte reads give different data");
                assert_eq!(stats.bytes_in, enc.len() as u64);
                assert_eq!(stats.bytes_out, data.len() as u64);
            }
        }
    }
}

#[test]
fn decoder_with_tiny_output_buffers() {
    // The caller's buffer size must not matter either (including reads across segment ends).
    for (data, enc) in samples() {
        for bufsize in [1usize, 5, 4095, 4097] {
            let mut d = Decoder::new(SplitReader::new(&enc[..], 3));
            let mut out = Vec::new();
            let mut buf = vec![0u8; bufsize];
            loop {
                let n = d.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                assert!(n <= bufsize);
                out.extend_from_slice(&buf[..n]);
            }
            assert!(out == data, "buffer of {bufsize}");
            // After the end, reads keep returning 0; an empty buffer reads 0 too.
            assert_eq!(d.read(&mut buf).unwrap(), 0);
            assert_eq!(d.read(&mut buf).unwrap(), 0);
            assert_eq!(d.read(&mut []).unwrap(), 0);
        }
    }
}

#[test]
fn decoder_retries_interrupted_reads() {
    for (data, enc) in samples() {
        for (every, max) in [(2usize, 1usize), (3, 7), (5, 100), (7, 4096)] {
            let mut src = InterruptingReader::new(&enc[..], every, max);
            let mut out = Vec::new();
            // Decoder handles Interrupted itself: read_to_end would retry too, so read by hand
            // and require that no Interrupted error ever reaches the caller.
            let mut d = Decoder::new(&mut src);
            let mut buf = [0u8; 1000];
            loop {
                match d.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => out.extend_from_slice(&buf[..n]),
                    Err(e) => panic!("every {every}th read interrupted: {e} ({:?})", e.kind()),
                }
            }
            drop(d);
            assert!(out == data);
            assert!(src.interruptions > 0);
        }
    }
}

#[test]
fn pipeline_retries_interrupted_reads() {
    for (data, enc) in samples() {
        // decode(Source::Reader)
        let mut src = InterruptingReader::new(&enc[..], 3, 5);
        let mut out = Vec::new();
        decode(Source::Reader(&mut src), &mut out, &opts(2, 3, SEG), None).unwrap();
        assert!(out == data);
        assert!(src.interruptions > 0);

        // encode(Source::Reader): same bytes as from a plain slice
        let level = enc[6];
        let mut src = InterruptingReader::new(&data[..], 2, 999);
        let mut re = Vec::new();
        encode(
            Source::Reader(&mut src),
            &mut re,
            &opts(2, level, SEG),
            None,
        )
        .unwrap();
        assert!(re == enc, "encode through interrupted reads differs");
    }
}

#[test]
fn encode_reader_over_split_reads() {
    for (data, enc) in samples() {
        let level = enc[6];
        for max in [1usize, 7, 4095] {
            let mut src = SplitReader::new(&data[..], max);
            let mut out = Vec::new();
            encode(
                Source::Reader(&mut src),
                &mut out,
                &opts(2, level, SEG),
                None,
            )
            .unwrap();
            assert!(out == enc, "{max}-byte reads");
        }
    }
}

/// A source that fails with a real I/O error after `ok` bytes.
struct FailingReader<'a> {
    data: &'a [u8],
    ok: usize,
}

impl Read for FailingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.ok == 0 {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "source died",
            ));
        }
        let n = buf.len().min(self.ok).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.ok -= n;
        Ok(n)
    }
}

#[test]
fn source_io_errors_are_passed_through() {
    let (data, enc) = samples().swap_remove(0);
    for ok in [0usize, 10, 16, 100, enc.len() / 2, enc.len() - 1] {
        // Decoder: the io::Error itself, with its kind.
        let mut out = Vec::new();
        let e = Decoder::new(FailingReader { data: &enc, ok })
            .read_to_end(&mut out)
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "after {ok} bytes");

        // decode(Source::Reader): Error::Io.
        let mut src = FailingReader { data: &enc, ok };
        let r = decode(Source::Reader(&mut src), &mut out, &opts(2, 3, SEG), None);
        assert!(
            matches!(&r, Err(sigmalang::Error::Io(e)) if e.kind() == io::ErrorKind::ConnectionReset),
            "after {ok} bytes: {:?}",
            r.err()
        );
    }
    for ok in [0usize, 100, S + 3] {
        let mut src = FailingReader { data: &data, ok };
        let mut out = Vec::new();
        let r = encode(Source::Reader(&mut src), &mut out, &opts(2, 3, SEG), None);
        assert!(
            matches!(&r, Err(sigmalang::Error::Io(e)) if e.kind() == io::ErrorKind::ConnectionReset),
            "encode, after {ok} bytes: {:?}",
            r.err()
        );
    }
}

/// A writer that fails after `ok` bytes.
struct FailingWriter {
    ok: usize,
    got: Vec<u8>,
}

impl io::Write for FailingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.ok == 0 {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
        }
        let n = buf.len().min(self.ok);
        self.got.extend_from_slice(&buf[..n]);
        self.ok -= n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn sink_io_errors_are_passed_through() {
    let (data, enc) = samples().swap_remove(0);
    for ok in [0usize, 20, 5000, enc.len() - 1] {
        // Window 1 (two result slots) and the default: the consumer fails while the producer
        // and workers wait on it in different places.
        for (threads, window) in [(1usize, 0usize), (1, 1), (4, 0), (4, 1)] {
            let mut w = FailingWriter {
                ok,
                got: Vec::new(),
            };
            let r = encode(
                Source::Reader(&mut &data[..]),
                &mut w,
                &opts(threads, 1, SEG).window(window),
                None,
            );
            assert!(
                matches!(&r, Err(sigmalang::Error::Write(e)) if e.kind() == io::ErrorKind::StorageFull),
                "encode, {ok} bytes of room, {threads} threads, window {window}: {:?}",
                r.err()
            );
            assert!(enc.starts_with(&w.got));
        }
        for window in [0, 1] {
            let mut w = FailingWriter {
                ok: ok.min(data.len() - 1),
                got: Vec::new(),
            };
            let r = decode(
                Source::Reader(&mut &enc[..]),
                &mut w,
                &opts(4, 1, SEG).window(window),
                None,
            );
            assert!(
                matches!(&r, Err(sigmalang::Error::Write(e)) if e.kind() == io::ErrorKind::StorageFull),
                "decode, {ok} bytes of room, window {window}: {:?}",
                r.err()
            );
            assert!(data.starts_with(&w.got));
        }
    }
}
