//! Where a command writes: stdout, or a file committed atomically (temporary file, data synced,
//! renamed, directory synced), with the input's permissions and times, holes for runs of zeros
//! when asked, and stale temporary files of killed runs cleaned from the directory first.

use crate::signals;
use anyhow::bail;
use sigmalang::output::OutputFile;
use std::fs::{File, Metadata};
use std::io::{self, IsTerminal, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A temporary file untouched this long and unlocked belongs to no running process.
const STALE_AFTER: Duration = Duration::from_secs(10);

/// How an output file is made.
pub struct FileOptions<'a> {
    /// Replace an existing file.
    pub force: bool,
    /// The input's metadata: permissions and times to copy (`None`: 0644, the time of writing).
    pub like: Option<&'a Metadata>,
    /// Write runs of zeros as holes.
    pub sparse: bool,
    /// Print no note about removed stale files.
    pub quiet: bool,
}

pub enum Sink<'a> {
    Stdout,
    File {
        out: OutputFile,
        target: PathBuf,
        opts: FileOptions<'a>,
    },
}

impl<'a> Sink<'a> {
    /// Stdout when `target` is `None` (refused for encoded data on a terminal), else a new file.
    pub fn open(
        target: Option<PathBuf>,
        encoded: bool,
        opts: FileOptions<'a>,
    ) -> anyhow::Result<Sink<'a>> {
        let Some(target) = target else {
            if encoded && io::stdout().is_terminal() {
                bail!(crate::Usage(
                    "refusing to write encoded data to a terminal (use -o FILE or redirect stdout)"
                        .into()
                ));
            }
            return Ok(Sink::Stdout);
        };
        clean_stale(&target, opts.quiet);
        // Created and registered for the signal handler under one lock.
        let mut files = signals::files();
        let out = OutputFile::create(&target, opts.force)?;
        files.temp = out.temp_path().map(Path::to_path_buf);
        drop(files);
        let perm = match opts.like {
            Some(m) => m.permissions(),
            None => std::os::unix::fs::PermissionsExt::from_mode(0o644),
        };
        out.set_permissions(perm)?;
        Ok(Sink::File { out, target, opts })
    }

    /// Runs `f` with a writer for this sink, then commits the file. A failed write is reported
    /// against the output, not the input.
    pub fn write<T>(
        self,
        f: impl FnOnce(&mut dyn Write) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        match self {
            Sink::Stdout => {
                let mut w = stdout_writer()?;
                let r = f(&mut w).map_err(|e| name_output(e, Path::new("stdout")))?;
                w.flush()
                    .map_err(|e| name_output(e.into(), Path::new("stdout")))?;
                Ok(r)
            }
            Sink::File {
                mut out,
                target,
                opts,
            } => {
                let sparse = opts.sparse && out.is_regular();
                let r = {
                    let file: &File = out.file();
                    let mut holes = Holes::new(file);
                    let mut plain = file;
                    let inner: &mut dyn Write = if sparse { &mut holes } else { &mut plain };
                    let mut w = io::BufWriter::with_capacity(1 << 20, inner);
                    let r = f(&mut w).map_err(|e| name_output(e, &target))?;
                    w.flush().map_err(|e| name_output(e.into(), &target))?;
                    drop(w);
                    holes.finish().map_err(|e| name_output(e.into(), &target))?;
                    r
                };
                if let Some(m) = opts.like {
                    out.set_times_like(m)?;
                }
                out.commit(opts.force)?;
                signals::files().temp = None;
                Ok(r)
            }
        }
    }
}

/// Removes the stale temporary files of killed runs beside `target`, with a note for each.
pub fn clean_stale(target: &Path, quiet: bool) {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    for p in sigmalang::output::remove_stale_temps(dir, STALE_AFTER) {
        if !quiet {
            eprintln!(
                "sigma: removed {}, a temporary file left by an interrupted run",
                p.display()
            );
        }
    }
}

/// An error of writing the output, named after the output (`path: cannot write: …`); other errors
/// pass through.
pub fn name_output(e: anyhow::Error, path: &Path) -> anyhow::Error {
    let io = e
        .chain()
        .find_map(|c| match c.downcast_ref::<sigmalang::Error>() {
            Some(sigmalang::Error::Write(io)) => Some(io::Error::new(io.kind(), io.to_string())),
            _ => c
                .downcast_ref::<io::Error>()
                .filter(|_| e.chain().count() == 1)
                .map(|io| io::Error::new(io.kind(), io.to_string())),
        });
    match io {
        Some(source) => sigmalang::Error::Output {
            path: path.to_path_buf(),
            op: "write",
            source,
        }
        .into(),
        None => e,
    }
}

/// Unbuffered stdout as a file: the pipeline writes whole segments, no line buffering wanted.
fn stdout_writer() -> io::Result<File> {
    use std::os::fd::AsFd;
    Ok(File::from(io::stdout().as_fd().try_clone_to_owned()?))
}

/// Writes to a new, empty file, skipping every aligned block of zeros (a hole reads back as
/// zeros); [`Holes::finish`] sets the length when the data ends in a hole.
struct Holes<'f> {
    file: &'f File,
    pos: u64,
}

const BLOCK: u64 = 4096;

impl<'f> Holes<'f> {
    fn new(file: &'f File) -> Holes<'f> {
        Holes { file, pos: 0 }
    }

    fn finish(self) -> io::Result<()> {
        if self.file.metadata()?.len() < self.pos {
            self.file.set_len(self.pos)?;
        }
        Ok(())
    }
}

impl Write for Holes<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // Pieces up to each block boundary; a whole block of zeros is skipped, and the data
        // between skipped blocks goes out in one write.
        let (mut at, mut from) = (0usize, 0usize);
        while at < buf.len() {
            let n = ((BLOCK - (self.pos + at as u64) % BLOCK) as usize).min(buf.len() - at);
            if n == BLOCK as usize && buf[at..at + n].iter().all(|&b| b == 0) {
                self.file
                    .write_all_at(&buf[from..at], self.pos + from as u64)?;
                from = at + n;
            }
            at += n;
        }
        self.file
            .write_all_at(&buf[from..], self.pos + from as u64)?;
        self.pos += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
