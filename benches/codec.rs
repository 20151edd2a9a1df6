//! Glyph codec micro-benchmarks: `codec::encode_payload` at levels 1, 3, 6 and 9 (levels ≥ 3 with the
//! Huffman literal stage) and `codec::decode_payload` of the level 1, 3 and 9 payloads, one 4 MiB segment at a time.
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

mod common;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use sigmalang::codec::{self, MatchFinder};
use std::hint::black_box;
use std::time::Duration;

const DEFAULT_BYTES: usize = 4 << 20;
const COMPRESS_LEVELS: [u8; 4] = [1, 3, 6, 9];
const DECOMPRESS_LEVELS: [u8; 3] = [1, 3, 9];

/// The named benchmark inputs.
fn inputs() -> Vec<(String, Vec<u8>)> {
    let len = common::input_len(DEFAULT_BYTES);
    [("bin", "/usr/bin", 1), ("headers", "/usr/include", 2)]
        .into_iter()
        .map(|(name, dir, seed)| match common::concat_files(dir, len) {
            Some(d) => (name.to_string(), d),
            None => {
                eprintln!("codec bench: {dir} gives less than {len} bytes, using generated text");
                (
                    format!("generated-text-for-{name}"),
                    common::generated_text(len, seed),
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
            if codec::encode_payload(data, &mut mf, &mut out).is_some() {
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
                        black_box(codec::encode_payload(black_box(d), &mut mf, &mut out))
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
            let Some(layout) = codec::encode_payload(data, &mut mf, &mut stream) else {
                eprintln!(
                    "codec bench: {name} level {level} is incompressible, no decompress bench"
                );
                continue;
            };
            let mut out = Vec::with_capacity(data.len());
            codec::decode_payload(&stream, layout, &mut out, data.len()).expect("stream decodes");
            assert!(
                out == *data,
                "{name} level {level}: decompress did not round-trip"
            );
            g.bench_with_input(
                BenchmarkId::new(name.as_str(), format!("l{level}")),
                &stream,
                |b, s| {
                    b.iter(|| {
                        codec::decode_payload(black_box(s), layout, &mut out, data.len()).unwrap();
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
