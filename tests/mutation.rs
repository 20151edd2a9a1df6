//! Hostile input: thousands of seeded random mutations of small valid streams must each decode
//! to an error or to exactly the original data, through every decoder, and never panic, hang or
//! allocate far beyond what the bytes present justify.
//!
//! Shares its data generators, check-value fix-ups and decode checks with the fuzz targets
//! (`fuzz/src/lib.rs`).

#[path = "../fuzz/src/lib.rs"]
mod fuzz;

use fuzz::{decode_all, encode, fix_stream_checks, Paths, Rng};
use sigmalang::format::{
    FileHeader, Footer, Index, SegmentHeader, FILE_HEADER_LEN, FOOTER_LEN, INDEX_ENTRY_LEN,
    INDEX_FIXED_LEN, MAX_SEGMENT_SIZE, SEGMENT_HEADER_LEN,
};
use sigmalang::{Decoder, Options, Source};
use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// The originals: text-like, binary-like, runs, empty, and one whose first segment is STORED,
/// each at levels 1, 3 and 9 with 4096-byte segments, as this build writes them (format version
/// 4: plain glyph streams at level 1, the sequences layout at 3 and 9).
fn corpus() -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let mut stored = fuzz::random(4096, 21);
    stored.extend(fuzz::text(1500, 22));
    let inputs = [
        ("text", fuzz::text(7000, 11)),
        ("binary", fuzz::binary(6000, 12)),
        ("runs", fuzz::runs(5000, 13)),
        ("empty", Vec::new()),
        ("stored", stored),
    ];
    let mut out = Vec::new();
    for (name, data) in inputs {
        for level in [1u8, 3, 9] {
            let enc = encode(&data, level);
            out.push((format!("{name}@{level}"), data.clone(), enc));
        }
    }
    // Every layout this build writes is among them.
    let mut flags = std::collections::BTreeSet::new();
    for (_, _, enc) in &out {
        assert_eq!(enc[4], sigmalang::format::VERSION);
        let mut at = FILE_HEADER_LEN;
        while enc[at..at + 4] == sigmalang::format::SEGMENT_MAGIC {
            flags.insert(enc[at + 8]);
            at += SEGMENT_HEADER_LEN
                + u32::from_le_bytes(enc[at + 16..at + 20].try_into().unwrap()) as usize;
        }
    }
    assert_eq!(flags.into_iter().collect::<Vec<_>>(), [0, 1, 8], "layouts");
    out
}

/// Little-endian 32-bit values that sit on the edges of the format's limits.
const INTERESTING: [u32; 10] = [
    0,
    1,
    35,
    36,
    4095,
    4096,
    4097,
    0x7fff_ffff,
    0xffff_ffff,
    MAX_SEGMENT_SIZE,
];

