//! Path-level entry points with atomic output: data goes to a temporary file beside the target and
//! is renamed into place only when the run succeeded.

use crate::error::{Error, Result};
use crate::options::Options;
use crate::pipeline::{self, Progress, Source};
use crate::stats::Stats;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A temporary file beside `target`, renamed over it by [`AtomicOutput::commit`] and removed when
/// dropped uncommitted. Its name is `.<target name>.<random>.sigma-tmp`.
pub struct AtomicOutput {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
}

impl AtomicOutput {
    /// Creates the temporary file in `target`'s directory.
    pub fn new(target: &Path) -> Result<AtomicOutput> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".sigma-tmp")
            .tempfile_in(&dir)?;
        Ok(AtomicOutput {
            tmp,
            target: target.to_path_buf(),
        })
    }

    /// Sets the permission bits the file will have (the input's, as gzip and zstd do; tempfile
    /// creates it with 0600).
    pub fn set_permissions(&self, perm: std::fs::Permissions) -> Result<()> {
        self.tmp.as_file().set_permissions(perm)?;
        Ok(())
    }

    /// Path of the temporary file (for cleanup on a signal).
    pub fn temp_path(&self) -> &Path {
        self.tmp.path()
    }

    /// The open temporary file.
    pub fn file(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }

    /// Syncs and renames the file into place. With `overwrite` false an existing target is an error.
    pub fn commit(self, overwrite: bool) -> Result<()> {
        self.tmp.as_file().sync_all()?;
        let res = if overwrite {
            self.tmp.persist(&self.target).map(|_| ())
        } else {
            self.tmp.persist_noclobber(&self.target).map(|_| ())
        };
        res.map_err(|e| Error::Io(e.error))
    }
}

fn run(
    input: &Path,
    output: &Path,
    opts: &Options,
    f: impl FnOnce(Source<'_>, &mut dyn Write, &Options, Option<Progress<'_>>) -> Result<Stats>,
) -> Result<Stats> {
    let src = File::open(input)?;
    let mut out = AtomicOutput::new(output)?;
    out.set_permissions(src.metadata()?.permissions())?;
    let stats = {
        let mut w = BufWriter::with_capacity(1 << 20, out.file());
        let stats = f(Source::File(&src), &mut w, opts, None)?;
        w.flush()?;
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
