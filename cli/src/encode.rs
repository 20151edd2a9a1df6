//! `sigma encode`: each input into INPUT.sigma (through a resumable `.partial` file), a named
//! output, or stdout.

use crate::args::EncodeArgs;
use crate::inputs::{self, Input, Opened, Walk};
use crate::report::{self, note};
use crate::sink::{FileOptions, Sink};
use crate::units::human;
use crate::{signals, Outcome, Usage};
use anyhow::{bail, Context};
use sigmalang::{Options, SegmentSize, Stats};
use std::path::{Path, PathBuf};

pub fn run(a: EncodeArgs, level_given: bool) -> anyhow::Result<Outcome> {
    let list = inputs::expand(&a.inputs, a.recursive, Walk::AllFiles)?;
    if list.len() > 1 && a.output.as_deref().is_some_and(|o| o != Path::new("-")) {
        bail!(Usage(
            "-o names one output: give one input, or use -c to write them all to stdout".into()
        ));
    }
    if a.part.is_some() && list.len() != 1 {
        bail!(Usage(
            "--part encodes part of one input file: give exactly one".into()
        ));
    }
    if a.resume && (a.stdout || a.output.as_deref() == Some(Path::new("-"))) {
        bail!(Usage("--resume needs an output file, not stdout".into()));
    }
    let mut outcome = Outcome::default();
    for input in list {
        if let Err(e) = input.and_then(|i| encode_one(&a, &i, level_given)) {
            outcome.failed(&e);
        }
    }
    Ok(outcome)
}

/// Where one input's encoding goes: `None` is stdout.
fn target(a: &EncodeArgs, input: &Input) -> Option<PathBuf> {
    match (&a.output, a.stdout, input) {
        (Some(o), _, _) if o != Path::new("-") => Some(o.clone()),
        (Some(_), _, _) | (None, true, _) | (None, false, Input::Stdin) => None,
        (None, false, Input::Path(p)) => {
            let mut t = p.clone().into_os_string();
            t.push(".sigma");
            if let Some((k, n)) = a.part {
                t.push(format!(".part-{k}-of-{n}"));
            }
            Some(PathBuf::from(t))
        }
    }
}

fn encode_one(a: &EncodeArgs, input: &Input, level_given: bool) -> anyhow::Result<()> {
    let name = input.name();
    if let Input::Path(p) = input {
        if !a.force && p.extension().is_some_and(|e| e == "sigma") {
            note(
                &a.common,
                format!(
                    "{name}: already has the .sigma suffix, skipped (use -f to encode it anyway)"
                ),
            );
            return Ok(());
        }
    }
    let target = target(a, input);
    let mut opened = Opened::open(input)?;
    if a.resume && opened.file().is_none() {
        bail!(Usage(format!(
            "{name}: --resume needs an input file that can be read again, not a pipe"
        )));
    }
    refuse_same_file(input, target.as_deref())?;
    let meta = opened.file().map(|f| f.metadata()).transpose()?;
    let len = meta.as_ref().map(|m| m.len());
    // --resume continues with the partial output's level and segment size unless told otherwise.
    let found = target
        .as_deref()
        .filter(|_| a.resume)
        .and_then(sigmalang::output::partial_header);
    let level = match (a.level, found) {
        (Some(l), _) if level_given => l,
        (_, Some(h)) => h.level,
        (l, None) => l.unwrap_or(sigmalang::codec::DEFAULT_LEVEL),
    };
    let segment_size = match (a.segment_size, found) {
        (Some(s), _) => s,
        (None, Some(h)) => SegmentSize::Fixed(h.segment_size),
        (None, None) => SegmentSize::Level,
    };
    let opts = fit(
        a.parallel
            .options()
            .level(level)
            .segment_size_policy(segment_size),
        len,
    );
    let bar = crate::progress::Progress::for_input(&name, opened.file(), &a.common)?;
    let tick = |read: u64, _written: u64| bar.update(read);
    let file_opts = FileOptions {
        force: a.force,
        like: meta.as_ref(),
        sparse: false,
        quiet: a.common.quiet,
    };
    if let Some((k, n)) = a.part {
        let Some(f) = opened.file() else {
            bail!(Usage(format!(
                "{name}: --part needs an input file that can be read at any offset, not a pipe"
            )));
        };
        let sink = Sink::open(target.clone(), true, file_opts)?;
        let stats = sink.write(|w| {
            sigmalang::encode_part(f, w, &opts, k, n, Some(&tick)).with_context(|| name.clone())
        })?;
        bar.finish();
        let label = format!("{name} (part {k} of {n})");
        report::print(
            &report::Run {
                cmd: "encode",
                name: &label,
                stats: &stats,
                raw: stats.bytes_in,
                encoded: stats.bytes_out,
                verdict: None,
            },
            &a.common,
        );
        return Ok(());
    }
    let stats: Stats = match (opened.file(), &target) {
        // A file into a file: through TARGET.partial, which --resume can continue.
        (Some(f), Some(t)) if is_regular_or_absent(t) => {
            let partial = sigmalang::output::partial_path(t);
            if a.resume && !partial.exists() {
                note(
                    &a.common,
                    format!(
                        "{name}: no partial output {} to resume; encoding from the start",
                        partial.display()
                    ),
                );
            }
            crate::sink::clean_stale(t, a.common.quiet);
            signals::files().partial = Some((partial, resume_command(input, t)));
            let r =
                sigmalang::output::encode_resumable(f, t, &opts, a.resume, a.force, Some(&tick));
            signals::files().partial = None;
            let (stats, resumed) = r.with_context(|| name.clone())?;
            if resumed.segments > 0 {
                note(
                    &a.common,
                    format!(
                        "{name}: resumed after {} verified segments ({} of input)",
                        resumed.segments,
                        human(resumed.raw_bytes)
                    ),
                );
            }
            stats
        }
        _ => {
            if a.resume {
                bail!(Usage(format!("{name}: --resume needs an output file")));
            }
            let sink = Sink::open(target.clone(), true, file_opts)?;
            sink.write(|w| {
                sigmalang::encode(opened.source(), w, &opts, Some(&tick))
                    .with_context(|| name.clone())
            })?
        }
    };
    bar.finish();
    if a.rm {
        match (input, &target) {
            (Input::Path(p), Some(_)) => std::fs::remove_file(p)
                .with_context(|| format!("{name}: cannot remove the input"))?,
            (Input::Path(_), None) => note(
                &a.common,
                format!("{name}: kept: --rm does not remove an input written to stdout"),
            ),
            (Input::Stdin, _) => {}
        }
    }
    report::print(
        &report::Run {
            cmd: "encode",
            name: &name,
            stats: &stats,
            raw: stats.bytes_in,
            encoded: stats.bytes_out,
            verdict: None,
        },
        &a.common,
    );
    Ok(())
}

