//! [`OutputFile`]: a temporary file beside the target, renamed into place on commit; and the
//! removal of the temporary files that killed runs left behind.

use super::{output_error, parent_dir, sync_dir_of};
use crate::error::{Error, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Where a run's output goes when it is a path: a regular file is written to a temporary file
/// beside it, renamed into place by [`OutputFile::commit`] and removed if dropped uncommitted; an
/// existing special file (a character device such as `/dev/null`, a FIFO) is written directly,
/// since renaming over it would replace the device.
pub struct OutputFile(Kind);

enum Kind {
    /// Temporary file renamed into place on commit.
    Atomic(AtomicOutput),
    /// An existing non-regular file, opened for writing.
    Direct(File),
}

impl OutputFile {
    /// Prepares output to `target`. An existing regular file is an error unless `overwrite`; a
    /// directory is always an error.
    pub fn create(target: &Path, overwrite: bool) -> Result<OutputFile> {
        let fail = |kind, msg: &str| Error::Output {
            path: target.to_path_buf(),
            op: "create",
            source: std::io::Error::new(kind, msg),
        };
        match std::fs::metadata(target) {
            Ok(m) if m.is_dir() => Err(fail(std::io::ErrorKind::IsADirectory, "it is a directory")),
            Ok(m) if !m.is_file() => Ok(OutputFile(Kind::Direct(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(target)
                    .map_err(output_error(target, "open"))?,
            ))),
            Ok(_) if !overwrite => Err(fail(
                std::io::ErrorKind::AlreadyExists,
                "it already exists (use -f to overwrite)",
            )),
            _ => Ok(OutputFile(Kind::Atomic(AtomicOutput::new(target)?))),
        }
    }

    /// The temporary file's path, if there is one.
    pub fn temp_path(&self) -> Option<&Path> {
        match &self.0 {
            Kind::Atomic(a) => Some(a.temp_path()),
            Kind::Direct(_) => None,
        }
    }

    /// Sets the permissions the new file will have (no effect on a special file).
    pub fn set_permissions(&self, perm: std::fs::Permissions) -> Result<()> {
        match &self.0 {
            Kind::Atomic(a) => a.set_permissions(perm),
            Kind::Direct(_) => Ok(()),
        }
    }

    /// Gives the new file `like`'s modification and access times, as gzip and zstd do (no effect
    /// on a special file). Call it after the last write: a write sets the modification time.
    pub fn set_times_like(&self, like: &std::fs::Metadata) -> Result<()> {
        let Kind::Atomic(a) = &self.0 else {
            return Ok(());
        };
        let mut times = std::fs::FileTimes::new();
        if let Ok(t) = like.modified() {
            times = times.set_modified(t);
        }
        if let Ok(t) = like.accessed() {
            times = times.set_accessed(t);
        }
        a.tmp
            .as_file()
            .set_times(times)
            .map_err(output_error(&a.target, "set the times of"))
    }

    /// True when the output is a new regular file (which may hold holes), not a device or FIFO.
    pub fn is_regular(&self) -> bool {
        matches!(self.0, Kind::Atomic(_))
    }

    /// The open file to write to.
    pub fn file(&mut self) -> &mut File {
        match &mut self.0 {
            Kind::Atomic(a) => a.file(),
            Kind::Direct(f) => f,
        }
    }

    /// Finishes: renames the temporary file into place (replacing an existing regular file only if
    /// `create` was allowed to overwrite).
    pub fn commit(self, overwrite: bool) -> Result<()> {
        match self.0 {
            Kind::Atomic(a) => a.commit(overwrite),
            Kind::Direct(_) => Ok(()),
        }
    }
}

/// A temporary file beside `target`, renamed over it by [`AtomicOutput::commit`] and removed when
/// dropped uncommitted. Its name is `.<target name>.<random>.sigma-tmp`; the writing process holds
/// an exclusive lock on it, so one left behind by a killed process is recognised as stale by
/// [`remove_stale_temps`].
struct AtomicOutput {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
}

/// The suffix of the temporary files of [`OutputFile`].
pub const TEMP_SUFFIX: &str = ".sigma-tmp";

impl AtomicOutput {
    /// Creates the temporary file in `target`'s directory and locks it.
    fn new(target: &Path) -> Result<AtomicOutput> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(TEMP_SUFFIX)
            .tempfile_in(parent_dir(target))
            .map_err(output_error(target, "create a temporary file for"))?;
        // A file system without locks only loses the stale-file check.
        let _ = tmp.as_file().try_lock();
        Ok(AtomicOutput {
            tmp,
            target: target.to_path_buf(),
        })
    }

    /// Sets the permission bits the file will have (the input's, as gzip and zstd do; tempfile
    /// creates it with 0600).
    fn set_permissions(&self, perm: std::fs::Permissions) -> Result<()> {
        self.tmp
            .as_file()
            .set_permissions(perm)
            .map_err(output_error(&self.target, "set the permissions of"))
    }

    /// Path of the temporary file (for cleanup on a signal).
    fn temp_path(&self) -> &Path {
        self.tmp.path()
    }

    /// The open temporary file.
    fn file(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }

    /// Syncs the data, renames the file into place and syncs the directory. With `overwrite` false
    /// an existing target is an error.
    fn commit(self, overwrite: bool) -> Result<()> {
        self.tmp
            .as_file()
            .sync_all()
            .map_err(output_error(&self.target, "sync"))?;
        let target = self.target;
        let res = if overwrite {
            self.tmp.persist(&target).map(|_| ())
        } else {
            self.tmp.persist_noclobber(&target).map(|_| ())
        };
        res.map_err(|e| Error::Output {
            path: target.clone(),
            op: "rename the finished output to",
            source: e.error,
        })?;
        sync_dir_of(&target)
    }
}

/// Removes the temporary files in `dir` that a killed run left behind (SIGKILL, a crash, a power
/// loss) and returns their paths: files named `.*.sigma-tmp` that no process holds locked and that
/// were last written more than `min_age` ago (a run that has just created its file has not locked
/// it yet).
pub fn remove_stale_temps(dir: &Path, min_age: std::time::Duration) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with('.') && name.ends_with(TEMP_SUFFIX)) {
            continue;
        }
        let path = e.path();
        let Ok(f) = std::fs::OpenOptions::new().read(true).open(&path) else {
            continue;
        };
        let old = f
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= min_age);
        if old && f.try_lock().is_ok() && std::fs::remove_file(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}
