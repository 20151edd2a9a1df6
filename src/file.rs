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
        let fail = |kind, msg: &str| Error::Output {
            path: target.to_path_buf(),
            op: "create",
            source: std::io::Error::new(kind, msg),
        };
        match std::fs::metadata(target) {
            Ok(m) if m.is_dir() => Err(fail(std::io::ErrorKind::IsADirectory, "it is a directory")),
            Ok(m) if !m.is_file() => Ok(OutputFile::Direct(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(target)
                    .map_err(output_error(target, "open"))?,
            )),
            Ok(_) if !overwrite => Err(fail(
                std::io::ErrorKind::AlreadyExists,
                "it already exists (use -f to overwrite)",
            )),
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

    /// Gives the new file `like`'s modification and access times, as gzip and zstd do (no effect
    /// on a special file). Call it after the last write: a write sets the modification time.
    pub fn set_times_like(&self, like: &std::fs::Metadata) -> Result<()> {
        let OutputFile::Atomic(a) = self else {
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
        matches!(self, OutputFile::Atomic(_))
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
/// dropped uncommitted. Its name is `.<target name>.<random>.sigma-tmp`; the writing process holds
/// an exclusive lock on it, so one left behind by a killed process is recognised as stale by
/// [`remove_stale_temps`].
pub struct AtomicOutput {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
}

/// The suffix of [`AtomicOutput`]'s temporary files.
pub const TEMP_SUFFIX: &str = ".sigma-tmp";

/// The directory a path lives in (`.` for a bare name).
fn parent_dir(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Maps an I/O error on the output `path` to [`Error::Output`] naming the operation.
fn output_error<'p>(path: &'p Path, op: &'static str) -> impl FnOnce(std::io::Error) -> Error + 'p {
    move |source| Error::Output {
        path: path.to_path_buf(),
        op,
        source,
    }
}

/// Syncs the directory holding `p`, so that a new name in it (a rename) survives a power loss.
fn sync_dir_of(p: &Path) -> Result<()> {
    let dir = parent_dir(p);
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(output_error(&dir, "sync the directory"))
}

impl AtomicOutput {
    /// Creates the temporary file in `target`'s directory and locks it.
    pub fn new(target: &Path) -> Result<AtomicOutput> {
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
    pub fn set_permissions(&self, perm: std::fs::Permissions) -> Result<()> {
        self.tmp
            .as_file()
            .set_permissions(perm)
            .map_err(output_error(&self.target, "set the permissions of"))
    }

    /// Path of the temporary file (for cleanup on a signal).
    pub fn temp_path(&self) -> &Path {
        self.tmp.path()
    }

    /// The open temporary file.
    pub fn file(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }

    /// Syncs the data, renames the file into place and syncs the directory. With `overwrite` false
    /// an existing target is an error.
    pub fn commit(self, overwrite: bool) -> Result<()> {
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

/// Name of the partial output of an encode to `target`: `TARGET.partial` beside it. An encode to a
/// file writes there and renames it to `target` only when complete, so after a crash (SIGKILL, power
/// loss) the work done so far is in this file, never under the final name; `--resume` continues it.
pub fn partial_path(target: &Path) -> PathBuf {
    let mut p = target.as_os_str().to_owned();
    p.push(".partial");
    PathBuf::from(p)
}

/// The file header of the partial output of an encode to `target`, if there is one with a valid
/// header (for `--resume` to take its level and segment size).
pub fn partial_header(target: &Path) -> Option<crate::format::FileHeader> {
    let f = File::open(partial_path(target)).ok()?;
    crate::format::StreamParser::new(f).header().ok()
}

/// How much of an encode was taken over from a partial output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resumed {
    /// Segments verified and kept.
    pub segments: u64,
    /// Raw bytes they cover.
    pub raw_bytes: u64,
}

/// Removes the partial file on drop unless disarmed or asked to keep it.
struct PartialGuard<'a> {
    path: &'a Path,
    keep: bool,
    armed: bool,
}

impl Drop for PartialGuard<'_> {
    fn drop(&mut self) {
        if self.armed && !self.keep {
            let _ = std::fs::remove_file(self.path);
        }
    }
}

/// Encodes the file `input` into the regular file `target` through [`partial_path`]`(target)`.
///
/// With `resume`, an existing partial output is verified segment by segment (header and options,
/// order, payload checksums, and each segment's raw checksum against the input) and the encode
/// continues after the last intact segment; the result is byte-identical to an uninterrupted run.
/// A partial output made from other data or with other options is an error
/// ([`Error::ResumeMismatch`]). On failure the partial file is kept when `resume` is set (so the
/// next `resume` continues it) and removed otherwise. An existing `target` is replaced only with
/// `overwrite`. Another process writing the same partial file is detected with a file lock.
pub fn encode_resumable(
    input: &File,
    target: &Path,
    opts: &Options,
    resume: bool,
    overwrite: bool,
    progress: Option<Progress<'_>>,
) -> Result<(Stats, Resumed)> {
    use std::io::{Seek, SeekFrom};
    if !overwrite && target.exists() {
        return Err(Error::Output {
            path: target.to_path_buf(),
            op: "create",
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "it already exists (use -f to overwrite)",
            ),
        });
    }
    let partial = partial_path(target);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&partial)
        .map_err(output_error(&partial, "create"))?;
    if file.try_lock().is_err() {
        return Err(Error::Output {
            path: partial.clone(),
            op: "lock",
            source: std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                "it is being written by another process",
            ),
        });
    }
    let mut guard = PartialGuard {
        path: &partial,
        keep: resume,
        armed: true,
    };
    // Owner-writable while it is being written (a read-only input must not make its partial output
    // impossible to resume); the input's mode is applied just before the rename.
    let meta = input.metadata()?;
    let mode = meta.permissions();
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(mode.mode() | 0o600))
            .map_err(output_error(&partial, "set the permissions of"))?;
    }
    let point = if resume {
        verify_partial(&file, input, opts)?
    } else {
        None
    };
    let resumed = point.as_ref().map_or(Resumed::default(), |p| Resumed {
        segments: p.index.count(),
        raw_bytes: p.index.raw_len(),
    });
    let keep_len = point.as_ref().map_or(0, |p| p.written);
    file.set_len(keep_len)
        .and_then(|()| file.seek(SeekFrom::Start(keep_len)))
        .map_err(output_error(&partial, "truncate"))?;
    let stats = {
        let mut w = BufWriter::with_capacity(1 << 20, &file);
        let stats = pipeline::encode_from(Source::File(input), &mut w, opts, progress, point)?;
        w.flush().map_err(Error::Write)?;
        stats
    };
    let mut times = std::fs::FileTimes::new();
    if let Ok(t) = meta.modified() {
        times = times.set_modified(t);
    }
    file.set_times(times)
        .and_then(|()| file.set_permissions(mode))
        .and_then(|()| file.sync_all())
        .map_err(output_error(&partial, "sync"))?;
    let renamed = if overwrite {
        std::fs::rename(&partial, target)
    } else {
        // Atomic no-clobber: a hard link fails if the target appeared meanwhile.
        std::fs::hard_link(&partial, target).and_then(|()| std::fs::remove_file(&partial))
    };
    renamed.map_err(output_error(target, "rename the finished output to"))?;
    guard.armed = false;
    sync_dir_of(target)?;
    Ok((stats, resumed))
}

