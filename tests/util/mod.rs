//! Shared helpers for the integration tests: deterministic data generators, readers that misbehave
//! in controlled ways, helpers over the container layout, and [`Scratch`], a temporary directory
//! for test files.
//!
//! Every test file of the library (`tests/*.rs`) includes this module with `mod util;` and uses
//! only part of it. The command line's tests (`cli/tests/`) include it too, through
//! `cli/tests/util/mod.rs`, which adds the helpers that run the `sigma` binary.
#![allow(dead_code)]

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sigmalang::{Options, Source};

mod data;
pub use data::*;

// ---------------------------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------------------------

/// Returns at most `max` bytes per `read` call (and fewer now and then).
pub struct SplitReader<R> {
    inner: R,
    max: usize,
    calls: usize,
}

impl<R: Read> SplitReader<R> {
    pub fn new(inner: R, max: usize) -> SplitReader<R> {
        assert!(max > 0);
        SplitReader {
            inner,
            max,
            calls: 0,
        }
    }
}

impl<R: Read> Read for SplitReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        // Every fifth call is one byte shorter (when that still reads something).
        let mut n = self.max.min(buf.len());
        if self.calls.is_multiple_of(5) && n > 1 {
            n -= 1;
        }
        self.inner.read(&mut buf[..n])
    }
}

/// Fails with `io::ErrorKind::Interrupted` on every `every`-th call, otherwise reads at most `max`.
pub struct InterruptingReader<R> {
    inner: R,
    every: usize,
    max: usize,
    calls: usize,
    pub interruptions: usize,
}

impl<R: Read> InterruptingReader<R> {
    pub fn new(inner: R, every: usize, max: usize) -> InterruptingReader<R> {
        InterruptingReader {
            inner,
            every,
            max,
            calls: 0,
            interruptions: 0,
        }
    }
}

impl<R: Read> Read for InterruptingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(self.every) {
            self.interruptions += 1;
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "test interruption",
            ));
        }
        let n = self.max.min(buf.len());
        self.inner.read(&mut buf[..n])
    }
}

// ---------------------------------------------------------------------------------------------
// Library shortcuts
// ---------------------------------------------------------------------------------------------

/// Options used by most tests: `threads` workers, `level`, fixed `seg` size.
pub fn opts(threads: usize, level: u8, seg: u32) -> Options {
    Options::new()
        .threads(threads)
        .level(level)
        .segment_size(seg)
}

/// Encodes `data` from memory (`Source::Reader`).
pub fn encode_bytes(data: &[u8], o: &Options) -> Vec<u8> {
    let mut out = Vec::new();
    sigmalang::encode(Source::Reader(&mut &data[..]), &mut out, o, None).expect("encode");
    out
}

/// Decodes `enc` from memory (`Source::Reader`).
pub fn decode_bytes(enc: &[u8], o: &Options) -> sigmalang::Result<Vec<u8>> {
    let mut out = Vec::new();
    sigmalang::decode(Source::Reader(&mut &enc[..]), &mut out, o, None)?;
    Ok(out)
}

/// Reads all of a `Decoder` over `r`; a failure must be an `InvalidData` (or `Interrupted`/
/// `InvalidInput`) `io::Error` wrapping a `sigmalang::Error`, which is returned.
pub fn decoder_read_all<R: Read>(r: R) -> Result<Vec<u8>, sigmalang::Error> {
    let mut out = Vec::new();
    match sigmalang::Decoder::new(r).read_to_end(&mut out) {
        Ok(_) => Ok(out),
        Err(e) => Err(unwrap_io(e)),
    }
}

/// The `sigmalang::Error` inside an `io::Error` returned by `Decoder`/`Encoder`; an `io::Error`
/// that does not wrap one is returned as `Error::Io`.
pub fn unwrap_io(e: io::Error) -> sigmalang::Error {
    if e.get_ref()
        .is_some_and(|inner| inner.downcast_ref::<sigmalang::Error>().is_some())
    {
        let kind = e.kind();
        let inner = e
            .into_inner()
            .unwrap()
            .downcast::<sigmalang::Error>()
            .unwrap();
        if inner.is_corrupt_input() {
            assert_eq!(
                kind,
                io::ErrorKind::InvalidData,
                "corrupt input must be InvalidData"
            );
        }
        *inner
    } else {
        sigmalang::Error::Io(e)
    }
}

// ---------------------------------------------------------------------------------------------
// Container layout (see src/format/mod.rs)
// ---------------------------------------------------------------------------------------------

