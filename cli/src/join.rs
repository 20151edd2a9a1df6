//! `sigma join`: the parts made by `sigma encode --part K/N` into one .sigma file.

use crate::args::JoinArgs;
use crate::report::{self, note};
use crate::sink::{FileOptions, Sink};
use crate::Outcome;
use anyhow::{anyhow, bail, Context};
use std::fs::File;

pub fn run(a: JoinArgs) -> anyhow::Result<Outcome> {
    let mut files = Vec::with_capacity(a.parts.len());
    for p in &a.parts {
        let f = File::open(p).map_err(|e| anyhow!("{}: cannot open: {e}", p.display()))?;
        if !f.metadata()?.is_file() {
            bail!(
                "{}: not a regular file (parts are read at any offset)",
                p.display()
            );
        }
        files.push(f);
    }
    let mut readers: Vec<std::io::BufReader<File>> = files
        .into_iter()
        .map(|f| std::io::BufReader::with_capacity(1 << 20, f))
        .collect();
    let mut refs: Vec<&mut dyn std::io::Read> = readers
        .iter_mut()
        .map(|r| r as &mut dyn std::io::Read)
        .collect();
    let target = a.output.clone().filter(|o| o.as_os_str() != "-");
    let name = target
        .as_ref()
        .map_or("stdout".to_string(), |t| t.display().to_string());
    let sink = Sink::open(
        target,
        true,
        FileOptions {
            force: a.force,
            like: None,
            sparse: false,
            quiet: a.common.quiet,
        },
    )?;
    let stats = sink.write(|w| {
        sigmalang::join(&mut refs, w).map_err(|e| match e {
            // Name the part file by its path.
            sigmalang::Error::Part { index, source } => {
                anyhow!("{}: {source}", a.parts[index].display())
            }
            other => anyhow::Error::new(other),
        })
    })?;
    if a.rm {
        for p in &a.parts {
            std::fs::remove_file(p).with_context(|| format!("{}: cannot remove", p.display()))?;
        }
    }
    if a.common.verbose {
        note(&a.common, format!("{name}: joined {} parts", a.parts.len()));
    }
    report::print(
        &report::Run {
            cmd: "join",
            name: &name,
            stats: &stats,
            raw: stats.bytes_in,
            encoded: stats.bytes_out,
            verdict: None,
        },
        &a.common,
    );
    Ok(Outcome::default())
}
