//! `sigma bench`: what the parallel encoder buys on this machine. Encodes and decodes INPUT at each
//! thread count, through the real file pipeline and in memory, next to a plain single-thread loop
//! over the same segments (the pipeline-tax baseline), and prints MB/s, speed-up, parallel
//! efficiency, ratio and peak RSS.

use anyhow::Context;
use clap::Args;
use sigmalang::codec::{self, MatchFinder};
use sigmalang::{Options, Source};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct BenchArgs {
    /// File to benchmark with (the in-memory runs use its first 1 GiB).
    input: PathBuf,
    /// Thread counts, e.g. 1,2,4,8 (default: 1, powers of two, and all cores).
    #[arg(short = 'T', long, value_delimiter = ',', value_parser = crate::args::parse_threads)]
    threads: Vec<usize>,
    /// Compression level.
    #[arg(short, long, default_value_t = codec::DEFAULT_LEVEL, value_parser = clap::value_parser!(u8).range(1..=9))]
    level: u8,
    /// Segment size (bytes, K/M suffix allowed) [default: 4M, 16M at levels 8-9].
    #[arg(long, value_parser = crate::units::parse_size)]
    segment_size: Option<u64>,
    /// Runs per measurement; the median is reported (`--json` also gives the fastest).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Debug)]
struct Row {
    mode: &'static str,
    threads: usize,
    /// Seconds per run, encode and decode: the median and the fastest of the runs.
    enc_s: Secs,
    dec_s: Secs,
    raw: u64,
    encoded: u64,
    rss: Option<u64>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// A measurement's seconds per run: the median (the tables' figure) and the fastest run (what
/// `zstd -b` and `lz4 -b` report, for comparisons with them).
#[derive(Clone, Copy, Debug)]
struct Secs {
    median: f64,
    best: f64,
}

impl Secs {
    fn of(times: &[f64]) -> Secs {
        Secs {
            median: median(times.to_vec()),
            best: times.iter().copied().fold(f64::INFINITY, f64::min),
        }
    }
}

/// Resets the kernel's peak-RSS mark (Linux: `5 > /proc/self/clear_refs`) so each run's peak is its
/// own. Returns false where that is not possible.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn time<T>(repeat: usize, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<(Secs, T)> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        last = Some(f()?);
        times.push(t.elapsed().as_secs_f64());
    }
    Ok((Secs::of(&times), last.expect("ran at least once")))
}

