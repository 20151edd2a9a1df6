//! Pipeline benchmarks: `sigmalang::encode` / `sigmalang::decode` of an in-memory stream with 1 MiB
//! segments at 1, 2 and all-CPU threads, next to a "plain loop" baseline that codes the same
//! segments one after another on the calling thread with bare `codec::encode_payload` /
//! `codec::decode_payload` (no thread pool, no channels, no checksums, no framing, no index). The gap
//! between `threads/1` and `plain-loop` is the pipeline's tax on one thread.
//!
//! ```text
//! cargo bench --bench pipeline
//! cargo bench --bench pipeline -- --test    # run every benchmark once (smoke test)
//! SIGMA_BENCH_BYTES=67108864 cargo bench --bench pipeline   # a 64 MiB input
//! ```
//!
//! Input (default 16 MiB, `SIGMA_BENCH_BYTES` to change): half the regular files of /usr/bin, half
//! those under /usr/include, each concatenated in path order; deterministic generated text stands
//! in for a directory that is missing or too small.

mod common;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use sigmalang::codec::{self, MatchFinder};
use sigmalang::{Options, Source};
use std::hint::black_box;
use std::time::Duration;

const SEGMENT: usize = 1 << 20;
const DEFAULT_BYTES: usize = 16 << 20;

fn input() -> Vec<u8> {
    let len = common::input_len(DEFAULT_BYTES);
    let mut data = Vec::with_capacity(len + 64);
    for (dir, n, seed) in [("/usr/bin", len / 2, 1), ("/usr/include", len - len / 2, 2)] {
        match common::concat_files(dir, n) {
            Some(d) => data.extend_from_slice(&d),
            None => {
                eprintln!("pipeline bench: {dir} gives less than {n} bytes, using generated text");
                data.extend_from_slice(&common::generated_text(n, seed));
            }
        }
    }
    data
}

fn thread_counts() -> Vec<usize> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut t = vec![1, 2, cpus];
    t.sort_unstable();
    t.dedup();
    t
}

fn opts(threads: usize) -> Options {
    Options::new().threads(threads).segment_size(SEGMENT as u32)
}

/// The baseline: every segment through bare `compress` on this thread, appended to `out`
/// (a segment that does not shrink is appended raw, as the pipeline stores it).
fn plain_compress(data: &[u8], mf: &mut MatchFinder, out: &mut Vec<u8>) {
    out.clear();
    for seg in data.chunks(SEGMENT) {
        let base = out.len();
        if codec::encode_payload(seg, mf, out).is_none() {
            out.truncate(base);
            out.extend_from_slice(seg);
        }
    }
}

fn bench_encode(c: &mut Criterion) {
    let data = input();
    let mut g = c.benchmark_group("pipeline-encode");
    // A single-thread iteration takes ~0.15 s: flat sampling needs sample_size iterations where
    // linear sampling needs 55.
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Bytes(data.len() as u64));
    let mut out = Vec::with_capacity(data.len() + data.len() / 8);
    for t in thread_counts() {
        let o = opts(t);
        g.bench_with_input(BenchmarkId::new("threads", t), &data, |b, d| {
            b.iter(|| {
                out.clear();
                sigmalang::encode(Source::Reader(&mut &d[..]), &mut out, &o, None).unwrap();
                black_box(out.len())
            })
        });
    }
    let mut mf = MatchFinder::new(codec::DEFAULT_LEVEL);
    g.bench_with_input(BenchmarkId::new("plain-loop", 1), &data, |b, d| {
        b.iter(|| {
            plain_compress(black_box(d), &mut mf, &mut out);
            black_box(out.len())
        })
    });
    g.finish();
}

fn bench_decode(c: &mut Criterion) {
    let data = input();
    let mut encoded = Vec::new();
    sigmalang::encode(Source::Reader(&mut &data[..]), &mut encoded, &opts(0), None).unwrap();
    eprintln!(
        "pipeline bench: {} -> {} bytes, ratio {:.3}, {} segments of {SEGMENT} bytes",
        data.len(),
        encoded.len(),
        data.len() as f64 / encoded.len() as f64,
        data.len().div_ceil(SEGMENT)
    );
    let mut g = c.benchmark_group("pipeline-decode");
    g.throughput(Throughput::Bytes(data.len() as u64));
    let mut out = Vec::with_capacity(data.len());
    for t in thread_counts() {
        let o = opts(t);
        out.clear();
        sigmalang::decode(Source::Reader(&mut &encoded[..]), &mut out, &o, None).unwrap();
        assert!(out == data, "decode with {t} threads did not round-trip");
        g.bench_with_input(BenchmarkId::new("threads", t), &encoded, |b, e| {
            b.iter(|| {
                out.clear();
                sigmalang::decode(Source::Reader(&mut &e[..]), &mut out, &o, None).unwrap();
                black_box(out.len())
            })
        });
    }

    // Baseline: the same segments as bare glyph streams (None = stored raw), decoded in a loop.
    let mut mf = MatchFinder::new(codec::DEFAULT_LEVEL);
    /// A segment's payload and layout (`None`: stored raw), and its raw bytes.
    type Encoded<'a> = (Option<(codec::Layout, Vec<u8>)>, &'a [u8]);
    let streams: Vec<Encoded> = data
        .chunks(SEGMENT)
        .map(|seg| {
            let mut s = Vec::new();
            (
                codec::encode_payload(seg, &mut mf, &mut s).map(|l| (l, s)),
                seg,
            )
        })
        .collect();
    let mut scratch = Vec::with_capacity(SEGMENT);
    g.bench_function(BenchmarkId::new("plain-loop", 1), |b| {
        b.iter(|| {
            out.clear();
            for (stream, raw) in &streams {
                match stream {
                    Some((layout, s)) => {
                        codec::decode_payload(black_box(s), *layout, &mut scratch, raw.len())
                            .unwrap();
                        out.extend_from_slice(&scratch);
                    }
                    None => out.extend_from_slice(raw),
                }
            }
            black_box(out.len())
        })
    });
    assert!(
        out == data || out.is_empty(),
        "plain-loop decode did not round-trip"
    );
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_encode, bench_decode
}
criterion_main!(benches);
