//! Progress display on stderr: a bar on a terminal, or (with `--progress` when stderr is not a
//! terminal) one plain line every second.

use crate::units::{human, mib_per_s};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Progress {
    bar: Option<ProgressBar>,
    lines: Option<Mutex<Lines>>,
    total: Option<u64>,
    label: String,
}

struct Lines {
    start: Instant,
    last: Instant,
}

impl Progress {
    /// `total`: bytes of input expected (None for a pipe). `forced`: `--progress`. `quiet`: `-q`.
    pub fn new(label: &str, total: Option<u64>, forced: bool, quiet: bool) -> Progress {
        let tty = std::io::stderr().is_terminal();
        let mut p = Progress {
            bar: None,
            lines: None,
            total,
            label: label.to_string(),
        };
        if quiet && !forced {
            return p;
        }
        if tty {
            let bar = match total {
                Some(t) => {
                    let b = ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr());
                    b.set_style(
                        ProgressStyle::with_template(
                            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
                        )
                        .expect("valid template")
                        .progress_chars("=> "),
                    );
                    b
                }
                None => {
                    let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                    b.set_style(
                        ProgressStyle::with_template(
                            "{msg} {spinner} {bytes} {binary_bytes_per_sec}",
                        )
                        .expect("valid template"),
                    );
                    b
                }
            };
            b_init(&bar, label);
            p.bar = Some(bar);
        } else if forced {
            let now = Instant::now();
            p.lines = Some(Mutex::new(Lines {
                start: now,
                last: now,
            }));
        }
        p
    }

    /// Progress for a command reading `input` (its length is the total; `None` is a pipe), as
    /// `--progress` and `-q` ask.
    pub fn for_input(
        label: &str,
        input: Option<&std::fs::File>,
        common: &crate::args::Common,
    ) -> std::io::Result<Progress> {
        let total = match input {
            Some(f) => {
                Some(f.metadata()?.len()).filter(|_| f.metadata().is_ok_and(|m| m.is_file()))
            }
            None => None,
        };
        let quiet = common.quiet || common.no_progress;
        Ok(Progress::new(label, total, common.progress, quiet))
    }

    /// Reports that `done` bytes of input have been processed.
    pub fn update(&self, done: u64) {
        if let Some(b) = &self.bar {
            b.set_position(done);
        }
        if let Some(l) = &self.lines {
            let mut l = l.lock().unwrap();
            if l.last.elapsed() >= Duration::from_secs(1) {
                l.last = Instant::now();
                let secs = l.start.elapsed().as_secs_f64().max(1e-9);
                let rate = done as f64 / secs;
                let mut line = format!("{}: {}", self.label, human(done));
                if let Some(t) = self.total {
                    let pct = if t == 0 {
                        100.0
                    } else {
                        done as f64 * 100.0 / t as f64
                    };
                    let eta = if rate > 0.0 {
                        (t.saturating_sub(done)) as f64 / rate
                    } else {
                        0.0
                    };
                    line.push_str(&format!(" / {} ({pct:.0}%), ETA {eta:.0} s", human(t)));
                }
                line.push_str(&format!(", {}", mib_per_s(done, secs)));
                eprintln!("{line}");
            }
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

fn b_init(bar: &ProgressBar, label: &str) {
    bar.set_message(label.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
}