pub const FILE_HEADER_LEN: usize = 16;
pub const SEGMENT_HEADER_LEN: usize = 36;
pub const INDEX_ENTRY_LEN: usize = 32;
pub const INDEX_FIXED_LEN: usize = 16;
pub const FOOTER_LEN: usize = 40;

/// Where things are in a well-formed encoded stream.
#[derive(Clone, Debug)]
pub struct Layout {
    /// (offset of the segment header, payload length, raw length, stored) per segment.
    pub segments: Vec<SegInfo>,
    pub index_offset: usize,
    pub footer_offset: usize,
    pub len: usize,
}

#[derive(Clone, Copy, Debug)]
pub struct SegInfo {
    pub offset: usize,
    pub enc_len: usize,
    pub raw_len: usize,
    pub stored: bool,
}

impl SegInfo {
    /// One past the segment's last byte.
    pub fn end(&self) -> usize {
        self.offset + SEGMENT_HEADER_LEN + self.enc_len
    }
    pub fn payload(&self) -> std::ops::Range<usize> {
        self.offset + SEGMENT_HEADER_LEN..self.end()
    }
}

pub fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
pub fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Walks the segment headers of a valid stream and checks the overall layout arithmetic.
pub fn layout(enc: &[u8]) -> Layout {
    assert!(enc.len() >= FILE_HEADER_LEN + INDEX_FIXED_LEN + FOOTER_LEN);
    let footer_offset = enc.len() - FOOTER_LEN;
    let count = le64(enc, footer_offset + 4) as usize;
    let index_offset = le64(enc, footer_offset + 20) as usize;
    let mut segments = Vec::with_capacity(count);
    let mut at = FILE_HEADER_LEN;
    for k in 0..count {
        assert_eq!(
            &enc[at..at + 4],
            &[0xce, 0xa3, b'S', b'G'],
            "segment {k} marker"
        );
        assert_eq!(le32(enc, at + 4) as usize, k, "segment {k} ordinal");
        let s = SegInfo {
            offset: at,
            stored: enc[at + 8] & 1 != 0,
            raw_len: le32(enc, at + 12) as usize,
            enc_len: le32(enc, at + 16) as usize,
        };
        at = s.end();
        segments.push(s);
    }
    assert_eq!(at, index_offset, "segments end where the index starts");
    assert_eq!(
        index_offset + INDEX_FIXED_LEN + count * INDEX_ENTRY_LEN,
        footer_offset,
        "index size"
    );
    Layout {
        segments,
        index_offset,
        footer_offset,
        len: enc.len(),
    }
}

/// Recomputes the xxh32 check value of a segment header at `at` after it was edited.
pub fn fix_segment_header_check(enc: &mut [u8], at: usize) {
    let c = xxhash_rust::xxh32::xxh32(&enc[at..at + 32], 0);
    enc[at + 32..at + 36].copy_from_slice(&c.to_le_bytes());
}

/// Recomputes the file header check value after the header was edited.
pub fn fix_file_header_check(enc: &mut [u8]) {
    let c = xxhash_rust::xxh32::xxh32(&enc[..12], 0);
    enc[12..16].copy_from_slice(&c.to_le_bytes());
}

/// Recomputes the footer check value after the footer was edited.
pub fn fix_footer_check(enc: &mut [u8]) {
    let at = enc.len() - FOOTER_LEN;
    let c = xxhash_rust::xxh32::xxh32(&enc[at..at + 36], 0);
    enc[at + 36..at + 40].copy_from_slice(&c.to_le_bytes());
}

/// Recomputes a segment's payload check value (and then its header check) after the payload of
/// the segment at `s` was edited.
pub fn fix_payload_hash(enc: &mut [u8], s: &SegInfo) {
    let h = xxhash_rust::xxh3::xxh3_64(&enc[s.payload()]) as u32;
    enc[s.offset + 28..s.offset + 32].copy_from_slice(&h.to_le_bytes());
    fix_segment_header_check(enc, s.offset);
}

// ---------------------------------------------------------------------------------------------
// Scratch files
// ---------------------------------------------------------------------------------------------

/// A temporary directory for a test's files, removed when dropped.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new()
    }
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::Builder::new()
                .prefix("sigma-test-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Creates (or replaces) file `name` with `data`.
    pub fn create(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.path(name);
        fs::write(&p, data).expect("write test file");
        p
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        fs::read(self.path(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.path(name).exists()
    }

    /// Every entry of the directory (hidden ones included), sorted.
    pub fn list(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(self.dir.path())
            .expect("read_dir")
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}
