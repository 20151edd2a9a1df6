//! Checks shared by the fuzz targets (`fuzz_targets/*.rs`), the regression replay
//! (`tests/fuzz_regressions.rs`) and the mutation test (`tests/mutation.rs`).
//!
//! This file depends only on `sigmalang`, `xxhash-rust` (a dependency of `sigmalang`) and `std`,
//! so the main crate's integration tests include it with `#[path = "../fuzz/src/lib.rs"] mod`
//! and replay a saved input through exactly the code its fuzz target runs.
//!
//! Every `check_*` function panics (fails) on a finding and returns normally otherwise.
#![allow(dead_code)]

use sigmalang::codec::{self, MatchFinder};
use sigmalang::format::{
    self, FileHeader, Footer, Index, IndexBuilder, SegmentHeader, FILE_HEADER_LEN, FILE_MAGIC,
    FOOTER_LEN, FOOTER_MAGIC, INDEX_ENTRY_LEN, INDEX_FIXED_LEN, INDEX_MAGIC, SEGMENT_HEADER_LEN,
    SEGMENT_MAGIC,
};
use sigmalang::{Decoder, Encoder, Options, Source};
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::sync::OnceLock;
use xxhash_rust::xxh3::xxh3_64;
use xxhash_rust::xxh32::xxh32;

// Deterministic data: the generators of the integration tests.
#[path = "../../tests/util/data.rs"]
mod data;
pub use data::*;

// The `sequences` target (format version 4's sequences layout).
#[path = "sequences.rs"]
pub mod sequences;

/// Segment size of every stream built here.
pub const SEGMENT: u32 = 4096;

/// Encodes `data` with [`Encoder`] at `level` and a 4096-byte segment size.
pub fn encode(data: &[u8], level: u8) -> Vec<u8> {
    let opts = Options::new().level(level).segment_size(SEGMENT);
    let mut enc = Encoder::new(Vec::new(), &opts).expect("valid options");
    enc.write_all(data).expect("write to a Vec");
    enc.finish().expect("finish to a Vec")
}

/// An original input and its encoding.
pub struct Stream {
    /// What decoding must give back.
    pub data: Vec<u8>,
    /// The valid encoded stream.
    pub encoded: Vec<u8>,
}

/// The streams the `container` target cuts and extends (built once). Index = selector % len.
pub fn container_streams() -> &'static [Stream] {
    static STREAMS: OnceLock<Vec<Stream>> = OnceLock::new();
    STREAMS.get_or_init(|| {
        // Four segments: coded text, STORED random, coded runs, short coded binary tail.
        let mut mixed = text(4096, 1);
        mixed.extend(random(4096, 2));
        mixed.extend(runs(4096, 3));
        mixed.extend(binary(1500, 4));
        let small = text(300, 5);
        [(mixed.clone(), 3), (mixed, 9), (small, 1), (Vec::new(), 3)]
            .into_iter()
            .map(|(data, level)| Stream {
                encoded: encode(&data, level),
                data,
            })
            .collect()
    })
}

// ---------------------------------------------------------------------------------------------
// Check-value fix-ups: make damaged structures pass their check values so that the semantic
// validation behind them gets exercised. `raw_hash` and the footer's `stream_hash` are never
// recomputed here, so a stream that still decodes must decode to the original data.
// ---------------------------------------------------------------------------------------------

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}
fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Recomputes the xxh32 check of the file header.
pub fn fix_file_header(s: &mut [u8]) {
    fix_file_header_at(s, 0);
}

/// Recomputes the xxh32 check of a file header at `at` (if it fits).
fn fix_file_header_at(s: &mut [u8], at: usize) {
    if at + FILE_HEADER_LEN <= s.len() {
        let c = xxh32(&s[at..at + 12], 0);
        put32(s, at + 12, c);
    }
}

/// Recomputes the footer check of a 40-byte footer at `at` (if it fits).
pub fn fix_footer(s: &mut [u8], at: usize) {
    if at.checked_add(FOOTER_LEN).is_some_and(|e| e <= s.len()) {
        let c = xxh32(&s[at..at + 36], 0);
        put32(s, at + 36, c);
    }
}

/// Recomputes the index check of an index at `at` holding `count` entries (if it fits).
/// Returns where the footer would start.
pub fn fix_index(s: &mut [u8], at: usize, count: u64) -> Option<usize> {
    let len = usize::try_from(count)
        .ok()?
        .checked_mul(INDEX_ENTRY_LEN)?
        .checked_add(INDEX_FIXED_LEN)?;
    let end = at.checked_add(len)?;
    if end > s.len() {
        return None;
    }
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&s[at..at + 4]);
    h.update(&s[at + 12..end - 4]);
    h.update(&s[at + 4..at + 12]);
    let c = h.digest() as u32;
    put32(s, end - 4, c);
    Some(end)
}

