//! Run options, segment-size selection and the memory estimate.

use crate::codec::{self, MatchFinder};
use crate::error::{Error, Result};
use crate::format::{MAX_SEGMENT_SIZE, MIN_SEGMENT_SIZE, SEGMENT_HEADER_LEN};

/// Default segment size at levels 1–7: 4 MiB (see `docs/PERFORMANCE.md`, "Segment size").
pub const DEFAULT_SEGMENT_SIZE: u32 = 4 << 20;
/// Default segment size at levels 8–9, whose parser finds the far matches that a segment
/// boundary cuts off: 16 MiB (`docs/PERFORMANCE.md`, "Segment size").
pub const LARGE_SEGMENT_SIZE: u32 = 16 << 20;

/// The segment size a level uses when none is given: [`LARGE_SEGMENT_SIZE`] at the optimal-parse
/// levels 8–9, [`DEFAULT_SEGMENT_SIZE`] below.
pub fn default_segment_size(level: u8) -> u32 {
    if level >= 8 {
        LARGE_SEGMENT_SIZE
    } else {
        DEFAULT_SEGMENT_SIZE
    }
}

/// How large the segments are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentSize {
    /// The level's default, [`default_segment_size`].
    Level,
    /// A fixed size in bytes (4 KiB ..= 256 MiB).
    Fixed(u32),
    /// Chosen from the input length by [`optimal_segment_size`]; the level's default when the
    /// length is unknown (a pipe).
    Auto,
}

/// The segment size for an input of `len` bytes (the chunk-size table of the design background):
/// < 10 MiB → 64 KiB, < 100 MiB → 256 KiB, < 1 GiB → 1 MiB, otherwise 4 MiB.
pub fn optimal_segment_size(len: u64) -> u32 {
    const MIB: u64 = 1 << 20;
    match len {
        l if l < 10 * MIB => 64 << 10,
        l if l < 100 * MIB => 256 << 10,
        l if l < 1024 * MIB => 1 << 20,
        _ => 4 << 20,
    }
}

/// Options for encoding and decoding. Built with chained setters; checked when a run starts.
///
/// ```
/// let opts = sigmalang::Options::new().threads(2).level(3).segment_size(1 << 20);
/// assert_eq!(opts.resolved_threads(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    threads: usize,
    level: u8,
    segment_size: SegmentSize,
    window: usize,
    memory_limit: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options::new()
    }
}

impl Options {
    /// All cores, [`codec::DEFAULT_LEVEL`], the level's segment size ([`default_segment_size`]),
    /// window 2 × threads.
    pub fn new() -> Options {
        Options {
            threads: 0,
            level: codec::DEFAULT_LEVEL,
            segment_size: SegmentSize::Level,
            window: 0,
            memory_limit: None,
        }
    }
    /// Worker threads; 0 means one per core.
    pub fn threads(mut self, n: usize) -> Options {
        self.threads = n;
        self
    }
    /// Codec level, 1 (fastest) ..= 9 (smallest).
    pub fn level(mut self, level: u8) -> Options {
        self.level = level;
        self
    }
    /// Fixed segment size in bytes.
    pub fn segment_size(mut self, bytes: u32) -> Options {
        self.segment_size = SegmentSize::Fixed(bytes);
        self
    }
    /// Segment size policy.
    pub fn segment_size_policy(mut self, s: SegmentSize) -> Options {
        self.segment_size = s;
        self
    }
    /// Segments in flight at once; 0 means 2 × threads. Bounds memory.
    pub fn window(mut self, n: usize) -> Options {
        self.window = n;
        self
    }

    /// The most heap memory a run may plan for, in bytes (`u64::MAX`: no limit). Threads and
    /// segments in flight shrink to fit it — the output never changes — and a run whose one
    /// segment on one thread does not fit fails with [`Error::MemoryLimit`] before it allocates
    /// anything. Default: [`default_memory_limit`].
    pub fn memory_limit(mut self, bytes: u64) -> Options {
        self.memory_limit = Some(bytes);
        self
    }
    /// The memory limit after resolving the default.
    pub fn resolved_memory_limit(&self) -> u64 {
        self.memory_limit.unwrap_or_else(default_memory_limit)
    }

    /// Threads after resolving 0 to the core count.
    pub fn resolved_threads(&self) -> usize {
        if self.threads == 0 {
            num_cpus::get().max(1)
        } else {
            self.threads
        }
    }
    /// Window after resolving 0.
    pub fn resolved_window(&self) -> usize {
        if self.window == 0 {
            2 * self.resolved_threads()
        } else {
            self.window
        }
    }
    /// The level.
    pub fn get_level(&self) -> u8 {
        self.level
    }
    /// Segment size for an input of `len` bytes (`None` = unknown length).
    pub fn resolved_segment_size(&self, len: Option<u64>) -> u32 {
        match (self.segment_size, len) {
            (SegmentSize::Fixed(n), _) => n,
            (SegmentSize::Auto, Some(l)) => optimal_segment_size(l),
            (SegmentSize::Level | SegmentSize::Auto, _) => default_segment_size(self.level),
        }
    }

