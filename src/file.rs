//! Path-level entry points: encode or decode one file into another, the output written through
//! [`OutputFile`] (a temporary file renamed into place only when the run succeeded).

use crate::error::{Error, Result};
use crate::options::Options;
use crate::output::OutputFile;
use crate::pipeline::{self, Progress, Source};
use crate::stats::Stats;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Runs `f` from the file `input` into `output`, which takes `input`'s permission bits.
fn run(
    input: &Path,
    output: &Path,
    opts: &Options,
    f: impl FnOnce(Source<'_>, &mut dyn Write, &Options, Option<Progress<'_>>) -> Result<Stats>,
) -> Result<Stats> {
    let src = File::open(input)?;
    let mut out = OutputFile::create(output, true)?;
    out.set_permissions(src.metadata()?.permissions())?;
    let stats = {
        let mut w = BufWriter::with_capacity(1 << 20, out.file());
        let stats = f(Source::File(&src), &mut w, opts, None)?;
        w.flush().map_err(Error::Write)?;
        stats
    };
    out.commit(true)?;
    Ok(stats)
}

/// Encodes the file `input` into `output` (replaced atomically if it exists).
pub fn encode_file(input: &Path, output: &Path, opts: &Options) -> Result<Stats> {
    run(input, output, opts, pipeline::encode)
}

/// Decodes the ΣLANG file `input` into `output` (replaced atomically if it exists).
pub fn decode_file(input: &Path, output: &Path, opts: &Options) -> Result<Stats> {
    run(input, output, opts, pipeline::decode)
}
