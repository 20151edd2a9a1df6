//! `sigma`: the command-line front end. Thin glue over the `sigmalang` library.

use anyhow::{anyhow, bail, Context};
use clap::{Args, Parser, Subcommand};
use sigmalang::format::{Index, StreamParser, SEGMENT_HEADER_LEN};
use sigmalang::{Options, OutputFile, SegmentSize, Source, Stats};
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

mod bench;
mod progress;

/// ΣLANG: segment-parallel compression for multi-GB files, with constant memory.
#[derive(Parser)]
#[command(name = "sigma", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Encode a file or stdin (default output: INPUT.sigma).
    Encode(EncodeArgs),
    /// Decode a .sigma file or stdin (default output: INPUT without .sigma).
    Decode(DecodeArgs),
    /// Check every checksum and the structure of a .sigma file; exit 0 if intact, 1 if not.
    Verify(VerifyArgs),
    /// Show the header, segments, sizes and checksums of a .sigma file.
    Info(InfoArgs),
    /// Measure encode/decode speed, scaling and memory at several thread counts on INPUT.
    Bench(bench::BenchArgs),
}

#[derive(Args)]
struct Common {
    /// Print nothing but errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Print more detail.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Show progress even when stderr is not a terminal (one line per second).
    #[arg(long, global = true)]
    progress: bool,
    /// Print the run's statistics as one JSON object on stderr at the end (instead of the summary).
    #[arg(long, value_name = "FORMAT", value_parser = ["json"], global = true)]
    stats: Option<String>,
}

#[derive(Args)]
struct EncodeArgs {
    /// File to encode; `-` or absent reads stdin.
    input: Option<PathBuf>,
    /// Output file.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Write to stdout.
    #[arg(short = 'c', long)]
    stdout: bool,
    /// Worker threads (0 = all cores).
    #[arg(short = 'T', long, default_value_t = 0)]
    threads: usize,
    /// Compression level, 1 (fastest) to 9 (smallest).
    #[arg(short, long, default_value_t = sigmalang::codec::DEFAULT_LEVEL, value_parser = clap::value_parser!(u8).range(1..=9))]
    level: u8,
    /// Segment size: bytes with an optional K/M/G suffix (e.g. 4M, 64K), or `auto` [default: 4M,
    /// 16M at levels 8-9].
    #[arg(long, value_parser = parse_segment_size)]
    segment_size: Option<SegmentSize>,
    /// Segments in flight (0 = 2 × threads).
    #[arg(long, default_value_t = 0)]
    window: usize,
    /// Overwrite the output if it exists.
    #[arg(short, long)]
    force: bool,
    /// Keep the input (the default; accepted for gzip/zstd compatibility).
    #[arg(short, long)]
    keep: bool,
    /// Remove the input after a successful encode.
    #[arg(long, conflicts_with = "keep")]
    rm: bool,
    /// Continue an interrupted encode from OUTPUT.partial (verified against the input first).
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct DecodeArgs {
    /// File to decode; `-` reads stdin.
    input: PathBuf,
    /// Output file.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Write to stdout.
    #[arg(short = 'c', long)]
    stdout: bool,
    /// Worker threads (0 = all cores).
    #[arg(short = 'T', long, default_value_t = 0)]
    threads: usize,
    /// Overwrite the output if it exists.
    #[arg(short, long)]
    force: bool,
    /// Keep the input (the default).
    #[arg(short, long)]
    keep: bool,
    /// Remove the input after a successful decode.
    #[arg(long, conflicts_with = "keep")]
    rm: bool,
    /// Segments in flight (0 = 2 × threads).
    #[arg(long, default_value_t = 0)]
    window: usize,
    /// Recover every intact segment of a damaged file and report the byte ranges lost.
    #[arg(long, conflicts_with_all = ["range", "rm"])]
    salvage: bool,
    /// Decode only bytes START..END of the original (END exclusive; K/M/G suffixes allowed;
    /// either end may be omitted).
    #[arg(long, value_name = "START..END", value_parser = parse_range)]
    range: Option<(Option<u64>, Option<u64>)>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct VerifyArgs {
    /// File to check; `-` reads stdin.
    input: PathBuf,
    /// Worker threads (0 = all cores).
    #[arg(short = 'T', long, default_value_t = 0)]
    threads: usize,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct InfoArgs {
    /// File to describe; `-` reads stdin.
    input: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    common: Common,
}

pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let (num, mult) = match s.as_bytes().last().map(u8::to_ascii_uppercase) {
        Some(b'K') => (&s[..s.len() - 1], 1u64 << 10),
        Some(b'M') => (&s[..s.len() - 1], 1 << 20),
        Some(b'G') => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (examples: 4M, 64K, 1048576)"))?;
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

fn parse_range(s: &str) -> Result<(Option<u64>, Option<u64>), String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("`{s}` is not a range START..END"))?;
    let a = if a.is_empty() {
        None
    } else {
        Some(parse_size(a)?)
    };
    let b = if b.is_empty() {
        None
    } else {
        Some(parse_size(b)?)
    };
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
        return Err(format!("segment size must be between 4K and 256M, got {s}"));
    }
    Ok(SegmentSize::Fixed(bytes as u32))
}

/// The temporary output of the running command, removed by the signal handler.
static TEMP: Mutex<Option<PathBuf>> = Mutex::new(None);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = ctrlc::set_handler(|| {
        if let Ok(mut t) = TEMP.lock() {
            if let Some(p) = t.take() {
                let _ = std::fs::remove_file(p);
            }
        }
        eprintln!("sigma: interrupted");
        std::process::exit(130);
    });
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("sigma: {}", error_line(&e));
            ExitCode::from(1)
        }
    }
}

