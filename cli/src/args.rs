//! The command line: subcommands, options, their limits and the environment defaults.

use crate::units::{human, parse_size};
use clap::{Args, Parser, Subcommand};
use sigmalang::SegmentSize;
use std::path::PathBuf;

/// Most worker threads `-T` accepts.
pub const MAX_THREADS: usize = 1024;
/// Most segments in flight `--window` accepts.
pub const MAX_WINDOW: usize = 4096;

/// ΣLANG: segment-parallel compression for multi-GB files, with constant memory.
///
/// zstd/xz-style use works too: `sigma FILE` (= encode), `sigma -d FILE` (= decode), `sigma -t
/// FILE` (= verify), `sigma -l FILE` (= info), `-1` … `-9` for the level, `-c` for stdout.
#[derive(Parser)]
#[command(name = "sigma", version, about, long_about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Encode files or stdin (default output: INPUT.sigma).
    Encode(EncodeArgs),
    /// Decode .sigma files or stdin (default output: INPUT without .sigma).
    Decode(DecodeArgs),
    /// Check every checksum and the structure of .sigma files; exit 0 if all are intact, 1 if not.
    Verify(VerifyArgs),
    /// Show the header, segments, sizes and checksums of .sigma files.
    Info(InfoArgs),
    /// Join the parts made by `encode --part K/N` into one .sigma file, byte-identical to a
    /// one-process encode; a damaged, missing or mismatched part is refused and nothing is written.
    Join(JoinArgs),
    /// Measure encode/decode speed, scaling and memory at several thread counts on INPUT.
    Bench(crate::bench::BenchArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout; `scripts/man.sh` writes docs/sigma.1 with it.
    #[command(hide = true)]
    Manpage,
}

#[derive(Args)]
pub struct Common {
    /// Print nothing but errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more: per-file details, segments, threads, memory, timing.
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Show progress even when stderr is not a terminal (one line per second).
    #[arg(long, global = true)]
    pub progress: bool,
    /// Never show progress, not even on a terminal.
    #[arg(long, global = true, conflicts_with = "progress")]
    pub no_progress: bool,
    /// Print each run's statistics as one JSON object on stderr at the end (instead of the summary).
    #[arg(long, value_name = "FORMAT", value_parser = ["json"], global = true)]
    pub stats: Option<String>,
}

/// Options shared by the commands that decode or encode: threads and segments in flight.
#[derive(Args, Clone, Copy)]
pub struct Parallel {
    /// Worker threads (0 = all cores; at most 1024).
    #[arg(short = 'T', long, env = "SIGMA_THREADS", default_value_t = 0, value_parser = parse_threads)]
    pub threads: usize,
    /// Segments in flight (0 = 2 × threads; at most 4096). Each costs about two segment sizes of
    /// memory.
    #[arg(long, default_value_t = 0, value_parser = parse_window)]
    pub window: usize,
    /// The most memory to plan for (binary units, e.g. 512M, 2G; `none`: no limit) [default: the
    /// smaller of 1 GiB and a quarter of physical memory]. Threads and segments in flight shrink
    /// to fit; a file whose one segment does not fit is refused before anything is written.
    #[arg(long, env = "SIGMA_MEMORY_LIMIT", value_name = "SIZE", value_parser = parse_memory_limit)]
    pub memory_limit: Option<u64>,
}

impl Parallel {
    /// Library options with these threads, window and memory limit.
    pub fn options(&self) -> sigmalang::Options {
        let o = sigmalang::Options::new()
            .threads(self.threads)
            .window(self.window);
        match self.memory_limit {
            Some(m) => o.memory_limit(m),
            None => o,
        }
    }

    /// The memory limit in force.
    pub fn resolved_memory_limit(&self) -> u64 {
        self.memory_limit
            .unwrap_or_else(sigmalang::default_memory_limit)
    }
}