/// `opts` with threads and window no larger than an input of `len` bytes can use (one thread per
/// segment at most). The output does not depend on either.
pub fn fit(opts: Options, len: Option<u64>) -> Options {
    let Some(len) = len else { return opts };
    let segments = len
        .div_ceil(u64::from(opts.resolved_segment_size(Some(len))))
        .max(1);
    let cap = usize::try_from(segments).unwrap_or(usize::MAX);
    let threads = opts.resolved_threads().min(cap);
    let window = opts.resolved_window().min(cap.max(threads));
    opts.threads(threads).window(window)
}

/// The command that continues an interrupted encode of `input` into `target`.
fn resume_command(input: &Input, target: &Path) -> String {
    let Input::Path(p) = input else {
        return String::new();
    };
    let mut cmd = format!("sigma encode --resume {}", quote(p));
    let mut default = p.clone().into_os_string();
    default.push(".sigma");
    if target != Path::new(&default) {
        cmd.push_str(&format!(" -o {}", quote(target)));
    }
    cmd
}

/// `p` as a shell word.
fn quote(p: &Path) -> String {
    let s = p.to_string_lossy();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:=@%".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Refuses an output that is the input itself (same device and inode, e.g. `-o a a`): writing it
/// would destroy the input, and `--rm` would then delete the only copy.
pub fn refuse_same_file(input: &Input, output: Option<&Path>) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    if let (Input::Path(i), Some(o)) = (input, output) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_and_window_fit_the_input() {
        let o = Options::new().threads(1000).window(4000).segment_size(4096);
        let f = fit(o.clone(), Some(3 * 4096 + 1));
        assert_eq!((f.resolved_threads(), f.resolved_window()), (4, 4));
        let f = fit(o.clone(), Some(0));
        assert_eq!((f.resolved_threads(), f.resolved_window()), (1, 1));
        let f = fit(o.clone(), None);
        assert_eq!((f.resolved_threads(), f.resolved_window()), (1000, 4000));
        let f = fit(Options::new().threads(2).segment_size(4096), Some(1 << 30));
        assert_eq!((f.resolved_threads(), f.resolved_window()), (2, 4));
    }

    #[test]
    fn resume_commands_are_shell_words() {
        assert_eq!(quote(Path::new("a/b.tar")), "a/b.tar");
        assert_eq!(quote(Path::new("my file")), "'my file'");
        assert_eq!(quote(Path::new("it's")), r"'it'\''s'");
        let i = Input::Path("x".into());
        assert_eq!(
            resume_command(&i, Path::new("x.sigma")),
            "sigma encode --resume x"
        );
        assert_eq!(
            resume_command(&i, Path::new("o")),
            "sigma encode --resume x -o o"
        );
    }
}
