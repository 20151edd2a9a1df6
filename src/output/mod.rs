//! Writing a run's output to a path so that no one ever sees a half-written file under the final
//! name. The `sigma` command line writes every output file through this module; a library caller
//! that writes to paths can use it too ([`crate::encode_file`] and [`crate::decode_file`] do).
//!
//! Two mechanisms, one per file:
//!
//! * [`OutputFile`] (`atomic.rs`): the data goes to a temporary file `.NAME.XXXXXX.sigma-tmp`
//!   ([`TEMP_SUFFIX`]) beside the target, locked while it is written, synced and renamed into place
//!   only when the run succeeded, then the directory is synced. A temporary file left by a killed
//!   process is found and removed by [`remove_stale_temps`]. An existing special file (`/dev/null`,
//!   a FIFO) is written directly.
//! * [`encode_resumable`] (`resume.rs`): an encode from a file into a file writes
//!   [`partial_path`]`(target)` (`TARGET.partial`) and renames it when complete; after a crash the
//!   work done so far is in that file, and a later call with `resume` verifies it segment by
//!   segment and continues after the last intact segment ([`Resumed`] says how much was kept,
//!   [`partial_header`] reads its level and segment size).
//!
//! Errors are [`Error::Output`] naming the path and the operation that failed.

mod atomic;
mod resume;

pub use atomic::{remove_stale_temps, OutputFile, TEMP_SUFFIX};
pub use resume::{encode_resumable, partial_header, partial_path, Resumed};

use crate::error::{Error, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

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