/// Walks a (damaged) stream front to back like a streaming reader and recomputes every check
/// value it can reach: file header check, each segment's `payload_hash` and header check, the
/// index check and the footer check — and goes on into the next stream when a footer is followed
/// by the file magic (docs/FORMAT.md, "Concatenated streams").
pub fn fix_stream_checks(s: &mut [u8]) {
    let mut start = Some(0);
    while let Some(at) = start {
        start = fix_one_stream(s, at);
    }
}

/// [`fix_stream_checks`] for the stream at `start`; returns where the next stream starts, if one
/// follows this one's footer.
fn fix_one_stream(s: &mut [u8], start: usize) -> Option<usize> {
    fix_file_header_at(s, start);
    let mut at = start + FILE_HEADER_LEN;
    while at + 4 <= s.len() {
        let magic = &s[at..at + 4];
        if magic == SEGMENT_MAGIC && at + SEGMENT_HEADER_LEN <= s.len() {
            let enc_len = le32(s, at + 16) as usize;
            let p = at + SEGMENT_HEADER_LEN;
            let end = p.saturating_add(enc_len).min(s.len());
            let ph = xxh3_64(&s[p..end]) as u32;
            put32(s, at + 28, ph);
            let c = xxh32(&s[at..at + 32], 0);
            put32(s, at + 32, c);
            at = end;
        } else if magic == INDEX_MAGIC && at + 12 <= s.len() {
            let foot = fix_index(s, at, le64(s, at + 4))?;
            fix_footer(s, foot);
            let next = foot.checked_add(FOOTER_LEN)?;
            return (s.get(next..next + 4) == Some(&FILE_MAGIC[..])).then_some(next);
        } else {
            return None;
        }
    }
    None
}

/// Recomputes, for a whole file read through its footer, the header check, the index check, the
/// footer's stream hash (from the index entries) and the footer check: the `trailer` target's
/// fix-up, which lets the fuzzer reach `Index::read_at`'s layout checks.
pub fn fix_trailer_checks(s: &mut [u8]) {
    fix_file_header(s);
    if s.len() < FOOTER_LEN {
        return;
    }
    let foot = s.len() - FOOTER_LEN;
    let index_at = le64(s, foot + 20);
    let count = le64(s, foot + 4);
    if let Ok(at) = usize::try_from(index_at) {
        if at.checked_add(12).is_some_and(|e| e <= s.len()) {
            if let Some(end) = fix_index(s, at, count) {
                let mut h = xxhash_rust::xxh3::Xxh3::new();
                for k in 0..count as usize {
                    let e = at + 12 + k * INDEX_ENTRY_LEN;
                    h.update(&s[e + 24..e + 32]);
                }
                if end <= foot {
                    let d = h.digest();
                    s[foot + 28..foot + 36].copy_from_slice(&d.to_le_bytes());
                }
            }
        }
    }
    fix_footer(s, foot);
}

// ---------------------------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------------------------

/// Returns at most `chunk` bytes per `read` (0 = no limit), and `Interrupted` now and then.
pub struct ChunkReader<'a> {
    data: &'a [u8],
    chunk: usize,
    calls: usize,
}