pub fn run(a: BenchArgs) -> anyhow::Result<()> {
    let cores = num_cpus::get();
    let mut threads = a.threads.clone();
    if threads.is_empty() {
        let mut t = 1;
        while t < cores {
            threads.push(t);
            t *= 2;
        }
        threads.push(cores);
    }
    if threads.contains(&0) {
        anyhow::bail!("thread counts must be at least 1");
    }
    let seg = match a.segment_size {
        Some(s) => u32::try_from(s).context("segment size too large")?,
        None => sigmalang::default_segment_size(a.level),
    };
    let base = Options::new().level(a.level).segment_size(seg);
    base.validate()?;
    let name = a.input.display().to_string();
    let input = File::open(&a.input).with_context(|| format!("{name}: cannot open"))?;
    let len = input.metadata()?.len();
    let tmp = tempfile::NamedTempFile::new_in(std::env::temp_dir()).context("temporary file")?;
    let can_reset = reset_peak();
    let mut rows = Vec::new();

    // The real file pipeline first, before the in-memory copy exists, so its peak RSS is its own.
    for &t in &threads {
        let opts = base.clone().threads(t);
        reset_peak();
        let (enc_s, enc_stats) = time(a.repeat, || {
            let mut w = BufWriter::with_capacity(1 << 20, File::create(tmp.path())?);
            let s = sigmalang::encode(Source::File(&input), &mut w, &opts, None)?;
            w.flush()?;
            Ok(s)
        })?;
        let enc_file = File::open(tmp.path())?;
        let (dec_s, _) = time(a.repeat, || {
            Ok(sigmalang::decode(
                Source::File(&enc_file),
                &mut std::io::sink(),
                &opts,
                None,
            )?)
        })?;
        let rss = if can_reset {
            sigmalang::stats::peak_rss()
        } else {
            None
        };
        rows.push(Row {
            mode: "file",
            threads: t,
            enc_s,
            dec_s,
            raw: len,
            encoded: enc_stats.bytes_out,
            rss,
        });
    }

    let mut data = Vec::new();
    input.take(1 << 30).read_to_end(&mut data)?;
    let raw = data.len() as u64;
    // Plain loop: the codec and the segment checksums over the same segments on this thread, with
    // no pipeline (the same work a worker does, so the difference is the pipeline's machinery).
    // It runs in alternation with the in-memory pipeline at -T1, round by round, so that the
    // pipeline tax is a median of side-by-side ratios: this machine's speed drifts by tens of
    // percent over a minute, which a ratio of two separately taken medians would pick up.
    let mut mf = MatchFinder::new(a.level);
    let mut out = Vec::new();
    let mut encoded: Vec<(usize, Option<codec::Layout>, Vec<u8>)> = Vec::new();
    let mut dec = Vec::new();
    let reps = a.repeat.max(1);
    let t1 = threads.contains(&1).then(|| base.clone().threads(1));
    let mut enc1 = Vec::with_capacity(data.len() / 2);
    let (loop_e, mem_e) = alternate(
        reps,
        || Ok(loop_encode(&data, seg, &mut mf, &mut out, &mut encoded)),
        t1.as_ref().map(|o| || mem_encode(&data, o, &mut enc1)),
    )?;
    let (loop_d, mem_d) = alternate(
        reps,
        || loop_decode(&encoded, &mut dec),
        t1.as_ref().map(|o| || mem_decode(&enc1, o)),
    )?;
    // Pipeline speed / loop speed, per round.
    let ratios = |l: &[f64], m: &[f64]| median(l.iter().zip(m).map(|(l, m)| l / m).collect());
    let tax = t1
        .is_some()
        .then(|| (ratios(&loop_e, &mem_e), ratios(&loop_d, &mem_d)));
    let loop_bytes: u64 = encoded
        .iter()
        .map(|(n, l, e)| if l.is_none() { *n } else { e.len() } as u64)
        .sum();
    rows.push(Row {
        mode: "loop",
        threads: 1,
        enc_s: Secs::of(&loop_e),
        dec_s: Secs::of(&loop_d),
        raw,
        encoded: loop_bytes,
        rss: None,
    });
    for &t in &threads {
        let (enc_s, dec_s, encoded) = if t == 1 {
            (Secs::of(&mem_e), Secs::of(&mem_d), enc1.len())
        } else {
            let opts = base.clone().threads(t);
            let mut enc = Vec::with_capacity(data.len() / 2);
            let (enc_s, _) = time(reps, || mem_encode(&data, &opts, &mut enc))?;
            let (dec_s, _) = time(reps, || mem_decode(&enc, &opts))?;
            (enc_s, dec_s, enc.len())
        };
        rows.push(Row {
            mode: "memory",
            threads: t,
            enc_s,
            dec_s,
            raw,
            encoded: encoded as u64,
            rss: None,
        });
    }
    print(&a, &name, cores, seg, &rows, tax)
}

/// Runs `a`, and `b` when there is one, `reps` times each, round by round, alternating which goes
/// first; returns their times in seconds.
fn alternate(
    reps: usize,
    mut a: impl FnMut() -> anyhow::Result<f64>,
    mut b: Option<impl FnMut() -> anyhow::Result<f64>>,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for r in 0..reps {
        let b_first = r % 2 == 1;
        if let (Some(b), true) = (&mut b, b_first) {
            tb.push(b()?);
        }
        ta.push(a()?);
        if let (Some(b), false) = (&mut b, b_first) {
            tb.push(b()?);
        }
    }
    Ok((ta, tb))
}

/// One pass of the plain loop's encode over `data`'s segments, keeping each payload in `encoded`;
/// returns its seconds.
fn loop_encode(
    data: &[u8],
    seg: u32,
    mf: &mut MatchFinder,
    out: &mut Vec<u8>,
    encoded: &mut Vec<(usize, Option<codec::Layout>, Vec<u8>)>,
) -> f64 {
    let t = Instant::now();
    encoded.clear();
    for chunk in data.chunks(seg as usize) {
        out.clear();
        let layout = codec::encode_payload(chunk, mf, out);
        std::hint::black_box((
            sigmalang::format::raw_hash(chunk),
            sigmalang::format::payload_hash(out),
        ));
        encoded.push((
            chunk.len(),
            layout,
            if layout.is_some() {
                out.clone()
            } else {
                Vec::new()
            },
        ));
    }
    t.elapsed().as_secs_f64()
}

/// One pass of the plain loop's decode of `encoded`; returns its seconds.
fn loop_decode(
    encoded: &[(usize, Option<codec::Layout>, Vec<u8>)],
    dec: &mut Vec<u8>,
) -> anyhow::Result<f64> {
    let t = Instant::now();
    for (n, l, e) in encoded {
        if let Some(layout) = l {
            std::hint::black_box(sigmalang::format::payload_hash(e));
            codec::decode_payload(e, *layout, dec, *n)?;
            std::hint::black_box(sigmalang::format::raw_hash(dec));
        }
    }
    Ok(t.elapsed().as_secs_f64())
}

