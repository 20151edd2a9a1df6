//! The inputs a command was given: stdin, files, and with `-r` the files under directories.

use crate::Usage;
use anyhow::{anyhow, bail};
use std::fs::File;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

/// One input.
pub enum Input {
    Stdin,
    Path(PathBuf),
}

impl Input {
    /// How it is named in messages.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "stdin".to_string(),
            Input::Path(p) => p.display().to_string(),
        }
    }
}

/// Which files a directory walk takes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Every regular file (encode).
    AllFiles,
    /// Files ending in `.sigma` (decode, verify, info).
    SigmaFiles,
}

/// The inputs in order: none given (or `-`) is stdin; a directory is walked with `recursive`
/// (sorted, symbolic links to directories not followed) and is an error without it. Errors for
/// single inputs come back in the list, so the other inputs are still processed.
pub fn expand(
    given: &[PathBuf],
    recursive: bool,
    walk: Walk,
) -> anyhow::Result<Vec<anyhow::Result<Input>>> {
    if given.is_empty() {
        return Ok(vec![Ok(Input::Stdin)]);
    }
    if given.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        bail!(Usage("stdin (`-`) can be given only once".into()));
    }
    let mut out = Vec::new();
    for p in given {
        if p.as_os_str() == "-" {
            out.push(Ok(Input::Stdin));
        } else if p.is_dir() {
            if recursive {
                walk_dir(p, walk, &mut out);
            } else {
                out.push(Err(anyhow!(
                    "{}: is a directory (use -r to process the files under it)",
                    p.display()
                )));
            }
        } else {
            out.push(Ok(Input::Path(p.clone())));
        }
    }
    Ok(out)
}

fn walk_dir(dir: &Path, walk: Walk, out: &mut Vec<anyhow::Result<Input>>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.push(Err(anyhow!(
                "{}: cannot read the directory: {e}",
                dir.display()
            )));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if m.is_dir() {
            walk_dir(&p, walk, out);
        } else if name.ends_with(sigmalang::output::TEMP_SUFFIX) || name.ends_with(".sigma.partial")
        {
            // A run's own unfinished outputs.
        } else if walk == Walk::AllFiles || name.ends_with(".sigma") {
            // Regular files, and links to them.
            if std::fs::metadata(&p).is_ok_and(|m| m.is_file()) {
                out.push(Ok(Input::Path(p)));
            }
        }
    }
}

/// An opened input: a file that can be read at any offset, or a stream (stdin, a pipe or FIFO
/// given by path, a character device), read front to back.
pub enum Opened {
    File(File),
    Stream(Box<dyn io::Read + Send>),
}

impl Opened {
    /// Opens `input`; stdin on a terminal is refused (a usage error).
    pub fn open(input: &Input) -> anyhow::Result<Opened> {
        match input {
            Input::Stdin => {
                if io::stdin().is_terminal() {
                    bail!(Usage(
                        "refusing to read data from a terminal (give an INPUT file or pipe data in)"
                            .into()
                    ));
                }
                Ok(Opened::Stream(Box::new(io::stdin())))
            }
            Input::Path(p) => {
                let f = File::open(p).map_err(|e| anyhow!("{}: cannot open: {e}", p.display()))?;
                let m = f.metadata()?;
                if m.is_dir() {
                    bail!("{}: is a directory", p.display());
                }
                if m.is_file() {
                    Ok(Opened::File(f))
                } else {
                    Ok(Opened::Stream(Box::new(f)))
                }
            }
        }
    }

    /// The file, when it can be read at any offset.
    pub fn file(&self) -> Option<&File> {
        match self {
            Opened::File(f) => Some(f),
            Opened::Stream(_) => None,
        }
    }

    /// The input as a pipeline source.
    pub fn source(&mut self) -> sigmalang::Source<'_> {
        match self {
            Opened::File(f) => sigmalang::Source::File(f),
            Opened::Stream(r) => sigmalang::Source::Reader(r.as_mut()),
        }
    }
}