/// Applies one random mutation to `s`; returns its name (for failure messages).
fn mutate(r: &mut Rng, s: &mut Vec<u8>) -> &'static str {
    let len = s.len();
    // Positions and lengths are drawn so that empty and tiny inputs are handled too.
    let pos = |r: &mut Rng, n: usize| if n == 0 { 0 } else { r.below(n) };
    match r.below(8) {
        0 => {
            for _ in 0..1 + r.below(8) {
                if len > 0 {
                    let i = r.below(len);
                    s[i] ^= 1 << r.below(8);
                }
            }
            "flip bits"
        }
        1 => {
            for _ in 0..1 + r.below(4) {
                if len > 0 {
                    let i = r.below(len);
                    s[i] = r.byte();
                }
            }
            "overwrite bytes"
        }
        2 => {
            let at = pos(r, len + 1);
            let n = 1 + r.below(16);
            let bytes: Vec<u8> = (0..n).map(|_| r.byte()).collect();
            s.splice(at..at, bytes);
            "insert bytes"
        }
        3 => {
            let at = pos(r, len);
            let n = (1 + r.below(64)).min(len - at.min(len));
            s.drain(at..at + n);
            "delete range"
        }
        4 => {
            let a = pos(r, len);
            let n = (1 + r.below(128)).min(len - a.min(len));
            let piece = s[a..a + n].to_vec();
            let b = pos(r, len + 1);
            s.splice(b..b, piece);
            "duplicate range"
        }
        5 => {
            let at = pos(r, len);
            s.truncate(at);
            "truncate"
        }
        6 => {
            if len >= 2 {
                let n = 1 + r.below((len / 2).min(64));
                let a = r.below(len - 2 * n + 1);
                let b = a + n + r.below(len - a - 2 * n + 1);
                let first = s[a..a + n].to_vec();
                s.copy_within(b..b + n, a);
                s[b..b + n].copy_from_slice(&first);
            }
            "swap ranges"
        }
        _ => {
            if len >= 4 {
                let at = r.below(len - 3);
                let v = INTERESTING[r.below(INTERESTING.len())];
                s[at..at + 4].copy_from_slice(&v.to_le_bytes());
            }
            "interesting u32"
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn originals_decode_exactly() {
    for (name, data, enc) in corpus() {
        for chunk in [0, 1, 5, 4096] {
            let mut out = Vec::new();
            Decoder::new(fuzz::ChunkReader::new(&enc, chunk))
                .read_to_end(&mut out)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(out == data, "{name}: Decoder output differs");
        }
        let mut out = Vec::new();
        let opts = Options::new().threads(1);
        sigmalang::decode(Source::Reader(&mut &enc[..]), &mut out, &opts, None)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(out == data, "{name}: decode output differs");
    }
    // The corpus covers a STORED segment and coded ones.
    let stored = &corpus()[12].2;
    let h: &[u8; 36] = stored[16..52].try_into().unwrap();
    assert!(SegmentHeader::parse(h, 16, 4096, None).unwrap().stored());
}

/// 5000 mutated streams (1–3 mutations each, half of them with check values recomputed so that
/// the damage reaches the layout and glyph checks) through `decode(Source::Reader)` and
/// `Decoder`: each must be an error or exactly the original. Four threads, each with its own
/// seed, overlap the pipeline's thread start-up and shutdown.
#[test]
fn random_mutations_are_rejected_or_exact() {
    const TOTAL: usize = 5000;
    const THREADS: usize = 4;
    let corpus = corpus();
    let start = Instant::now();
    let fixed_ok = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|ts| {
        for t in 0..THREADS {
            let corpus = &corpus;
            let fixed_ok = &fixed_ok;
            ts.spawn(move || {
                let mut r = Rng::new(0x5eed_0000 + t as u64);
                for k in 0..TOTAL / THREADS {
                    let (name, data, enc) = &corpus[r.below(corpus.len())];
                    let mut s = enc.clone();
                    let mut what = Vec::new();
                    for _ in 0..1 + r.below(3) {
                        what.push(mutate(&mut r, &mut s));
                    }
                    let fix = r.below(2) == 0;
                    if fix {
                        fix_stream_checks(&mut s);
                    }
                    let chunk = [0, 1, 3, 36, 4096][r.below(5)];
                    let res = catch_unwind(AssertUnwindSafe(|| {
                        decode_all(
                            &s,
                            data,
                            chunk,
                            1,
                            Paths {
                                decoder: true,
                                reader: true,
                                file: false,
                            },
                        )
                    }));
                    if let Err(p) = res {
                        let msg = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        panic!(
                            "thread {t} case {k}: {name} after {what:?} (fix-up {fix}, reads of \
                             {chunk}): {msg}\nstream: {}",
                            hex(&s)
                        );
                    }
                    if fix && s != *enc {
                        let mut out = Vec::new();
                        if Decoder::new(&s[..]).read_to_end(&mut out).is_ok() {
                            fixed_ok.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    let took = start.elapsed();
    eprintln!(
        "{TOTAL} mutations in {took:?} ({} changed, fixed-up streams still decoded exactly)",
        fixed_ok.into_inner()
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

/// A file header that claims 256 MiB segments and a segment header that claims 256 MiB of raw
/// data backed by a handful of bytes: every decoder must fail, and fast.
#[test]
fn huge_claims_fail_fast() {
    const MAX: u32 = MAX_SEGMENT_SIZE;
    let fh = FileHeader::new(3, MAX).to_bytes();
    let seg = |flags: u8, raw_len: u32, enc_len: u32, payload: &[u8]| {
        let h = SegmentHeader {
            ordinal: 0,
            flags,
            raw_len,
            enc_len,
            raw_hash: 0x1234,
            payload_hash: sigmalang::format::payload_hash(payload),
        };
        [&fh[..], &h.to_bytes(), payload].concat()
    };
    // A COMPOSITE glyph that legitimately expands 7 bytes to 256 MiB (then fails the raw hash).
    let mut expand = vec![0xcf];
    let mut x = u64::from(MAX) - 19;
    while x >= 0x80 {
        expand.push(x as u8 | 0x80);
        x >>= 7;
    }
    expand.push(x as u8);
    expand.push(b'z');
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("coded, payload cut short", seg(0, MAX, MAX - 1, b"tiny")),
        ("stored, payload cut short", seg(1, MAX, MAX, b"tiny")),
        (
            "coded, complete tiny payload",
            seg(0, MAX, 4, &[0x01, b'a', 0x01, b'b']),
        ),
        (
            "coded, 7 bytes expanding to 256 MiB",
            seg(0, MAX, expand.len() as u32, &expand),
        ),
        ("header only", fh.to_vec()),
    ];
    for (what, stream) in cases {
        let t = Instant::now();
        let mut out = Vec::new();
        assert!(
            Decoder::new(&stream[..]).read_to_end(&mut out).is_err(),
            "{what}: Decoder"
        );
        let mut out = Vec::new();
        let opts = Options::new().threads(1);
        assert!(
            sigmalang::decode(Source::Reader(&mut &stream[..]), &mut out, &opts, None).is_err(),
            "{what}: decode(Reader)"
        );
        let took = t.elapsed();
        assert!(took < Duration::from_secs(5), "{what}: took {took:?}");
    }
}

/// A footer claiming as many segments as the (claimed) file length allows: `Index::read_at`
/// must reject it without reading more than the index the bytes can hold.
#[test]
fn index_claims_bounded_by_file_length() {
    // A real 1 MiB file: header, 1 MiB - 72 bytes of zeros, footer claiming a full index.
    let len: u64 = 1 << 20;
    let file = sparse_index_file(len);
    let t = Instant::now();
    let biggest = std::cell::Cell::new(0usize);
    let read_at = |buf: &mut [u8], at: u64| -> io::Result<()> {
        biggest.set(biggest.get().max(buf.len()));
        let at = at as usize;
        buf.copy_from_slice(&file[at..at + buf.len()]);
        Ok(())
    };
    assert!(Index::read_at(&read_at, len).is_err());
    assert!(t.elapsed() < Duration::from_secs(5));
}

/// The file [`index_claims_bounded_by_file_length`] and the sparse-file test read: a valid file
/// header, zeros, and a valid footer whose segment count makes the index fill the whole file.
fn sparse_index_file(len: u64) -> Vec<u8> {
    let mut v = vec![0u8; len as usize];
    let (fh, foot) = header_and_footer(len);
    v[..FILE_HEADER_LEN].copy_from_slice(&fh);
    v[len as usize - FOOTER_LEN..].copy_from_slice(&foot);
    v
}

fn header_and_footer(len: u64) -> ([u8; FILE_HEADER_LEN], [u8; FOOTER_LEN]) {
    let seg = 4096u64;
    let foot_at = len - FOOTER_LEN as u64;
    let n = (foot_at - FILE_HEADER_LEN as u64 - INDEX_FIXED_LEN as u64) / INDEX_ENTRY_LEN as u64;
    let index_offset = foot_at - INDEX_FIXED_LEN as u64 - n * INDEX_ENTRY_LEN as u64;
    let fh = FileHeader::new(3, seg as u32).to_bytes();
    let foot = Footer {
        segments: n,
        raw_len: n * seg,
        index_offset,
        stream_hash: 0,
    }
    .to_bytes();
    (fh, foot)
}

/// A file that claims (through its length) a 1 GiB index but holds only a header and a footer,
/// like a sparse file: `Index::read_at` must reject it without a read (and an allocation) of
/// the whole claimed index.
#[test]
fn sparse_file_index_is_not_read_in_one_piece() {
    let len: u64 = 1 << 30;
    let (fh, foot) = header_and_footer(len);
    let biggest = std::cell::Cell::new(0usize);
    let read_at = |buf: &mut [u8], at: u64| -> io::Result<()> {
        biggest.set(biggest.get().max(buf.len()));
        buf.fill(0);
        let end = at + buf.len() as u64;
        if at == 0 {
            buf[..FILE_HEADER_LEN].copy_from_slice(&fh);
        }
        if end == len {
            let n = buf.len();
            buf[n - FOOTER_LEN..].copy_from_slice(&foot);
        }
        Ok(())
    };
    assert!(Index::read_at(&read_at, len).is_err());
    assert!(
        biggest.get() <= 16 << 20,
        "Index::read_at asked for one read of {} bytes",
        biggest.get()
    );
}
