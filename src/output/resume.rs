//! [`encode_resumable`]: an encode from a file into a file through `TARGET.partial`, which a later
//! run verifies and continues after a crash.

use super::{output_error, sync_dir_of};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::pipeline::{self, Progress, Source};
use crate::stats::Stats;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

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
