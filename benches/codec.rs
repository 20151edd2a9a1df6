//! Glyph codec micro-benchmarks: `codec::compress` at levels 1, 3, 6 and 9 and `codec::decompress`
//! of the level 1, 3 and 9 streams, one 4 MiB segment at a time (the default segment size).
//!
//! ```text
//! cargo bench --bench codec                 # all
//! cargo bench --bench codec -- compress/bin # a filter
//! cargo bench --bench codec -- --test       # run every benchmark once (smoke test)
//! SIGMA_BENCH_BYTES=1048576 cargo bench --bench codec   # smaller inputs
//! ```
//!
//! Inputs are real files of this machine, so numbers compare across commits on one machine only:
//!
//! * `bin`: the regular files of /usr/bin in name order, concatenated (ELF executables, scripts);
//! * `headers`: the files under /usr/include in path order, concatenated (C/C++ headers).
//!
//! Each is cut to `SIGMA_BENCH_BYTES` (default 4 MiB). Where a directory is missing or too small the
//! input is replaced by deterministic generated text and named `generated-text-for-<name>`, so it
//! can't be confused with the real one in reports. The compression ratio of each input and level
//! is printed to stderr once.

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use sigmalang::codec::{self, MatchFinder};
use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

const DEFAULT_BYTES: usize = 4 << 20;
const COMPRESS_LEVELS: [u8; 4] = [1, 3, 6, 9];
const DECOMPRESS_LEVELS: [u8; 3] = [1, 3, 9];

/// Input size from `SIGMA_BENCH_BYTES`, or 4 MiB.
fn input_len() -> usize {
    std::env::var("SIGMA_BENCH_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(DEFAULT_BYTES)
}

/// Regular files under `dir` (recursively, no symlinks) in path order.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            files_under(&e.path(), out);
        } else if ft.is_file() {
            out.push(e.path());
        }
    }
}

/// The first `len` bytes of the files under `dir` concatenated, or `None` if there are fewer.
fn concat_files(dir: &str, len: usize) -> Option<Vec<u8>> {
    let mut paths = Vec::new();
    files_under(Path::new(dir), &mut paths);
    let mut data = Vec::with_capacity(len);
    for p in paths {
        if data.len() >= len {
            break;
        }
        if let Ok(bytes) = fs::read(&p) {
            data.extend_from_slice(&bytes[..bytes.len().min(len - data.len())]);
        }
    }
    (data.len() >= len).then_some(data)
}

/// Deterministic English-like text with a skewed word distribution (xorshift, fixed seed).
fn generated_text(len: usize, seed: u64) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "the",
        "of",
        "segment",
        "and",
        "to",
        "a",
        "in",
        "glyph",
        "is",
        "stream",
        "for",
        "that",
        "parallel",
        "with",
        "encoder",
        "as",
        "window",
        "on",
        "memory",
        "be",
        "offset",
        "by",
        "decode",
        "this",
        "reference",
        "at",
        "thread",
        "from",
        "checksum",
        "or",
        "index",
        "error",
    ];
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = Vec::with_capacity(len + 16);
    let mut line = 0;
    while out.len() < len {
        let r = next();
        // Squaring a uniform index favours the first words (Zipf-like).
        let u = (r % 1024) as usize;
        out.extend_from_slice(WORDS[u * u * WORDS.len() / (1024 * 1024)].as_bytes());
        line += 1;
        if line % 12 == 0 {
            out.extend_from_slice(format!(" {}\n", r % 100_000).as_bytes());
        } else {
            out.push(b' ');
        }
    }
    out.truncate(len);
    out
}

/// The named benchmark inputs.
fn inputs() -> Vec<(String, Vec<u8>)> {
    let len = input_len();
    [("bin", "/usr/bin", 1), ("headers", "/usr/include", 2)]
        .into_iter()
        .map(|(name, dir, seed)| match concat_files(dir, len) {
            Some(d) => (name.to_string(), d),
            None => {
                eprintln!("codec bench: {dir} gives less than {len} bytes, using generated text");
                (
                    format!("generated-text-for-{name}"),
                    generated_text(len, seed),
                )
            }
        })
        .collect()
}

fn bench_compress(c: &mut Criterion) {
    let inputs = inputs();
    let mut g = c.benchmark_group("compress");
    // One slow iteration per sample (level 9 takes ~0.5 s per segment): flat sampling keeps the
    // run to sample_size iterations instead of the 55 that linear sampling needs.
    g.sampling_mode(SamplingMode::Flat);
    for (name, data) in &inputs {
        g.throughput(Throughput::Bytes(data.len() as u64));
        for level in COMPRESS_LEVELS {
            let mut mf = MatchFinder::new(level);
            let mut out = Vec::with_capacity(codec::compressed_bound(data.len()));
            if codec::compress(data, &mut mf, &mut out) {
                eprintln!(
                    "codec bench: {name} level {level}: {} -> {} bytes, ratio {:.3}",
                    data.len(),
                    out.len(),
                    data.len() as f64 / out.len() as f64,
                );
            } else {
                eprintln!("codec bench: {name} level {level}: incompressible (stored raw)");
            }
            // Level 9 needs ~0.45 s per 4 MiB: give its 10 samples the time they need.
            g.measurement_time(Duration::from_secs(if level >= 9 { 6 } else { 3 }));
            g.bench_with_input(
                BenchmarkId::new(name.as_str(), format!("l{level}")),
                data,
                |b, d| {
                    b.iter(|| {
                        out.clear();
                        black_box(codec::compress(black_box(d), &mut mf, &mut out))
                    })
                },
            );
        }
    }
    g.finish();
}

fn bench_decompress(c: &mut Criterion) {
    let inputs = inputs();
    let mut g = c.benchmark_group("decompress");
    for (name, data) in &inputs {
        g.throughput(Throughput::Bytes(data.len() as u64));
        for level in DECOMPRESS_LEVELS {
            let mut mf = MatchFinder::new(level);
            let mut stream = Vec::new();
            if !codec::compress(data, &mut mf, &mut stream) {
                eprintln!(
                    "codec bench: {name} level {level} is incompressible, no decompress bench"
                );
                continue;
            }
            let mut out = Vec::with_capacity(data.len());
            codec::decompress(&stream, &mut out, data.len()).expect("stream decodes");
            assert!(
                out == *data,
                "{name} level {level}: decompress did not round-trip"
            );
            g.bench_with_input(
                BenchmarkId::new(name.as_str(), format!("l{level}")),
                &stream,
                |b, s| {
                    b.iter(|| {
                        codec::decompress(black_box(s), &mut out, data.len()).unwrap();
                        black_box(out.len())
                    })
                },
            );
        }
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_compress, bench_decompress
}
criterion_main!(benches);