/// The in-memory pipeline's encode of `data` into `enc`; returns its seconds.
fn mem_encode(data: &[u8], opts: &Options, enc: &mut Vec<u8>) -> anyhow::Result<f64> {
    let t = Instant::now();
    enc.clear();
    sigmalang::encode(Source::Reader(&mut &data[..]), enc, opts, None)?;
    Ok(t.elapsed().as_secs_f64())
}

/// The in-memory pipeline's decode of `enc`; returns its seconds.
fn mem_decode(enc: &[u8], opts: &Options) -> anyhow::Result<f64> {
    let t = Instant::now();
    sigmalang::decode(
        Source::Reader(&mut &enc[..]),
        &mut std::io::sink(),
        opts,
        None,
    )?;
    Ok(t.elapsed().as_secs_f64())
}

fn mbs(bytes: u64, s: f64) -> f64 {
    if s > 0.0 {
        bytes as f64 / 1e6 / s
    } else {
        0.0
    }
}

/// `tax`: the in-memory pipeline's -T1 speed over the plain loop's, encode and decode (medians of
/// alternating rounds), when -T1 was measured.
fn print(
    a: &BenchArgs,
    name: &str,
    cores: usize,
    seg: u32,
    rows: &[Row],
    tax: Option<(f64, f64)>,
) -> anyhow::Result<()> {
    let base_of = |mode: &str| {
        rows.iter()
            .find(|r| r.mode == mode && r.threads == 1)
            .or_else(|| rows.iter().find(|r| r.mode == mode))
    };
    // Speed-up against the same mode's single-thread run; efficiency = speed-up / thread ratio.
    let figures: Vec<_> = rows
        .iter()
        .map(|r| {
            let b = base_of(r.mode).expect("a row's own mode exists");
            let scale = r.threads as f64 / b.threads as f64;
            let (es, ds) = (
                b.enc_s.median / r.enc_s.median,
                b.dec_s.median / r.dec_s.median,
            );
            (
                r,
                mbs(r.raw, r.enc_s.median),
                es,
                es / scale,
                mbs(r.raw, r.dec_s.median),
                ds,
                ds / scale,
            )
        })
        .collect();
    let (tax, dec_tax) = (tax.map(|t| t.0), tax.map(|t| t.1));
    if a.json {
        let results: Vec<_> = figures
            .iter()
            .map(|(r, e, es, ee, d, ds, de)| {
                serde_json::json!({
                    "mode": r.mode, "threads": r.threads, "encode_mb_s": e, "encode_speedup": es,
                    "encode_efficiency": ee, "decode_mb_s": d, "decode_speedup": ds, "decode_efficiency": de,
                    "encode_mb_s_best": mbs(r.raw, r.enc_s.best),
                    "decode_mb_s_best": mbs(r.raw, r.dec_s.best),
                    "raw_bytes": r.raw, "encoded_bytes": r.encoded,
                    "ratio": r.raw as f64 / r.encoded.max(1) as f64, "peak_rss_bytes": r.rss,
                })
            })
            .collect();
        let v = serde_json::json!({
            "input": name, "level": a.level, "segment_size": seg, "cores": cores, "repeat": a.repeat,
            "pipeline_t1_vs_loop": tax, "pipeline_t1_vs_loop_decode": dec_tax, "results": results,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "sigma bench: {name}, level {}, segment size {seg}, {cores} cores, median of {} runs",
        a.level, a.repeat
    );
    println!("| mode   | threads | encode MB/s | speed-up | efficiency | decode MB/s | speed-up | efficiency | ratio | peak RSS |");
    println!("|--------|--------:|------------:|---------:|-----------:|------------:|---------:|-----------:|------:|---------:|");
    for (r, e, es, ee, d, ds, de) in &figures {
        let rss = r.rss.map_or("-".to_string(), |b| {
            format!("{:.1} MiB", b as f64 / (1 << 20) as f64)
        });
        println!(
            "| {:<6} | {:>7} | {e:>11.1} | {es:>7.2}× | {:>9.0}% | {d:>11.1} | {ds:>7.2}× | {:>9.0}% | {:>5.3} | {rss:>8} |",
            r.mode,
            r.threads,
            ee * 100.0,
            de * 100.0,
            r.raw as f64 / r.encoded.max(1) as f64
        );
    }
    println!("file: the real pipeline from and to files; memory: the pipeline over an in-memory copy (first 1 GiB);");
    println!(
        "loop: the codec and segment checksums over the same segments on one thread, no pipeline."
    );
    if let Some(t) = tax {
        println!(
            "pipeline at -T1 runs at {:.1}% of the plain loop's encode speed (median of {} \
             rounds, the two alternating)",
            t * 100.0,
            a.repeat.max(1)
        );
    }
    if let Some(t) = dec_tax {
        println!(
            "pipeline at -T1 runs at {:.1}% of the plain loop's decode speed (median of {} \
             rounds, the two alternating)",
            t * 100.0,
            a.repeat.max(1)
        );
    }
    Ok(())
}
