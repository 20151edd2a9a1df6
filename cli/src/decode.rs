//! `sigma decode`: each input into INPUT without `.sigma`, a named output, or stdout; `--salvage`
//! and `--range` as well.

use crate::args::DecodeArgs;
use crate::encode::refuse_same_file;
use crate::inputs::{self, Input, Opened, Walk};
use crate::report::{self, note};
use crate::sink::{FileOptions, Sink};
use crate::units::{count, human};
use crate::{Outcome, Usage};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};

pub fn run(a: DecodeArgs) -> anyhow::Result<Outcome> {
    let list = inputs::expand(&a.inputs, a.recursive, Walk::SigmaFiles)?;
    if list.len() > 1 && a.output.as_deref().is_some_and(|o| o != Path::new("-")) {
        bail!(Usage(
            "-o names one output: give one input, or use -c to write them all to stdout".into()
        ));
    }
    let mut outcome = Outcome::default();
    for input in list {
        match input.and_then(|i| decode_one(&a, &i)) {
            Ok(true) => {}
            Ok(false) => outcome.lost(),
            Err(e) => outcome.failed(&e),
        }
    }
    Ok(outcome)
}

/// Where one input's decoding goes: `None` is stdout.
fn target(a: &DecodeArgs, input: &Input) -> anyhow::Result<Option<PathBuf>> {
    Ok(match (&a.output, a.stdout, input) {
        (Some(o), _, _) if o != Path::new("-") => Some(o.clone()),
        (Some(_), _, _) | (None, true, _) | (None, false, Input::Stdin) => None,
        (None, false, Input::Path(p)) => {
            let s = p.to_string_lossy();
            match s.strip_suffix(".sigma") {
                Some(stem) if !stem.is_empty() && !stem.ends_with('/') => Some(PathBuf::from(stem)),
                _ => bail!(
                    "{}: has no .sigma suffix; give an output with -o or use -c",
                    p.display()
                ),
            }
        }
    })
}

/// Decodes one input; `Ok(false)` when a salvage lost data (already reported).
fn decode_one(a: &DecodeArgs, input: &Input) -> anyhow::Result<bool> {
    let name = input.name();
    let target = target(a, input)?;
    let mut opened = Opened::open(input)?;
    refuse_same_file(input, target.as_deref())?;
    if (a.salvage || a.range.is_some()) && opened.file().is_none() {
        bail!(Usage(format!(
            "{name}: --salvage and --range need a file that can be read at any offset, not a pipe"
        )));
    }
    let meta = opened.file().map(|f| f.metadata()).transpose()?;
    let file_opts = FileOptions {
        force: a.force,
        like: meta.as_ref(),
        sparse: !a.no_sparse,
        quiet: a.common.quiet,
    };
    if let Some((start, end)) = a.range {
        let f = opened.file().expect("checked above");
        let mut reader =
            sigmalang::Reader::with_memory_limit(f, a.parallel.resolved_memory_limit())
                .with_context(|| name.clone())?;
        let len = reader.len();
        let start = start.unwrap_or(0);
        if start > len {
            bail!(Usage(format!(
                "{name}: range start {start} is past the end of the data ({len} bytes)"
            )));
        }
        // Like head and dd: a range reaching past the end stops at the end.
        let end = end.unwrap_or(len).min(len);
        let t = std::time::Instant::now();
        let sink = Sink::open(target, false, file_opts)?;
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
        return Ok(true);
    }
    if a.salvage {
        return salvage(
            a,
            &name,
            opened.file().expect("checked above"),
            target,
            file_opts,
        );
    }
    let opts = a.parallel.options();
    let bar = crate::progress::Progress::for_input(&name, opened.file(), &a.common)?;
    let tick = |read: u64, _written: u64| bar.update(read);
    let to_stdout = target.is_none();
    let sink = Sink::open(target, false, file_opts)?;
    let stats = sink.write(|w| {
        sigmalang::decode(opened.source(), w, &opts, Some(&tick)).with_context(|| name.clone())
    })?;
    bar.finish();
    if a.rm {
        match input {
            Input::Path(p) if !to_stdout => std::fs::remove_file(p)
                .with_context(|| format!("{name}: cannot remove the input"))?,
            Input::Path(_) => note(
                &a.common,
                format!("{name}: kept: --rm does not remove an input written to stdout"),
            ),
            Input::Stdin => {}
        }
    }
    report::print(
        &report::Run {
            cmd: "decode",
            name: &name,
            stats: &stats,
            raw: stats.bytes_out,
            encoded: stats.bytes_in,
            verdict: None,
        },
        &a.common,
    );
    Ok(true)
}

fn salvage(
    a: &DecodeArgs,
    name: &str,
    f: &std::fs::File,
    target: Option<PathBuf>,
    file_opts: FileOptions<'_>,
) -> anyhow::Result<bool> {
    let sink = Sink::open(target, false, file_opts)?;
    let report = sink.write(|w| {
        sigmalang::salvage_with_memory_limit(f, w, a.parallel.resolved_memory_limit())
            .with_context(|| name.to_string())
    })?;
    for l in &report.lost {
        match l.end {
            Some(end) => eprintln!(
                "{name}: lost bytes {}..{} ({} bytes, segment {}), {}",
                l.start,
                end,
                end - l.start,
                l.segments,
                if report.zero_filled(l) {
                    "written as zeros"
                } else {
                    "not written (the output ends before them)"
                }
            ),
            None if l.start >= report.bytes_written => eprintln!(
                "{name}: lost bytes {}.. to the unknown end of the original (segment {})",
                l.start, l.segments
            ),
            None => eprintln!(
                "{name}: lost bytes {}.. of unknown length (segment {}); the next stream's data \
                 follows at once, so the offsets after it are short by that length",
                l.start, l.segments
            ),
        }
    }
    for why in &report.inconsistent {
        eprintln!("{name}: the container disagrees with itself: {why}");
    }
    if !report.inconsistent.is_empty() {
        eprintln!("{name}: where they disagree, the segments' own checksums were trusted");
    }
    if !a.common.quiet {
        eprintln!(
            "{name}: salvaged {}{}, {} written{}{}",
            count(report.recovered_segments, "segment"),
            if report.streams > 1 {
                format!(" from {} streams", report.streams)
            } else {
                String::new()
            },
            human(report.bytes_written),
            if report.scanned {
                ", segments found by scanning (index unusable)"
            } else {
                ""
            },
            if report.complete() {
                ", nothing lost"
            } else if report.lost.is_empty() {
                ", the container is inconsistent"
            } else {
                ""
            }
        );
    }
    Ok(report.complete())
}