/// One line: the contexts and causes joined by ": ", skipping a cause its parent already quotes.
fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    let mut prev = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !prev.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
        prev = text;
    }
    line
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || matches!(c.downcast_ref::<sigmalang::Error>(), Some(sigmalang::Error::Io(io)) if io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.cmd {
        Command::Encode(a) => encode(a),
        Command::Decode(a) => decode(a),
        Command::Verify(a) => verify(a),
        Command::Info(a) => info(a),
        Command::Bench(a) => bench::run(a).map(|()| ExitCode::SUCCESS),
    }
}

/// Refuses an output that is the input itself (same device and inode, e.g. `-o a a`): writing it
/// would destroy the input, and `--rm` would then delete the only copy.
fn refuse_same_file(input: Option<&Path>, output: Option<&Path>) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    if let (Some(i), Some(o)) = (input, output) {
        if let (Ok(a), Ok(b)) = (std::fs::metadata(i), std::fs::metadata(o)) {
            if a.dev() == b.dev() && a.ino() == b.ino() {
                bail!("{}: the output is the input file itself", o.display());
            }
        }
    }
    Ok(())
}

/// True when `p` does not exist or is a regular file (not a device or FIFO to write into directly).
fn is_regular_or_absent(p: &Path) -> bool {
    std::fs::metadata(p).map_or(true, |m| m.is_file())
}

fn is_stdin(p: &Option<PathBuf>) -> bool {
    p.as_deref().is_none_or(|p| p == Path::new("-"))
}

/// Where a command writes: stdout or an atomically committed file.
enum Sink {
    Stdout,
    File { out: OutputFile, force: bool },
}