impl<'a> ChunkReader<'a> {
    /// A reader over `data` with at most `chunk` bytes per read (0 = no limit).
    pub fn new(data: &'a [u8], chunk: usize) -> ChunkReader<'a> {
        ChunkReader {
            data,
            chunk,
            calls: 0,
        }
    }
}

impl Read for ChunkReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.chunk != 0 && self.calls % 7 == 3 {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let mut n = buf.len().min(self.data.len());
        if self.chunk != 0 {
            n = n.min(self.chunk);
        }
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding through every public entry point
// ---------------------------------------------------------------------------------------------

thread_local! {
    /// One unlinked scratch file per thread for the `Source::File` path.
    static SCRATCH: RefCell<Option<File>> = const { RefCell::new(None) };
}

fn with_scratch<R>(f: impl FnOnce(&File) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let path = std::env::temp_dir().join(format!(
                "sigmalang-fuzz-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let file = File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .expect("create scratch file");
            let _ = std::fs::remove_file(&path);
            *slot = Some(file);
        }
        f(slot.as_ref().unwrap())
    })
}

/// Which entry points [`decode_all`] uses.
#[derive(Clone, Copy, Debug)]
pub struct Paths {
    /// `Decoder<R>` through `read_to_end`.
    pub decoder: bool,
    /// `sigmalang::decode(Source::Reader(..))`.
    pub reader: bool,
    /// `sigmalang::decode(Source::File(..))` (through the index).
    pub file: bool,
}

/// Decodes `stream` through the selected entry points and asserts that each one either fails or
/// returns exactly `original`. `chunk` bounds the reads the stream readers see (0 = no bound);
/// `threads` is passed to the pipeline.
pub fn decode_all(stream: &[u8], original: &[u8], chunk: usize, threads: usize, paths: Paths) {
    if paths.decoder {
        let mut out = Vec::new();
        let r = Decoder::new(ChunkReader::new(stream, chunk)).read_to_end(&mut out);
        if r.is_ok() {
            assert!(
                out == original,
                "Decoder accepted a damaged stream: {} bytes out, {} expected",
                out.len(),
                original.len()
            );
        }
    }
    let opts = Options::new().threads(threads);
    if paths.reader {
        let mut out = Vec::new();
        let mut rd = ChunkReader::new(stream, chunk);
        let r = sigmalang::decode(Source::Reader(&mut rd), &mut out, &opts, None);
        if r.is_ok() {
            assert!(
                out == original,
                "decode(Source::Reader) accepted a damaged stream: {} bytes out, {} expected",
                out.len(),
                original.len()
            );
        }
    }
    if paths.file {
        with_scratch(|f| {
            f.set_len(0).expect("truncate scratch");
            f.write_all_at(stream, 0).expect("write scratch");
            let mut out = Vec::new();
            let r = sigmalang::decode(Source::File(f), &mut out, &opts, None);
            if r.is_ok() {
                assert!(
                    out == original,
                    "decode(Source::File) accepted a damaged stream: {} bytes out, {} expected",
                    out.len(),
                    original.len()
                );
            }
        });
    }
}

/// Read sizes the `container` target picks from.
const CHUNKS: [usize; 8] = [0, 1, 2, 3, 7, 36, 61, 4096];

/// `container` target. Input: `[flags][prefix lo][prefix hi][tail ...]`.
/// flags bits 0–1: which stream of [`container_streams`]; bit 2: recompute check values after
/// splicing; bits 3–5: read size ([`CHUNKS`]); bit 6: two threads instead of one.
/// The stream decoded is `encoded[..prefix % (len + 1)] ++ tail`.
pub fn check_container(input: &[u8]) {
    if input.len() < 3 {
        return;
    }
    let flags = input[0];
    let streams = container_streams();
    let s = &streams[usize::from(flags & 3) % streams.len()];
    let prefix = usize::from(u16::from_le_bytes([input[1], input[2]])) % (s.encoded.len() + 1);
    let mut stream = Vec::with_capacity(prefix + input.len());
    stream.extend_from_slice(&s.encoded[..prefix]);
    stream.extend_from_slice(&input[3..]);
    if flags & 4 != 0 {
        fix_stream_checks(&mut stream);
    }
    let chunk = CHUNKS[usize::from(flags >> 3) & 7];
    let threads = 1 + usize::from(flags >> 6 & 1);
    decode_all(
        &stream,
        &s.data,
        chunk,
        threads,
        Paths {
            decoder: true,
            reader: true,
            file: true,
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Glyph streams
// ---------------------------------------------------------------------------------------------

/// A byte-at-a-time decoder written from `docs/FORMAT.md` ("Glyph stream"), independent of
/// `sigmalang::codec::decompress`: `None` for any invalid stream.
pub fn reference_decompress(input: &[u8], raw_len: usize) -> Option<Vec<u8>> {
    // At most 5 bytes, the shortest encoding (no zero-padding), a value of at most 2^32 - 1.
    fn varint(input: &[u8], ip: &mut usize) -> Option<u64> {
        let mut v = 0u64;
        for i in 0..5 {
            let b = *input.get(*ip)?;
            *ip += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return (!(b == 0 && i > 0) && v <= u64::from(u32::MAX)).then_some(v);
            }
        }
        None
    }
    fn copy(out: &mut Vec<u8>, dist: u64, len: u64, raw_len: usize) -> Option<()> {
        if dist == 0 || dist > out.len() as u64 || out.len() as u64 + len > raw_len as u64 {
            return None;
        }
        for _ in 0..len {
            out.push(out[out.len() - dist as usize]);
        }
        Some(())
    }
    let mut out = Vec::new();
    let mut stack = [1u64, 4, 8, 16];
    let mut ip = 0;
    while ip < input.len() {
        let tag = input[ip];
        ip += 1;
        match tag >> 6 {
            0 => {
                let l = u64::from(tag & 0x3f);
                let n = if l == 0 {
                    64 + varint(input, &mut ip)?
                } else {
                    l
                };
                if out.len() as u64 + n > raw_len as u64 {
                    return None;
                }
                let lits = input.get(ip..ip + n as usize)?;
                out.extend_from_slice(lits);
                ip += n as usize;
            }
            1 => {
                let lo = u64::from(*input.get(ip)?);
                ip += 1;
                let l = u64::from(tag & 0x3f);
                let len = if l == 63 {
                    67 + varint(input, &mut ip)?
                } else {
                    4 + l
                };
                let hi = varint(input, &mut ip)?;
                let dist = ((hi << 8) | lo) + 1;
                copy(&mut out, dist, len, raw_len)?;
                stack = [dist, stack[0], stack[1], stack[2]];
            }
            2 => {
                let slot = usize::from(tag >> 4 & 3);
                let l = u64::from(tag & 0x0f);
                let len = if l == 15 {
                    18 + varint(input, &mut ip)?
                } else {
                    3 + l
                };
                let dist = stack[slot];
                copy(&mut out, dist, len, raw_len)?;
                stack[..=slot].rotate_right(1);
            }
            _ => {
                let p = usize::from(tag >> 4 & 3) + 1;
                let l = u64::from(tag & 0x0f);
                let len = if l == 15 {
                    19 + varint(input, &mut ip)?
                } else {
                    4 + l
                };
                let pattern = input.get(ip..ip + p)?;
                ip += p;
                if out.len() as u64 + len > raw_len as u64 {
                    return None;
                }
                for k in 0..len as usize {
                    out.push(pattern[k % p]);
                }
            }
        }
    }
    (out.len() == raw_len).then_some(out)
}

thread_local! {
    /// Match finders reused across calls, one per level, as the pipeline's workers reuse theirs.
    static FINDERS: RefCell<Vec<Option<MatchFinder>>> = RefCell::new((0..10).map(|_| None).collect());
}

/// `glyph` target. Input: `[len lo][len hi][glyph stream ...]`; the 16-bit value `v` gives
/// `raw_len = v` when bit 15 is clear, else `(v & 0x7fff) << 5` (up to 1 MiB).
/// 1. `decompress(stream, raw_len)` must agree with [`reference_decompress`] (both fail, or both
///    succeed with the same `raw_len` bytes).
/// 2. The whole input compressed at level `input[0] % 9 + 1`, with a reused and with a fresh
///    match finder (same bytes), appended after a few junk bytes, must decode back to the input.
pub fn check_glyph(input: &[u8]) {
    if input.len() < 2 {
        return;
    }
    let v = u16::from_le_bytes([input[0], input[1]]);
    let raw_len = if v & 0x8000 == 0 {
        usize::from(v)
    } else {
        usize::from(v & 0x7fff) << 5
    };
    let stream = &input[2..];
    let mut out = vec![0xEE; 3];
    let got = codec::decompress(stream, &mut out, raw_len);
    let want = reference_decompress(stream, raw_len);
    match (&got, &want) {
        (Ok(()), Some(w)) => {
            assert_eq!(out.len(), raw_len, "decompress returned a wrong length");
            assert!(out == *w, "decompress disagrees with the reference decoder");
        }
        (Err(_), None) => {}
        (Ok(()), None) => panic!("decompress accepted a stream the reference decoder rejects"),
        (Err(e), Some(_)) => {
            panic!("decompress rejected ({e}) a stream the reference decoder accepts")
        }
    }

    // Round trip.
    let level = input[0] % 9 + 1;
    let junk = usize::from(input[1] % 4);
    let mut enc = vec![0xA5; junk];
    let coded = FINDERS.with(|f| {
        let mut f = f.borrow_mut();
        let mf = f[usize::from(level)].get_or_insert_with(|| MatchFinder::new(level));
        codec::compress(input, mf, &mut enc)
    });
    assert!(
        enc[..junk].iter().all(|&b| b == 0xA5),
        "compress overwrote bytes already in its output"
    );
    let mut fresh = Vec::new();
    let fresh_coded = codec::compress(input, &mut MatchFinder::new(level), &mut fresh);
    assert_eq!(
        coded, fresh_coded,
        "a reused match finder changed the outcome"
    );
    if coded {
        let payload = &enc[junk..];
        assert!(
            payload == &fresh[..],
            "a reused match finder changed the bytes"
        );
        assert!(
            payload.len() < input.len(),
            "compress returned true for a stream of {} bytes from {} bytes",
            payload.len(),
            input.len()
        );
        assert!(payload.len() <= codec::compressed_bound(input.len()));
        let mut back = Vec::new();
        codec::decompress(payload, &mut back, input.len()).expect("own output decodes");
        assert!(
            back == input,
            "round trip at level {level} changed the data"
        );
        assert_eq!(
            reference_decompress(payload, input.len()).as_deref(),
            Some(input),
            "the reference decoder disagrees with the encoder at level {level}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Trailer and fixed-size structures
// ---------------------------------------------------------------------------------------------

/// `trailer` target. Input: `[flags][file ...]`; flags bit 0: recompute check values
/// ([`fix_trailer_checks`]) first. Parses the file with `Index::read_at` (reads served from the
/// slice, `UnexpectedEof` past its end) and its pieces with `FileHeader::parse`,
/// `Footer::parse` and `SegmentHeader::parse`; whatever is accepted must be self-consistent and
/// serialize back to the same bytes.
pub fn check_trailer(input: &[u8]) {
    let Some((&flags, rest)) = input.split_first() else {
        return;
    };
    let mut file = rest.to_vec();
    if flags & 1 != 0 {
        fix_trailer_checks(&mut file);
    }
    let file = &file[..];
    let len = file.len() as u64;
    let read_at = |buf: &mut [u8], at: u64| -> io::Result<()> {
        let start =
            usize::try_from(at).map_err(|_| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        match start
            .checked_add(buf.len())
            .and_then(|end| file.get(start..end))
        {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(())
            }
            None => Err(io::ErrorKind::UnexpectedEof.into()),
        }
    };
    if let Ok(index) = Index::read_at(&read_at, len) {
        check_index(&index, file);
    }

    let mut seg_size = vec![0, 1, 4096, u32::MAX];
    if file.len() >= FILE_HEADER_LEN {
        let hb: &[u8; FILE_HEADER_LEN] = file[..FILE_HEADER_LEN].try_into().unwrap();
        if let Ok(h) = FileHeader::parse(hb) {
            assert_eq!(&h.to_bytes(), hb, "FileHeader does not serialize back");
            assert!((format::MIN_SEGMENT_SIZE..=format::MAX_SEGMENT_SIZE).contains(&h.segment_size));
            seg_size.push(h.segment_size);
        }
    }
    if file.len() >= FOOTER_LEN {
        let at = file.len() - FOOTER_LEN;
        let fb: &[u8; FOOTER_LEN] = file[at..].try_into().unwrap();
        if let Ok(f) = Footer::parse(fb, at as u64) {
            assert_eq!(&f.to_bytes(), fb, "Footer does not serialize back");
        }
    }
    for start in [0, FILE_HEADER_LEN] {
        let Some(b) = file.get(start..start + SEGMENT_HEADER_LEN) else {
            continue;
        };
        let hb: &[u8; SEGMENT_HEADER_LEN] = b.try_into().unwrap();
        for &s in &seg_size {
            if let Ok(h) = SegmentHeader::parse(hb, start as u64, s, None) {
                assert_eq!(&h.to_bytes(), hb, "SegmentHeader does not serialize back");
                assert!(h.raw_len >= 1 && h.raw_len <= s);
                assert!(if h.stored() {
                    h.enc_len == h.raw_len
                } else {
                    h.enc_len < h.raw_len
                });
            }
        }
    }
}

/// An index `Index::read_at` accepted must describe the file exactly.
fn check_index(index: &Index, file: &[u8]) {
    assert_eq!(index.encoded_len, file.len() as u64);
    let hb: &[u8; FILE_HEADER_LEN] = file[..FILE_HEADER_LEN].try_into().unwrap();
    assert_eq!(index.header.to_bytes(), *hb);
    assert_eq!(index.entries.len() as u64, index.footer.segments);
    let seg = u64::from(index.header.segment_size);
    let mut b = IndexBuilder::new(true);
    let mut enc = FILE_HEADER_LEN as u64;
    for (k, e) in index.entries.iter().enumerate() {
        assert_eq!(e.raw_offset, k as u64 * seg);
        assert_eq!(e.enc_offset, enc);
        assert!(e.raw_len >= 1 && u64::from(e.raw_len) <= seg);
        assert!(e.enc_len <= e.raw_len);
        if k + 1 < index.entries.len() {
            assert_eq!(u64::from(e.raw_len), seg);
        }
        enc += SEGMENT_HEADER_LEN as u64 + u64::from(e.enc_len);
        b.push(*e);
    }
    assert_eq!(enc, index.footer.index_offset);
    assert_eq!(b.raw_len(), index.footer.raw_len);
    let trailer = b.trailer_bytes(index.footer.index_offset);
    assert!(
        file[index.footer.index_offset as usize..] == trailer[..],
        "accepted index/footer differ from the canonical serialization"
    );
    let foot = file.len() - FOOTER_LEN;
    assert_eq!(&file[foot..foot + 4], &FOOTER_MAGIC);
}

// ---------------------------------------------------------------------------------------------
// split: the entropy stage (the streams layout, and version 1's split layout; byte sections)
// ---------------------------------------------------------------------------------------------

/// The payload of the one segment of `tests/vectors/v1-split-level3.sigma` (a version-1 file:
/// 16-byte file header, 36-byte segment header, split-layout payload) and its raw length.
pub fn v1_split_payload() -> (&'static [u8], usize) {
    let file: &[u8] = include_bytes!("../../tests/vectors/v1-split-level3.sigma");
    let le32 = |at: usize| u32::from_le_bytes(file[at..at + 4].try_into().unwrap()) as usize;
    let (raw_len, enc_len) = (le32(16 + 12), le32(16 + 16));
    (&file[16 + 36..16 + 36 + enc_len], raw_len)
}

/// Input: `raw_len` (u16 LE, at most 64 KiB), a level byte, then bytes used twice: (1) decoded as
/// a streams-layout payload and as a split-layout payload (`codec::decode_payload(.., Layout::
/// Streams | Layout::Split, ..)`: section counts, byte sections with their code lengths and
/// bitstreams, glyphs taking their fields from the sections) — it must not panic and an `Ok` must
/// hold exactly `raw_len` bytes; (2) encoded with `encode_payload` at level 2..=9 and decoded
/// back, which must give the same bytes (whichever layout the encoder chose).
pub fn check_split(input: &[u8]) {
    if input.len() < 3 {
        return;
    }
    let raw_len = usize::from(u16::from_le_bytes([input[0], input[1]]));
    let level = 2 + input[2] % 8;
    let body = &input[3..];
    let mut out = Vec::new();
    for layout in [codec::Layout::Streams, codec::Layout::Split] {
        if codec::decode_payload(body, layout, &mut out, raw_len).is_ok() {
            assert_eq!(
                out.len(),
                raw_len,
                "{layout:?} decode returned the wrong length"
            );
        }
    }
    let mut enc = Vec::new();
    if let Some(layout) = codec::encode_payload(body, &mut MatchFinder::new(level), &mut enc) {
        let mut back = Vec::new();
        codec::decode_payload(&enc, layout, &mut back, body.len()).expect("own payload decodes");
        assert!(
            back == body,
            "split roundtrip changed the data at level {level}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Seed corpus
// ---------------------------------------------------------------------------------------------

/// Valid starting points for each target: whole encoded streams (as a tail after prefix 0, so
/// the fuzzer can mutate any byte of them), cut streams, and valid glyph streams.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    match target {
        "container" => {
            for (i, s) in container_streams().iter().enumerate() {
                let i = i as u8;
                let full = s.encoded.len() as u16;
                for flags in [i, i | 4, i | 4 | 8 | 64] {
                    out.push([&[flags, 0, 0][..], &s.encoded].concat());
                }
                out.push([i, full as u8, (full >> 8) as u8].to_vec());
                let half = full / 2;
                let mut v = vec![i, half as u8, (half >> 8) as u8];
                v.extend_from_slice(&s.encoded[usize::from(half)..]);
                out.push(v);
            }
        }
        "glyph" => {
            let samples = [
                text(300, 7),
                runs(2000, 8),
                binary(1000, 9),
                random(100, 10),
            ];
            for (k, d) in samples.iter().enumerate() {
                let level = [1u8, 3, 9, 5][k];
                let mut enc = Vec::new();
                if codec::compress(d, &mut MatchFinder::new(level), &mut enc) {
                    let n = d.len() as u16;
                    out.push([&n.to_le_bytes()[..], &enc].concat());
                }
                out.push(d.clone());
            }
        }
        "split" => {
            for (k, d) in [text(3000, 11), text(600, 12), binary(2000, 13)]
                .iter()
                .enumerate()
            {
                let mut enc = Vec::new();
                if let Some(codec::Layout::Streams) =
                    codec::encode_payload(d, &mut MatchFinder::new(3), &mut enc)
                {
                    let n = d.len() as u16;
                    out.push([&n.to_le_bytes()[..], &[k as u8][..], &enc].concat());
                }
                out.push([&[0u8, 0, 0][..], d].concat());
            }
            let (payload, n) = v1_split_payload();
            out.push([&(n as u16).to_le_bytes()[..], &[1u8][..], payload].concat());
        }
        "trailer" => {
            for s in container_streams() {
                out.push([&[0u8][..], &s.encoded].concat());
                out.push([&[1u8][..], &s.encoded].concat());
            }
        }
        "fse" => out = fse_seeds(),
        "sequences" => out = sequences::sequences_seeds(),
        _ => {}
    }
    out
}

/// Called from a target's `init`: if the corpus directory libFuzzer was given (its first
/// positional argument) is missing or empty, writes [`seeds`] into it before libFuzzer reads it.
pub fn write_seed_corpus(target: &str) {
    let Some(dir) = std::env::args().skip(1).find(|a| !a.starts_with('-')) else {
        return;
    };
    let dir = std::path::Path::new(&dir);
    if dir.is_file() {
        return; // running single inputs, not fuzzing
    }
    let empty = std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_none());
    if !empty {
        return;
    }
    let _ = std::fs::create_dir_all(dir);
    for (k, s) in seeds(target).iter().enumerate() {
        let _ = std::fs::write(dir.join(format!("seed-{k:02}")), s);
    }
}

// ---------------------------------------------------------------------------------------------
// fse: the tANS table description reader, table building and the backward bitstream
// ---------------------------------------------------------------------------------------------

/// The flags byte of an `fse` input: accuracy-log limit (bits 0–2: 5 + value) and alphabet size
/// (bits 3–4: 36, 53, 32 or 256 symbols).
fn fse_limits(flags: u8) -> (u8, usize) {
    (
        5 + (flags & 7),
        [36, 53, 32, 256][usize::from(flags >> 3) & 3],
    )
}

/// Codes `symbols` with two alternating states of `table` and a raw field after each symbol
/// (`raw[i]` in `raw_bits` bits), then decodes them back: must give the same symbols and use the
/// stream up exactly.
fn fse_round_trip(dist: &codec::fse::Distribution, symbols: &[u8], raw: &[u8], raw_bits: u32) {
    use codec::fse::{BitReader, BitWriter, DecodeTable, DecoderState, EncodeTable, EncoderState};
    let n = symbols.len();
    if n < 2 {
        return;
    }
    let enc = EncodeTable::new(dist);
    let mut w = BitWriter::new();
    // State `i & 1` decodes symbol `i`: each starts (encodes backwards from) its last symbol.
    let last = |parity: usize| symbols[if (n - 1) & 1 == parity { n - 1 } else { n - 2 }];
    let mut st = [
        EncoderState::new(&enc, last(0)),
        EncoderState::new(&enc, last(1)),
    ];
    for i in (0..n).rev() {
        w.write(u64::from(raw[i]), raw_bits);
        if i + 2 < n {
            if i & 1 == 0 {
                st[0].encode(&mut w, symbols[i]);
            } else {
                // The batched form: room first, then a field of at most 12 bits.
                w.flush();
                st[1].encode_unflushed(&mut w, symbols[i]);
            }
        }
    }
    let [s0, s1] = st;
    s1.flush(&mut w);
    s0.flush(&mut w);
    let stream = w.finish();

    let dec = DecodeTable::new(dist);
    let mut r = BitReader::new(&stream).expect("own stream has its end marker");
    let mut st = [
        DecoderState::new(&dec, &mut r),
        DecoderState::new(&dec, &mut r),
    ];
    for i in 0..n {
        let s = if i + 2 < n {
            st[i & 1].decode(&mut r)
        } else {
            st[i & 1].symbol()
        };
        assert_eq!(s, symbols[i], "fse round trip: symbol {i} of {n}");
        let mask = (1u64 << raw_bits) - 1;
        assert_eq!(r.read(raw_bits), u64::from(raw[i]) & mask, "raw field {i}");
        r.refill();
    }
    assert!(
        r.is_finished(),
        "fse round trip: {} bits left",
        r.bits_left()
    );
}

/// Input: `[flags][table description][bitstream…]`, flags as in `fse_limits`.
///
/// (1) `Distribution::read` with those limits must not panic; what it accepts must be within the
/// limits, consume no more than the input, be a valid distribution and read back the same from
/// our own description of it. Its tables then decode the bytes after the description as a
/// bitstream with two interleaved states (up to 4096 symbols or until the reader overflows):
/// no panic, only symbols of nonzero probability. The same bytes, mapped onto the present
/// symbols, must round-trip through the table.
/// (2) The bytes after the flags, taken as symbols modulo the alphabet, are normalized at the
/// flags' accuracy log (raised until every symbol fits) and must round-trip with two states and
/// raw fields in between.
pub fn check_fse(input: &[u8]) {
    use codec::fse::{BitReader, DecodeTable, DecoderState, Distribution};
    let Some((&flags, body)) = input.split_first() else {
        return;
    };
    let (max_log, alphabet) = fse_limits(flags);
    if let Ok((dist, used)) = Distribution::read(body, max_log, alphabet) {
        assert!(
            used >= 1 && used <= body.len(),
            "consumed {used} of {}",
            body.len()
        );
        let log = dist.accuracy_log();
        assert!(log <= max_log && usize::from(dist.max_symbol()) < alphabet);
        assert_eq!(
            Distribution::new(dist.probabilities(), log).as_ref(),
            Ok(&dist)
        );
        let mut mine = Vec::new();
        let len = dist.write(&mut mine);
        assert!(len <= used, "own description {len} > {used} bytes");
        assert_eq!(
            Distribution::read(&mine, max_log, alphabet),
            Ok((dist.clone(), len))
        );

        let rest = &body[used..];
        let dec = DecodeTable::new(&dist);
        if let Ok(mut r) = BitReader::new(rest) {
            let mut st = [
                DecoderState::new(&dec, &mut r),
                DecoderState::new(&dec, &mut r),
            ];
            for i in 0..4096 {
                let s = st[i & 1].decode(&mut r);
                assert!(
                    dist.probability(usize::from(s)) != 0,
                    "decoded absent symbol {s}"
                );
                r.refill();
                if r.is_overflowed() {
                    break;
                }
            }
            let _ = r.is_finished();
        }
        let present: Vec<u8> = (0..=dist.max_symbol())
            .filter(|&s| dist.probability(usize::from(s)) != 0)
            .collect();
        let symbols: Vec<u8> = rest
            .iter()
            .map(|&b| present[usize::from(b) % present.len()])
            .collect();
        fse_round_trip(&dist, &symbols, rest, u32::from(flags >> 5));
    }

    let symbols: Vec<u8> = body
        .iter()
        .map(|&b| (usize::from(b) % alphabet) as u8)
        .collect();
    let mut counts = vec![0u32; alphabet];
    for &s in &symbols {
        counts[usize::from(s)] += 1;
    }
    let present = counts.iter().filter(|&&c| c > 0).count();
    if present == 0 {
        return;
    }
    let mut log = max_log;
    while (1usize << log) < present {
        log += 1;
    }
    let dist = Distribution::normalize(&counts, log).expect("counts fit the table");
    fse_round_trip(&dist, &symbols, body, 8);
}

/// Seeds of the `fse` target: the predefined distributions and normalized ones with their coded
/// streams, a single-symbol table, and plain data.
fn fse_seeds() -> Vec<Vec<u8>> {
    use codec::fse::{self, BitWriter, Distribution, EncodeTable, EncoderState};
    let mut out = Vec::new();
    let mut dists = vec![
        Distribution::new(
            &fse::LITERAL_LENGTH_DEFAULT,
            fse::LITERAL_LENGTH_DEFAULT_LOG,
        ),
        Distribution::new(&fse::MATCH_LENGTH_DEFAULT, fse::MATCH_LENGTH_DEFAULT_LOG),
        Distribution::new(&fse::OFFSET_DEFAULT, fse::OFFSET_DEFAULT_LOG),
        Distribution::new(&[0, 0, 0, 512], 9),
    ];
    for (k, log) in [(0u64, 7u8), (1, 9), (2, 12)] {
        let mut counts = [0u32; 256];
        for b in text(2000, 20 + k) {
            counts[usize::from(b)] += 1;
        }
        dists.push(Distribution::normalize(&counts, log));
    }
    for (k, d) in dists.into_iter().enumerate() {
        let d = d.expect("seed distribution");
        let mut input = vec![0x1f | ((k as u8 % 4) << 5)]; // log limit 12, 256 symbols
        d.write(&mut input);
        // A stream that the two decoding states read as symbols: coded symbols of the table.
        let present: Vec<u8> = (0..=d.max_symbol())
            .filter(|&s| d.probability(usize::from(s)) != 0)
            .collect();
        let symbols: Vec<u8> = (0..300)
            .map(|i| present[(i * 7 + i / 5) % present.len()])
            .collect();
        let enc = EncodeTable::new(&d);
        let mut w = BitWriter::new();
        let mut s = EncoderState::new(&enc, symbols[0]);
        for &x in &symbols[1..] {
            s.encode(&mut w, x);
        }
        s.flush(&mut w);
        input.extend(w.finish());
        out.push(input);
    }
    out.push([&[0x07u8][..], &text(500, 30)].concat());
    out.push([&[0x18u8][..], &binary(300, 31)].concat());
    out.push([&[0xe5u8][..], &random(100, 32)].concat());
    out
}
