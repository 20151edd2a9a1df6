//! What SIGINT, SIGTERM and SIGHUP do to a run: the temporary output is removed, the partial output
//! of a resumable encode is kept (with the command that resumes it), and the process exits with
//! 128 + the signal's number (130, 143, 129), as shells expect.

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGXFSZ};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

/// The files of the running command that a signal must deal with.
#[derive(Default)]
pub struct Files {
    /// Removed on a signal: a temporary output.
    pub temp: Option<PathBuf>,
    /// Kept on a signal, with the command line that continues it: a resumable encode's partial
    /// output.
    pub partial: Option<(PathBuf, String)>,
}

static FILES: Mutex<Files> = Mutex::new(Files {
    temp: None,
    partial: None,
});

/// The registry, locked: register a file under the same lock as its creation, so that a signal in
/// between waits for the registration.
pub fn files() -> MutexGuard<'static, Files> {
    FILES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the thread that handles the signals. SIGXFSZ (file size limit) is caught and ignored so
/// that the write fails with an error the run reports and cleans up after, instead of killing it.
pub fn install() {
    let _ = signal_hook::flag::register(SIGXFSZ, Arc::new(AtomicBool::new(false)));
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            let mut f = files();
            if let Some(p) = f.temp.take() {
                let _ = std::fs::remove_file(p);
            }
            let name = match sig {
                SIGINT => "SIGINT",
                SIGTERM => "SIGTERM",
                _ => "SIGHUP",
            };
            match f.partial.take() {
                Some((p, resume)) if useful(&p) => eprintln!(
                    "sigma: interrupted ({name}); the work done so far is kept in {}\n\
                     sigma: resume with: {resume}",
                    p.display()
                ),
                Some((p, _)) => {
                    let _ = std::fs::remove_file(p);
                    eprintln!("sigma: interrupted ({name})");
                }
                None => eprintln!("sigma: interrupted ({name})"),
            }
            std::process::exit(128 + sig);
        }
    });
}

/// A partial output worth keeping: it holds more than a file header.
fn useful(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.len() > sigmalang::format::FILE_HEADER_LEN as u64)
}