impl Sink {
    fn open(
        target: Option<PathBuf>,
        force: bool,
        encoded: bool,
        like: Option<&File>,
    ) -> anyhow::Result<Sink> {
        let Some(target) = target else {
            if encoded && io::stdout().is_terminal() {
                bail!(
                    "refusing to write encoded data to a terminal (use -o FILE or redirect stdout)"
                );
            }
            return Ok(Sink::Stdout);
        };
        // The temporary file is created and registered for the signal handler under one lock: a
        // signal in between waits for the registration, then removes the file.
        let mut temp = TEMP.lock().unwrap_or_else(|e| e.into_inner());
        let out = OutputFile::create(&target, force)
            .with_context(|| format!("{}: cannot create output", target.display()))?;
        *temp = out.temp_path().map(Path::to_path_buf);
        drop(temp);
        let perm = match like {
            Some(f) => f.metadata()?.permissions(),
            None => std::os::unix::fs::PermissionsExt::from_mode(0o644),
        };
        out.set_permissions(perm)?;
        Ok(Sink::File { out, force })
    }

    /// Runs `f` with a writer for this sink, then commits the file.
    fn write<T>(self, f: impl FnOnce(&mut dyn Write) -> anyhow::Result<T>) -> anyhow::Result<T> {
        match self {
            Sink::Stdout => {
                let mut w = stdout_writer()?;
                let r = f(&mut w)?;
                w.flush()?;
                Ok(r)
            }
            Sink::File { mut out, force } => {
                let r = {
                    let mut w = io::BufWriter::with_capacity(1 << 20, out.file());
                    let r = f(&mut w)?;
                    w.flush()?;
                    r
                };
                out.commit(force)?;
                *TEMP.lock().unwrap() = None;
                Ok(r)
            }
        }
    }
}

/// Unbuffered stdout as a file: the pipeline writes whole segments, no line buffering wanted.
fn stdout_writer() -> io::Result<File> {
    use std::os::fd::AsFd;
    Ok(File::from(io::stdout().as_fd().try_clone_to_owned()?))
}

fn human(n: u64) -> String {
    let f = n as f64;
    match n {
        0..=9_999 => format!("{n} B"),
        10_000..=9_999_999 => format!("{:.1} kB", f / 1e3),
        10_000_000..=9_999_999_999 => format!("{:.1} MB", f / 1e6),
        _ => format!("{:.2} GB", f / 1e9),
    }
}

/// The end-of-run report: one JSON object with `--stats json`, else one summary line unless `-q`.
fn report(cmd: &str, name: &str, common: &Common, stats: &Stats, raw: u64, encoded: u64) {
    if common.stats.is_some() {
        eprintln!("{}", stats_json(cmd, name, stats, raw, encoded));
    } else if !common.quiet {
        summary(name, stats, raw, encoded);
    }
}