    /// Checks every option; run entry points call this first.
    pub fn validate(&self) -> Result<()> {
        if !(codec::MIN_LEVEL..=codec::MAX_LEVEL).contains(&self.level) {
            return Err(Error::InvalidOption(format!(
                "level {} outside {}..={}",
                self.level,
                codec::MIN_LEVEL,
                codec::MAX_LEVEL
            )));
        }
        if let SegmentSize::Fixed(n) = self.segment_size {
            if !(MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE).contains(&n) {
                return Err(Error::InvalidOption(format!(
                    "segment size {n} outside {MIN_SEGMENT_SIZE}..={MAX_SEGMENT_SIZE} bytes"
                )));
            }
        }
        if self.threads > 4096 {
            return Err(Error::InvalidOption(format!(
                "{} threads is more than 4096",
                self.threads
            )));
        }
        Ok(())
    }

    /// Buffers per pool and bytes per raw buffer for a run over `len` bytes (`None`: unknown) at
    /// segment size `seg`: never more buffers than segments, never buffers larger than the input.
    pub(crate) fn pool_shape(&self, seg: u32, len: Option<u64>) -> (usize, usize) {
        let window = self.resolved_window();
        match len {
            Some(l) => {
                let segments = l.div_ceil(u64::from(seg)).max(1);
                (
                    window.min(segments as usize),
                    (u64::from(seg).min(l)) as usize,
                )
            }
            None => (window, seg as usize),
        }
    }

    /// How an encode of an input of `len` bytes (`None`: unknown) holds its memory: buffers =
    /// min(window, segments), each an input and an output buffer, and working threads with their
    /// match tables, shrunk to fit the memory limit.
    pub fn encode_plan(&self, len: Option<u64>) -> Result<MemoryPlan> {
        let seg = self.resolved_segment_size(len);
        let (buffers, raw) = self.pool_shape(seg, len);
        let per_buffer = raw + codec::compressed_bound(raw) + SEGMENT_HEADER_LEN;
        let per_thread =
            MatchFinder::table_bytes(self.level) + MatchFinder::scratch_bytes(self.level, raw);
        self.plan(buffers, per_buffer as u64, per_thread as u64)
    }

    /// Estimated peak heap memory of an encode with these options for an input of `len` bytes:
    /// buffers × (input buffer + output buffer) + working threads × match tables + fixed overhead,
    /// as [`Options::encode_plan`] shapes it (when even one segment on one thread is above the
    /// memory limit: what that needs).
    pub fn encode_memory_estimate(&self, len: Option<u64>) -> u64 {
        plan_estimate(self.encode_plan(len))
    }

    /// How a decode of a stream with `segment_size` and `raw_len` bytes of original data (`None`:
    /// unknown, as for a pipe) holds its memory when its largest payload is `largest_payload`
    /// bytes (`None`: up to a whole segment): buffers = min(window, segments), each an input
    /// buffer for a payload and an output buffer for a segment, and working threads with their
    /// stream scratch, shrunk to fit the memory limit.
    pub fn decode_plan(
        &self,
        segment_size: u32,
        raw_len: Option<u64>,
        largest_payload: Option<u32>,
    ) -> Result<MemoryPlan> {
        let (buffers, raw) = self.pool_shape(segment_size, raw_len);
        self.decode_plan_for(buffers, raw, input_buffer(raw, largest_payload))
    }

    /// [`Options::decode_plan`] for at most `buffers` segments in flight of `raw` bytes each,
    /// read from payloads of at most `input` bytes.
    pub(crate) fn decode_plan_for(
        &self,
        buffers: usize,
        raw: usize,
        input: usize,
    ) -> Result<MemoryPlan> {
        let per_buffer = raw + input + SEGMENT_HEADER_LEN;
        self.plan(
            buffers,
            per_buffer as u64,
            codec::stream_scratch_bytes(raw) as u64,
        )
    }

    /// Estimated peak heap memory of a decode with these options of a stream with `segment_size`
    /// and `raw_len` bytes of original data (`None`: unknown, as for a pipe), when any segment's
    /// payload may be a whole segment long (the bound; see
    /// [`Options::decode_memory_estimate_for`]).
    pub fn decode_memory_estimate(&self, segment_size: u32, raw_len: Option<u64>) -> u64 {
        self.decode_memory_estimate_for(segment_size, raw_len, None)
    }