#[derive(Args)]
pub struct EncodeArgs {
    /// Files to encode (directories with -r); `-` or none reads stdin.
    pub inputs: Vec<PathBuf>,
    /// Output file (one input only).
    #[arg(short, long, conflicts_with = "stdout")]
    pub output: Option<PathBuf>,
    /// Write to stdout (several inputs: their streams one after another, which decode to the
    /// concatenation).
    #[arg(short = 'c', long)]
    pub stdout: bool,
    #[command(flatten)]
    pub parallel: Parallel,
    /// Compression level, 1 (fastest) to 9 (smallest); `-1` … `-9` also work [default: 3].
    #[arg(short, long, env = "SIGMA_LEVEL", value_parser = clap::value_parser!(u8).range(1..=9))]
    pub level: Option<u8>,
    /// Segment size: bytes with an optional binary unit (4M = 4MiB, 64K), or `auto` [default: 4M,
    /// 16M at levels 8-9].
    #[arg(long, value_parser = parse_segment_size)]
    pub segment_size: Option<SegmentSize>,
    /// Overwrite outputs that exist, and encode inputs that already end in .sigma.
    #[arg(short, long)]
    pub force: bool,
    /// Keep the input (the default; accepted for gzip/zstd compatibility).
    #[arg(short, long)]
    pub keep: bool,
    /// Remove the input after a successful encode (not with -c: the input is kept).
    #[arg(long, conflicts_with = "keep")]
    pub rm: bool,
    /// Continue an interrupted encode from OUTPUT.partial (verified against the input first);
    /// level and segment size default to the partial output's.
    #[arg(long)]
    pub resume: bool,
    /// Encode every file under the directories given.
    #[arg(short, long)]
    pub recursive: bool,
    /// Encode only part K of N (0 ≤ K < N) of one input file into a part file (default:
    /// INPUT.sigma.part-K-of-N); `sigma join` makes the .sigma file from all N parts. For jobs
    /// spread over processes or machines (Slurm arrays, GNU parallel, Kubernetes jobs).
    #[arg(long, value_name = "K/N", value_parser = parse_part, conflicts_with_all = ["resume", "recursive", "rm"])]
    pub part: Option<(u32, u32)>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args)]
pub struct JoinArgs {
    /// The part files, in any order.
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
    /// Output file.
    #[arg(
        short,
        long,
        required_unless_present = "stdout",
        conflicts_with = "stdout"
    )]
    pub output: Option<PathBuf>,
    /// Write to stdout.
    #[arg(short = 'c', long)]
    pub stdout: bool,
    /// Overwrite the output if it exists.
    #[arg(short, long)]
    pub force: bool,
    /// Remove the part files after a successful join.
    #[arg(long)]
    pub rm: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args)]
pub struct DecodeArgs {
    /// Files to decode (directories with -r: their .sigma files); `-` or none reads stdin.
    pub inputs: Vec<PathBuf>,
    /// Output file (one input only).
    #[arg(short, long, conflicts_with = "stdout")]
    pub output: Option<PathBuf>,
    /// Write to stdout.
    #[arg(short = 'c', long)]
    pub stdout: bool,
    #[command(flatten)]
    pub parallel: Parallel,
    /// Overwrite outputs that exist.
    #[arg(short, long)]
    pub force: bool,
    /// Keep the input (the default).
    #[arg(short, long)]
    pub keep: bool,
    /// Remove the input after a successful decode (not with -c: the input is kept).
    #[arg(long, conflicts_with = "keep")]
    pub rm: bool,
    /// Recover every intact segment of a damaged file and report the byte ranges lost.
    #[arg(long, conflicts_with_all = ["range", "rm"])]
    pub salvage: bool,
    /// Decode only bytes START..END of the original (END exclusive, clamped to the end of the
    /// data; binary units allowed; either end may be omitted).
    #[arg(long, value_name = "START..END", value_parser = parse_range)]
    pub range: Option<(Option<u64>, Option<u64>)>,
    /// Write runs of zeros in a regular output file as holes [default: on].
    #[arg(long, overrides_with = "no_sparse")]
    pub sparse: bool,
    /// Write every byte, holes or not.
    #[arg(long)]
    pub no_sparse: bool,
    /// Decode every .sigma file under the directories given.
    #[arg(short, long)]
    pub recursive: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// Files to check (directories with -r: their .sigma files); `-` or none reads stdin.
    pub inputs: Vec<PathBuf>,
    #[command(flatten)]
    pub parallel: Parallel,
    /// Check every .sigma file under the directories given.
    #[arg(short, long)]
    pub recursive: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args)]
