//! The end-of-run report on stderr: one summary line per file (unless `-q`), the details with
//! `-v`, or one JSON object with `--stats json`.

use crate::args::Common;
use crate::units::{count, human, mib_per_s};
use sigmalang::Stats;

/// What a run did to one file.
pub struct Run<'a> {
    pub cmd: &'a str,
    pub name: &'a str,
    pub stats: &'a Stats,
    /// Original bytes and encoded bytes (for the ratio).
    pub raw: u64,
    pub encoded: u64,
    /// What the summary line says after the name, e.g. "OK".
    pub verdict: Option<&'a str>,
}

/// Prints `run`'s report as `common` asks.
pub fn print(run: &Run<'_>, common: &Common) {
    if common.stats.is_some() {
        eprintln!(
            "{}",
            stats_json(run.cmd, run.name, run.stats, run.raw, run.encoded)
        );
        return;
    }
    if common.quiet {
        return;
    }
    let s = run.stats;
    let secs = s.wall.as_secs_f64();
    eprintln!(
        "{}: {}{} → {} ({:.3}× ratio), {}, {:.2} s, {}, {}",
        run.name,
        run.verdict.map(|v| format!("{v}, ")).unwrap_or_default(),
        human(s.bytes_in),
        human(s.bytes_out),
        s.ratio(run.raw, run.encoded),
        mib_per_s(run.raw, secs),
        secs,
        count(s.segments, "segment"),
        count(s.threads as u64, "thread"),
    );
    if common.verbose {
        let h = &s.latency_us;
        eprintln!(
            "  segment size {}, {} stored raw; memory estimate {}, peak RSS {}",
            human(u64::from(s.segment_size)),
            count(s.stored_segments, "segment"),
            human(s.memory_estimate),
            s.peak_rss.map_or("unknown".into(), human),
        );
        eprintln!(
            "  segment latency p50 {} µs, p99 {} µs, max {} µs; {} in, {} out",
            h.value_at_quantile(0.5),
            h.value_at_quantile(0.99),
            h.max(),
            s.bytes_in,
            s.bytes_out,
        );
    }
}

/// `Stats` as the JSON object documented in README.md.
pub fn stats_json(cmd: &str, name: &str, s: &Stats, raw: u64, encoded: u64) -> serde_json::Value {
    let h = &s.latency_us;
    serde_json::json!({
        "command": cmd, "input": name, "bytes_in": s.bytes_in, "bytes_out": s.bytes_out,
        "raw_bytes": raw, "encoded_bytes": encoded, "ratio": s.ratio(raw, encoded),
        "wall_s": s.wall.as_secs_f64(), "mb_per_s": s.mb_per_s(raw), "peak_rss_bytes": s.peak_rss,
        "memory_estimate_bytes": s.memory_estimate,
        "segments": s.segments, "stored_segments": s.stored_segments, "threads": s.threads,
        "segment_size": s.segment_size,
        "segment_latency_us": { "p50": h.value_at_quantile(0.5), "p99": h.value_at_quantile(0.99), "max": h.max() },
    })
}

/// A note on stderr (unless `-q`): something the run did that the user did not ask for.
pub fn note(common: &Common, msg: impl std::fmt::Display) {
    if !common.quiet {
        eprintln!("sigma: {msg}");
    }
}