    /// [`Options::decode_memory_estimate`] for a file whose index names its largest segment
    /// payload, `largest_payload` bytes: the input buffers of a file decode are that long. As
    /// [`Options::decode_plan`] shapes the run (when even one segment on one thread is above the
    /// memory limit: what that needs).
    pub fn decode_memory_estimate_for(
        &self,
        segment_size: u32,
        raw_len: Option<u64>,
        largest_payload: Option<u32>,
    ) -> u64 {
        plan_estimate(self.decode_plan(segment_size, raw_len, largest_payload))
    }

    /// The most buffers (up to `buffers`) and threads (up to the resolved count, and no more than
    /// buffers) whose memory fits the limit, preferring threads: buffers × `per_buffer` + threads ×
    /// `per_thread` + [`BASE_OVERHEAD`].
    pub(crate) fn plan(
        &self,
        buffers: usize,
        per_buffer: u64,
        per_thread: u64,
    ) -> Result<MemoryPlan> {
        let limit = self.resolved_memory_limit();
        let buffers = buffers.max(1);
        let cost = |b: usize, t: usize| {
            (b as u64)
                .saturating_mul(per_buffer)
                .saturating_add((t as u64).saturating_mul(per_thread))
                .saturating_add(BASE_OVERHEAD)
        };
        for threads in (1..=self.resolved_threads().min(buffers)).rev() {
            let room = limit
                .saturating_sub(cost(0, threads))
                .checked_div(per_buffer)
                .unwrap_or(u64::MAX);
            let fit = buffers.min(usize::try_from(room).unwrap_or(usize::MAX));
            if fit >= threads && cost(0, threads) <= limit {
                return Ok(MemoryPlan {
                    buffers: fit,
                    threads,
                    estimate: cost(fit, threads),
                });
            }
        }
        Err(Error::MemoryLimit {
            needed: cost(1, 1),
            limit,
        })
    }
}

/// How a run holds its memory ([`Options::encode_plan`], [`Options::decode_plan`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryPlan {
    /// Segments in flight: input and output buffers of each.
    pub buffers: usize,
    /// Worker threads.
    pub threads: usize,
    /// Estimated peak heap memory in bytes.
    pub estimate: u64,
}

fn plan_estimate(plan: Result<MemoryPlan>) -> u64 {
    match plan {
        Ok(p) => p.estimate,
        Err(Error::MemoryLimit { needed, .. }) => needed,
        Err(_) => u64::MAX,
    }
}

/// The default memory limit: the smaller of 1 GiB and a quarter of physical memory (1 GiB when
/// the physical memory cannot be read, and on systems other than Linux).
pub fn default_memory_limit() -> u64 {
    const GIB: u64 = 1 << 30;
    match physical_memory() {
        None | Some(0) => GIB,
        Some(total) => GIB.min(total / 4),
    }
}

/// The machine's physical memory in bytes: `MemTotal` in `/proc/meminfo` (Linux; `None` elsewhere
/// or when it cannot be read). Inside a container with LXCFS this is the container's limit.
fn physical_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    meminfo_total(&info)
}

/// The `MemTotal:` line of `/proc/meminfo` text in bytes (the kernel writes KiB as "kB").
fn meminfo_total(info: &str) -> Option<u64> {
    let line = info.lines().find_map(|l| l.strip_prefix("MemTotal:"))?;
    let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    kib.checked_mul(1024)
}

/// Bytes of payload a decode's input buffer holds: the largest payload a file's index names, or a
/// whole buffer of `raw` bytes when it is not known (a payload is never longer than its segment).
pub(crate) fn input_buffer(raw: usize, largest_payload: Option<u32>) -> usize {
    largest_payload.map_or(raw, |l| (l as usize).min(raw))
}

/// Process baseline not counted in buffers (code, stacks, allocator).
pub const BASE_OVERHEAD: u64 = 4 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_total_reads_the_kib_line() {
        let info = "MemTotal:       16318504 kB\nMemFree:         1000 kB\n";
        assert_eq!(meminfo_total(info), Some(16318504 * 1024));
        assert_eq!(meminfo_total("MemFree: 1 kB\n"), None);
        assert_eq!(meminfo_total("MemTotal: lots\n"), None);
    }

    /// The figure is the one sysinfo gives (the library read it through sysinfo before sysinfo
    /// became an optional dependency of the `stats` feature).
    #[cfg(all(target_os = "linux", feature = "stats"))]
    #[test]
    fn physical_memory_agrees_with_sysinfo() {
        let mut sys = sysinfo::System::new();
        sys.refresh_memory();
        let (ours, theirs) = (physical_memory().unwrap(), sys.total_memory());
        // A balloon driver may move it between the two reads.
        assert!(ours.abs_diff(theirs) <= theirs / 256, "{ours} vs {theirs}");
        assert_eq!(default_memory_limit(), (1 << 30).min(ours / 4));
    }
}
