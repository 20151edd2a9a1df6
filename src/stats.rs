//! What a run did: sizes, time and memory; with the `stats` feature also the per-segment latency
//! and the process's peak resident set size (the command line turns it on; without it the library
//! does not depend on hdrhistogram and sysinfo).

#[cfg(feature = "stats")]
use hdrhistogram::Histogram;
use std::time::Duration;

/// Figures of one encode, decode or verify run.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Stats {
    /// Bytes read (raw bytes for encode, encoded bytes for decode).
    pub bytes_in: u64,
    /// Bytes written (encoded bytes for encode, raw bytes for decode).
    pub bytes_out: u64,
    /// Segments processed.
    pub segments: u64,
    /// Segments stored raw because coding would not shrink them.
    pub stored_segments: u64,
    /// Worker threads used.
    pub threads: usize,
    /// Segment size of the stream.
    pub segment_size: u32,
    /// Wall-clock time of the whole run.
    pub wall: Duration,
    /// Peak resident set size of the process at the end of the run, when the OS tells it
    /// ([`peak_rss`]; `stats` feature).
    #[cfg(feature = "stats")]
    pub peak_rss: Option<u64>,
    /// The library's estimate of peak heap memory for these options
    /// ([`crate::Options::encode_memory_estimate`] / [`crate::Options::decode_memory_estimate`]).
    pub memory_estimate: u64,
    /// Per-segment codec latency in microseconds (encode or decode of one segment on a worker;
    /// `stats` feature).
    #[cfg(feature = "stats")]
    pub latency_us: Histogram<u64>,
}

impl Stats {
    pub(crate) fn new(threads: usize, segment_size: u32) -> Stats {
        Stats {
            bytes_in: 0,
            bytes_out: 0,
            segments: 0,
            stored_segments: 0,
            threads,
            segment_size,
            wall: Duration::ZERO,
            #[cfg(feature = "stats")]
            peak_rss: None,
            memory_estimate: 0,
            // 1 µs .. 1 hour at 3 significant figures; slower segments saturate at the top.
            #[cfg(feature = "stats")]
            latency_us: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds"),
        }
    }

    /// Raw size over encoded size (for encode: in/out; for decode: out/in). 0 when there is no data.
    pub fn ratio(&self, raw: u64, encoded: u64) -> f64 {
        if encoded == 0 {
            0.0
        } else {
            raw as f64 / encoded as f64
        }
    }

    /// Throughput in MB/s (10^6 bytes) of `raw` bytes over the wall time.
    pub fn mb_per_s(&self, raw: u64) -> f64 {
        let s = self.wall.as_secs_f64();
        if s == 0.0 {
            0.0
        } else {
            raw as f64 / 1e6 / s
        }
    }

    /// Records one segment's codec latency (nothing without the `stats` feature).
    pub(crate) fn record_latency(&mut self, d: Duration) {
        #[cfg(feature = "stats")]
        {
            let us = d.as_micros().clamp(1, u128::from(u64::MAX)) as u64;
            self.latency_us.saturating_record(us);
        }
        #[cfg(not(feature = "stats"))]
        let _ = d;
    }

    /// Records the end of the run: its wall time and (`stats` feature) the peak RSS.
    pub(crate) fn finish(&mut self, wall: Duration) {
        self.wall = wall;
        #[cfg(feature = "stats")]
        {
            self.peak_rss = peak_rss();
        }
    }
}

/// Peak resident set size of this process in bytes: `VmHWM` on Linux; elsewhere the current RSS as
/// reported by sysinfo (a lower bound of the peak). `stats` feature.
#[cfg(feature = "stats")]
pub fn peak_rss() -> Option<u64> {
    if let Ok(s) = std::fs::read_to_string("/proc/self/status") {
        for line in s.lines() {
            if let Some(v) = line.strip_prefix("VmHWM:") {
                let kb: u64 = v.trim().trim_end_matches("kB").trim().parse().ok()?;
                return Some(kb * 1024);
            }
        }
    }
    let pid = sysinfo::get_current_pid().ok()?;
    let mut sys = sysinfo::System::new();
    sys.refresh_processes(sysinfo::ProcessesToUpdate::Some(&[pid]), true);
    sys.process(pid).map(|p| p.memory())
}