/// Checks a partial output against `input` and `opts`; returns where to continue (`None`: start
/// over, nothing usable was written).
fn verify_partial(partial: &File, input: &File, opts: &Options) -> Result<Option<pipeline::Span>> {
    use crate::format::{self, FileHeader, IndexBuilder, IndexEntry, StreamParser};
    use std::os::unix::fs::FileExt;
    opts.validate()?;
    let input_len = input.metadata()?.len();
    // The partial output is a stream prefix: the stream parser walks it (header, segments in
    // order, each within its limits) and stops at the first thing that is not a whole segment.
    let mut parser = StreamParser::new(partial);
    let found = match parser.header() {
        Ok(h) => h,
        Err(Error::Truncated { .. }) => return Ok(None), // not even a header: start over
        Err(Error::Io(e)) => return Err(Error::Io(e)),
        Err(e) => {
            return Err(Error::ResumeMismatch(format!(
                "the partial output is not a ΣLANG stream ({e})"
            )))
        }
    };
    let want = FileHeader::new(
        opts.get_level(),
        opts.resolved_segment_size(Some(input_len)),
    );
    if found != want {
        return Err(Error::ResumeMismatch(format!(
            "the partial output was written with level {} and segment size {}, this run uses level {} and segment size {}",
            found.level, found.segment_size, want.level, want.segment_size
        )));
    }
    let seg = u64::from(want.segment_size);
    let mut index = IndexBuilder::new(true);
    let mut written = parser.offset();
    let (mut payload, mut raw) = (Vec::new(), Vec::new());
    loop {
        let (h, at) = match parser.next_segment(&mut payload) {
            Ok(Some(segment)) => segment,
            // The index and footer of a finished-but-not-renamed run: rewritten after the segments.
            Ok(None) => break,
            Err(Error::Io(e)) => return Err(Error::Io(e)),
            // A torn or damaged segment: redo from here.
            Err(_) => break,
        };
        if format::payload_hash(&payload) != h.payload_hash {
            break;
        }
        let k = index.count();
        let raw_off = k * seg;
        let expect_len = input_len.saturating_sub(raw_off).min(seg);
        raw.resize(expect_len as usize, 0);
        input.read_exact_at(&mut raw, raw_off)?;
        if u64::from(h.raw_len) != expect_len || format::raw_hash(&raw) != h.raw_hash {
            return Err(Error::ResumeMismatch(format!(
                "segment {k} of the partial output does not match the input at byte {raw_off} (the input changed, or the partial output belongs to another file)"
            )));
        }
        index.push(IndexEntry {
            raw_offset: raw_off,
            enc_offset: at,
            raw_len: h.raw_len,
            enc_len: h.enc_len,
            raw_hash: h.raw_hash,
        });
        written = parser.offset();
    }
    Ok(Some(pipeline::Span::resume(index, written)))
}