pub struct InfoArgs {
    /// Files to describe (directories with -r: their .sigma files); `-` or none reads stdin.
    pub inputs: Vec<PathBuf>,
    /// Print one JSON object per file.
    #[arg(long)]
    pub json: bool,
    /// Describe every .sigma file under the directories given.
    #[arg(short, long)]
    pub recursive: bool,
    #[command(flatten)]
    pub common: Common,
}

pub fn parse_threads(s: &str) -> Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("`{s}` is not a thread count (0 = all cores)"))?;
    if n > MAX_THREADS {
        return Err(format!(
            "{n} threads is above the limit of {MAX_THREADS} (each thread holds a match table and \
             two segments in flight, about {} at the default segment size)",
            human(2 * 2 * u64::from(sigmalang::DEFAULT_SEGMENT_SIZE))
        ));
    }
    Ok(n)
}

fn parse_window(s: &str) -> Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of segments (0 = 2 × threads)"))?;
    if n > MAX_WINDOW {
        return Err(format!(
            "a window of {n} segments is above the limit of {MAX_WINDOW} (each segment in flight \
             costs about two segment sizes of memory: {} at the default 4 MiB segment)",
            human(2 * u64::from(sigmalang::DEFAULT_SEGMENT_SIZE))
        ));
    }
    Ok(n)
}

fn parse_part(s: &str) -> Result<(u32, u32), String> {
    let bad = || {
        format!(
            "`{s}` is not a part K/N (0 ≤ K < N ≤ {})",
            sigmalang::MAX_PARTS
        )
    };
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (u32, u32) = (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if n == 0 || n > sigmalang::MAX_PARTS || k >= n {
        return Err(bad());
    }
    Ok((k, n))
}

fn parse_memory_limit(s: &str) -> Result<u64, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(u64::MAX);
    }
    match parse_size(s)? {
        0 => Err("a memory limit of 0 allows nothing (use `none` for no limit)".into()),
        n => Ok(n),
    }
}

fn parse_range(s: &str) -> Result<(Option<u64>, Option<u64>), String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("`{s}` is not a range START..END"))?;
    let end = |x: &str| (!x.is_empty()).then(|| parse_size(x)).transpose();
    let (a, b) = (end(a)?, end(b)?);
    if let (Some(a), Some(b)) = (a, b) {
        if a > b {
            return Err(format!("range start {a} is after its end {b}"));
        }
    }
    Ok((a, b))
}

fn parse_segment_size(s: &str) -> Result<SegmentSize, String> {
    if s.eq_ignore_ascii_case("auto") {
        return Ok(SegmentSize::Auto);
    }
    let bytes = parse_size(s)?;
    let (lo, hi) = (
        sigmalang::format::MIN_SEGMENT_SIZE,
        sigmalang::format::MAX_SEGMENT_SIZE,
    );
    if bytes < u64::from(lo) || bytes > u64::from(hi) {
        return Err(format!(
            "segment size must be between {} and {}, got {s}",
            human(lo.into()),
            human(hi.into())
        ));
    }
    Ok(SegmentSize::Fixed(bytes as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn limits_are_usage_errors_that_say_the_cost() {
        assert_eq!(parse_window("4096"), Ok(4096));
        let e = parse_window("4097").unwrap_err();
        assert!(e.contains("limit of 4096") && e.contains("8.0 MiB"), "{e}");
        assert!(parse_window("18446744073709551616").is_err());
        assert_eq!(parse_threads("0"), Ok(0));
        assert!(parse_threads("1025").unwrap_err().contains("limit of 1024"));
        assert_eq!(parse_range("1k..2K"), Ok((Some(1024), Some(2048))));
        assert_eq!(parse_part("0/1"), Ok((0, 1)));
        assert_eq!(parse_part("6/7"), Ok((6, 7)));
        for bad in ["7/7", "1/0", "x/2", "1", "-1/2", "0/2000000"] {
            assert!(parse_part(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_memory_limit("512M"), Ok(512 << 20));
        assert_eq!(parse_memory_limit("none"), Ok(u64::MAX));
        assert!(parse_memory_limit("0").is_err());
        assert_eq!(parse_range(".."), Ok((None, None)));
        assert!(parse_range("5..4").is_err());
        assert_eq!(parse_segment_size("64KiB"), Ok(SegmentSize::Fixed(65536)));
        assert!(parse_segment_size("1K")
            .unwrap_err()
            .contains("between 4.0 KiB and 256.0 MiB"));
    }
}