/// `Stats` as the JSON object documented in README.md.
pub(crate) fn stats_json(
    cmd: &str,
    name: &str,
    s: &Stats,
    raw: u64,
    encoded: u64,
) -> serde_json::Value {
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

fn summary(name: &str, stats: &Stats, raw: u64, encoded: u64) {
    eprintln!(
        "{name}: {} → {} ({:.3}× ratio), {:.1} MB/s, {:.2} s, {} segments, {} threads",
        human(stats.bytes_in),
        human(stats.bytes_out),
        stats.ratio(raw, encoded),
        stats.mb_per_s(raw),
        stats.wall.as_secs_f64(),
        stats.segments,
        stats.threads,
    );
}

fn encode(a: EncodeArgs) -> anyhow::Result<ExitCode> {
    let opts = Options::new()
        .threads(a.threads)
        .level(a.level)
        .segment_size_policy(a.segment_size.unwrap_or(SegmentSize::Level))
        .window(a.window);
    let from_stdin = is_stdin(&a.input);
    let name = if from_stdin {
        "stdin".to_string()
    } else {
        a.input.as_ref().unwrap().display().to_string()
    };
    let target = match (&a.output, a.stdout, from_stdin) {
        (Some(o), _, _) if o != Path::new("-") => Some(o.clone()),
        (Some(_), _, _) | (None, true, _) | (None, false, true) => None,
        (None, false, false) => {
            let mut p = a.input.clone().unwrap().into_os_string();
            p.push(".sigma");
            Some(PathBuf::from(p))
        }
    };
    if from_stdin && io::stdin().is_terminal() {
        bail!("refusing to read data from a terminal (give an INPUT file or pipe data in)");
    }
    let input_file = if from_stdin {
        None
    } else {
        let p = a.input.as_ref().unwrap();
        let f = File::open(p).with_context(|| format!("{}: cannot open", p.display()))?;
        if !f.metadata()?.is_file() {
            bail!("{}: not a regular file", p.display());
        }
        Some(f)
    };
    if a.resume && input_file.is_none() {
        bail!("--resume needs an input file (a pipe cannot be read again)");
    }
    refuse_same_file(
        a.input.as_deref().filter(|_| !from_stdin),
        target.as_deref(),
    )?;
    let bar = progress::Progress::for_input(&name, input_file.as_ref(), &a.common)?;
    let tick = |read: u64, _written: u64| bar.update(read);
    let stats = match (&input_file, &target) {
        // A file into a file: through TARGET.partial, which --resume can continue after a crash.
        (Some(f), Some(t)) if is_regular_or_absent(t) => {
            if !a.resume {
                *TEMP.lock().unwrap() = Some(sigmalang::partial_path(t));
            }
            let (stats, resumed) =
                sigmalang::encode_resumable(f, t, &opts, a.resume, a.force, Some(&tick))
                    .with_context(|| name.clone())?;
            *TEMP.lock().unwrap() = None;
            if resumed.segments > 0 && !a.common.quiet {
                eprintln!(
                    "{name}: resumed after {} verified segments ({} of input)",
                    resumed.segments,
                    human(resumed.raw_bytes)
                );
            }
            stats
        }
        _ => {
            if a.resume {
                bail!("--resume needs an output file");
            }
            let sink = Sink::open(target, a.force, true, input_file.as_ref())?;
            sink.write(|w| {
                let r = match &input_file {
                    Some(f) => sigmalang::encode(Source::File(f), w, &opts, Some(&tick)),
                    None => {
                        sigmalang::encode(Source::Reader(&mut io::stdin()), w, &opts, Some(&tick))
                    }
                };
                r.with_context(|| name.clone())
            })?
        }
    };
    bar.finish();
    if a.rm && !from_stdin {
        std::fs::remove_file(a.input.as_ref().unwrap())
            .with_context(|| format!("{name}: cannot remove input"))?;
    }
    report(
        "encode",
        &name,
        &a.common,
        &stats,
        stats.bytes_in,
        stats.bytes_out,
    );
    Ok(ExitCode::SUCCESS)
}

fn decode(a: DecodeArgs) -> anyhow::Result<ExitCode> {
    let opts = Options::new().threads(a.threads).window(a.window);
    let from_stdin = a.input == Path::new("-");
    let name = if from_stdin {
        "stdin".to_string()
    } else {
        a.input.display().to_string()
    };
    let target = match (&a.output, a.stdout, from_stdin) {
        (Some(o), _, _) if o != Path::new("-") => Some(o.clone()),
        (Some(_), _, _) | (None, true, _) | (None, false, true) => None,
        (None, false, false) => {
            let s = a.input.to_string_lossy();
            match s.strip_suffix(".sigma") {
                Some(stem) if !stem.is_empty() && !stem.ends_with('/') => Some(PathBuf::from(stem)),
                _ => bail!("{name}: has no .sigma suffix; give an output with -o or use -c"),
            }
        }
    };
    let input_file = if from_stdin {
        None
    } else {
        Some(File::open(&a.input).with_context(|| format!("{name}: cannot open"))?)
    };
    refuse_same_file(
        Some(&a.input).filter(|_| !from_stdin).map(PathBuf::as_path),
        target.as_deref(),
    )?;
    if (a.salvage || a.range.is_some()) && input_file.is_none() {
        bail!("--salvage and --range need an input file, not a pipe");
    }
    let sink = Sink::open(target, a.force, false, input_file.as_ref())?;
    if a.salvage {
        let report = sink.write(|w| {
            sigmalang::salvage(input_file.as_ref().unwrap(), w).with_context(|| name.clone())
        })?;
        for l in &report.lost {
            match l.end {
                Some(end) => eprintln!(
                    "{name}: lost bytes {}..{} ({} bytes, segment {}), written as zeros",
                    l.start,
                    end,
                    end - l.start,
                    l.segments
                ),
                None => eprintln!(
                    "{name}: lost bytes {}.. to the unknown end of the original (segment {})",
                    l.start, l.segments
                ),
            }
        }
        if !a.common.quiet {
            eprintln!(
                "{name}: salvaged {} segments, {} written{}{}",
                report.recovered_segments,
                human(report.bytes_written),
                if report.scanned {
                    ", segments found by scanning (index unusable)"
                } else {
                    ""
                },
                if report.complete() {
                    ", nothing lost"
                } else {
                    ""
                }
            );
        }
        return Ok(if report.complete() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if let Some((start, end)) = a.range {
        let t = std::time::Instant::now();
        let mut reader =
            sigmalang::Reader::new(input_file.as_ref().unwrap()).with_context(|| name.clone())?;
        let (start, end) = (start.unwrap_or(0), end.unwrap_or(reader.len()));
        let n = sink.write(|w| {
            reader
                .copy_range(start, end, w)
                .with_context(|| name.clone())
        })?;
        if !a.common.quiet {
            eprintln!(
                "{name}: bytes {start}..{end} ({}) decoded in {:.3} s",
                human(n),
                t.elapsed().as_secs_f64()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let bar = progress::Progress::for_input(&name, input_file.as_ref(), &a.common)?;
    let tick = |read: u64, _written: u64| bar.update(read);
    let stats = sink.write(|w| {
        let r = match &input_file {
            Some(f) => sigmalang::decode(Source::File(f), w, &opts, Some(&tick)),
            None => sigmalang::decode(Source::Reader(&mut io::stdin()), w, &opts, Some(&tick)),
        };
        r.with_context(|| name.clone())
    })?;
    bar.finish();
    if a.rm && !from_stdin {
        std::fs::remove_file(&a.input).with_context(|| format!("{name}: cannot remove input"))?;
    }
    report(
        "decode",
        &name,
        &a.common,
        &stats,
        stats.bytes_out,
        stats.bytes_in,
    );
    Ok(ExitCode::SUCCESS)
}

fn verify(a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let opts = Options::new().threads(a.threads);
    let from_stdin = a.input == Path::new("-");
    let name = if from_stdin {
        "stdin".to_string()
    } else {
        a.input.display().to_string()
    };
    let file = if from_stdin {
        None
    } else {
        Some(File::open(&a.input).with_context(|| format!("{name}: cannot open"))?)
    };
    let bar = progress::Progress::for_input(&name, file.as_ref(), &a.common)?;
    let tick = |read: u64, _written: u64| bar.update(read);
    let r = match &file {
        None => sigmalang::decode(
            Source::Reader(&mut io::stdin()),
            &mut io::sink(),
            &opts,
            Some(&tick),
        ),
        Some(f) => sigmalang::decode(Source::File(f), &mut io::sink(), &opts, Some(&tick)),
    };
    bar.finish();
    match r {
        Ok(stats) => {
            if a.common.stats.is_some() {
                eprintln!(
                    "{}",
                    stats_json("verify", &name, &stats, stats.bytes_out, stats.bytes_in)
                );
            } else if !a.common.quiet {
                eprintln!(
                    "{name}: OK ({} segments, {} → {}, {:.1} MB/s)",
                    stats.segments,
                    human(stats.bytes_in),
                    human(stats.bytes_out),
                    stats.mb_per_s(stats.bytes_out)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(anyhow!(e).context(name)),
    }
}

fn info(a: InfoArgs) -> anyhow::Result<ExitCode> {
    let name = a.input.display().to_string();
    let (header, entries, encoded_len, stream_hash) = if a.input == Path::new("-") {
        // A stream has no index to seek to: walk the segment headers.
        let mut p = StreamParser::new(io::stdin());
        let h = p.header().context("stdin")?;
        let mut buf = Vec::new();
        let mut entries = Vec::new();
        let mut raw_off = 0u64;
        while let Some((sh, at)) = p.next_segment(&mut buf).context("stdin")? {
            entries.push(sigmalang::format::IndexEntry {
                raw_offset: raw_off,
                enc_offset: at,
                raw_len: sh.raw_len,
                enc_len: sh.enc_len,
                raw_hash: sh.raw_hash,
            });
            raw_off += u64::from(sh.raw_len);
        }
        let sh = stream_hash(&entries);
        (h, entries, p.offset(), sh)
    } else {
        let f = File::open(&a.input).with_context(|| format!("{name}: cannot open"))?;
        let len = f.metadata()?.len();
        use std::os::unix::fs::FileExt;
        let idx =
            Index::read_at(&|b, at| f.read_exact_at(b, at), len).with_context(|| name.clone())?;
        (
            idx.header,
            idx.entries,
            idx.encoded_len,
            idx.footer.stream_hash,
        )
    };
    let raw: u64 = entries.iter().map(|e| u64::from(e.raw_len)).sum();
    let stored = entries.iter().filter(|e| e.enc_len == e.raw_len).count();
    let ratio = if encoded_len == 0 {
        0.0
    } else {
        raw as f64 / encoded_len as f64
    };
    if a.json {
        let segs: Vec<_> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                serde_json::json!({
                    "ordinal": i, "raw_offset": e.raw_offset, "encoded_offset": e.enc_offset,
                    "raw_len": e.raw_len, "encoded_len": e.enc_len + SEGMENT_HEADER_LEN as u32,
                    "stored": e.enc_len == e.raw_len, "xxh3": format!("{:016x}", e.raw_hash),
                })
            })
            .collect();
        let v = serde_json::json!({
            "file": name, "format_version": header.version, "level": header.level,
            "segment_size": header.segment_size, "segments": entries.len(), "stored_segments": stored,
            "raw_bytes": raw, "encoded_bytes": encoded_len, "ratio": ratio,
            "stream_xxh3": format!("{stream_hash:016x}"), "segment_list": segs,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("file:           {name}");
        println!("format version: {}", header.version);
        println!("level:          {}", header.level);
        println!("segment size:   {} bytes", header.segment_size);
        println!("segments:       {} ({stored} stored raw)", entries.len());
        println!("raw size:       {raw} bytes ({})", human(raw));
        println!(
            "encoded size:   {encoded_len} bytes ({})",
            human(encoded_len)
        );
        println!("ratio:          {ratio:.3}");
        println!("stream xxh3:    {stream_hash:016x}");
        if a.common.verbose {
            println!(
                "{:>8} {:>14} {:>14} {:>10} {:>10}  xxh3",
                "segment", "raw offset", "enc offset", "raw len", "enc len"
            );
            for (i, e) in entries.iter().enumerate() {
                println!(
                    "{i:>8} {:>14} {:>14} {:>10} {:>10}  {:016x}",
                    e.raw_offset,
                    e.enc_offset,
                    e.raw_len,
                    e.enc_len as usize + SEGMENT_HEADER_LEN,
                    e.raw_hash
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The footer's stream checksum recomputed from segment hashes (for streams read without an index).
fn stream_hash(entries: &[sigmalang::format::IndexEntry]) -> u64 {
    let mut b = sigmalang::format::IndexBuilder::new(false);
    for e in entries {
        b.push(*e);
    }
    b.footer(0).stream_hash
}
