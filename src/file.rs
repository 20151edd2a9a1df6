//! Path-level entry points with atomic output: data goes to a temporary file beside the target and
//! is renamed into place only when the run succeeded.

use crate::error::{Error, Result};
use crate::options::Options;
use crate::pipeline::{self, Progress, Source};
use crate::stats::Stats;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Where a run's output goes when it is a path: a regular file is written atomically through
/// [`AtomicOutput`]; an existing special file (a character device such as `/dev/null`, a FIFO) is
/// written directly, since renaming over it would replace the device.
pub enum OutputFile {
    /// Temporary file renamed into place on commit.
    Atomic(AtomicOutput),
    /// An existing non-regular file, opened for writing.
    Direct(File),
}

impl OutputFile {
    /// Prepares output to `target`. An existing regular file is an error unless `overwrite`; a
    /// directory is always an error.
    pub fn create(target: &Path, overwrite: bool) -> Result<OutputFile> {
        match std::fs::metadata(target) {
            Ok(m) if m.is_dir() => Err(Error::Io(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                format!("{} is a directory", target.display()),
            ))),
            Ok(m) if !m.is_file() => Ok(OutputFile::Direct(
                std::fs::OpenOptions::new().write(true).open(target)?,
            )),
            Ok(_) if !overwrite => Err(Error::Io(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} already exists (use -f to overwrite)", target.display()),
            ))),
            _ => Ok(OutputFile::Atomic(AtomicOutput::new(target)?)),
        }
    }

    /// The temporary file's path, if there is one.
    pub fn temp_path(&self) -> Option<&Path> {
        match self {
            OutputFile::Atomic(a) => Some(a.temp_path()),
            OutputFile::Direct(_) => None,
        }
    }

    /// Sets the permissions the new file will have (no effect on a special file).
    pub fn set_permissions(&self, perm: std::fs::Permissions) -> Result<()> {
        match self {
            OutputFile::Atomic(a) => a.set_permissions(perm),
            OutputFile::Direct(_) => Ok(()),
        }
    }

    /// The open file to write to.
    pub fn file(&mut self) -> &mut File {
        match self {
            OutputFile::Atomic(a) => a.file(),
            OutputFile::Direct(f) => f,
        }
    }

    /// Finishes: renames the temporary file into place (replacing an existing regular file only if
    /// `create` was allowed to overwrite).
    pub fn commit(self, overwrite: bool) -> Result<()> {
        match self {
            OutputFile::Atomic(a) => a.commit(overwrite),
            OutputFile::Direct(_) => Ok(()),
        }
    }
}

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
    let mut out = OutputFile::create(output, true)?;
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
