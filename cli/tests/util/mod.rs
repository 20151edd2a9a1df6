//! Helpers for the command line's tests: the library tests' helpers (`tests/util/`, re-exported
//! from here) and [`Sigma`], a temporary directory in which the real `sigma` binary is run (in the
//! spirit of ripgrep's `tests/util.rs`), with helpers for processes, signals, FIFOs and damaged
//! streams.
//!
//! Every test file here includes this module with `mod util;` (`#[macro_use] mod util;` for
//! [`has!`]) and uses only part of it. The binary is `CARGO_BIN_EXE_sigma`, which cargo sets only
//! for the tests of the package that builds it: that is why these tests live in `cli/tests/`.
// Each test file uses only part of these (and of the library helpers it re-exports).
#![allow(dead_code, unused_imports)]

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::ops::Deref;
use std::path::Path;
use std::process::{self, Command, Stdio};

#[path = "../../../tests/util/mod.rs"]
mod common;
pub use common::*;

// ---------------------------------------------------------------------------------------------
// The real binary
// ---------------------------------------------------------------------------------------------

/// A temporary working directory (a [`Scratch`], which it derefs to) in which `sigma` runs.
#[derive(Default)]
pub struct Sigma {
    scratch: Scratch,
}

impl Deref for Sigma {
    type Target = Scratch;
    fn deref(&self) -> &Scratch {
        &self.scratch
    }
}

/// What one run of `sigma` did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    /// Panics with the whole output unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit code {code}; stderr:\n{}",
            self.stderr
        );
        self
    }
    #[track_caller]
    pub fn ok(self) -> Run {
        self.expect_code(0)
    }
}

impl Sigma {
    pub fn new() -> Sigma {
        Sigma::default()
    }

    pub fn bin() -> &'static Path {
        Path::new(env!("CARGO_BIN_EXE_sigma"))
    }

    /// A `sigma` command running in the directory.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = Command::new(Self::bin());
        c.current_dir(self.dir()).args(args);
        c
    }

    /// Runs `sigma args` with stdin from /dev/null.
    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self
            .command(args)
            .stdin(Stdio::null())
            .output()
            .expect("spawn sigma");
        to_run(out)
    }

    /// Runs `sigma args` with `input` on stdin (written from a helper thread, so a large input and
    /// a large output cannot deadlock).
    pub fn run_stdin<I, S>(&self, args: I, input: &[u8]) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sigma");
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        let writer = std::thread::spawn(move || {
            // The child may exit early (an error): a broken pipe here is fine.
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().expect("wait sigma");
        writer.join().unwrap();
        to_run(out)
    }

    /// Runs `sigma` with the words of `cmd` (see [`words`]) and stdin from /dev/null.
    pub fn sh(&self, cmd: &str) -> Run {
        self.run(words(cmd))
    }

    /// [`Sigma::sh`] that must exit 0.
    #[track_caller]
    pub fn ok(&self, cmd: &str) -> Run {
        self.sh(cmd).ok()
    }

    /// Runs `sigma args` with stdin from /dev/null, the `SIGMA_*` variables of the test's own
    /// environment removed and `envs` set.
    pub fn run_env<I, S>(&self, args: I, envs: &[(&str, &str)]) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = self.command(args);
        c.env_remove("SIGMA_LEVEL")
            .env_remove("SIGMA_THREADS")
            .env_remove("SIGMA_MEMORY_LIMIT");
        for (k, v) in envs {
            c.env(k, v);
        }
        to_run(c.stdin(Stdio::null()).output().expect("spawn sigma"))
    }

    /// Starts `sigma args` in the background: stdin and stdout /dev/null, stderr piped.
    pub fn spawn<I, S>(&self, args: I) -> process::Child
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.start(args, Stdio::null())
    }

    /// [`Sigma::spawn`] fed through a pipe: stdin piped (take it from the child to write to it).
    pub fn spawn_fed<I, S>(&self, args: I) -> process::Child
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.start(args, Stdio::piped())
    }

    fn start<I, S>(&self, args: I, stdin: Stdio) -> process::Child
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = self.command(args);
        c.stdin(stdin).stdout(Stdio::null());
        c.stderr(Stdio::piped()).spawn().expect("spawn sigma")
    }
}

fn to_run(out: process::Output) -> Run {
    Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The words of a command line written as one string (`"encode -q -l 1 a"`), for names without
/// spaces.
pub fn words(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

/// A [`Run`] from the output of a `Command` built by hand.
pub fn run_of(out: process::Output) -> Run {
    to_run(out)
}

/// Asserts that the text contains every needle, and shows the text when it does not (a file that
/// uses it declares `#[macro_use] mod util;`).
#[allow(unused_macros)]
macro_rules! has {
    ($text:expr, $($needle:expr),+ $(,)?) => {{
        let t: &str = &$text;
        $(assert!(t.contains($needle), "{:?} expected in:\n{t}", $needle);)+
    }};
}

// ---------------------------------------------------------------------------------------------
// Files, processes, signals
// ---------------------------------------------------------------------------------------------

/// Bytes and modification time of a file, to show that a run did not touch it.
pub struct Snapshot {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Its modification time.
    pub mtime: std::time::SystemTime,
}

/// Takes a [`Snapshot`] of `p`.
pub fn snapshot(p: &Path) -> Snapshot {
    Snapshot {
        bytes: fs::read(p).unwrap(),
        mtime: fs::metadata(p).unwrap().modified().unwrap(),
    }
}

/// Asserts that `p` still has the bytes and modification time of `s`.
#[track_caller]
pub fn assert_unchanged(p: &Path, s: &Snapshot) {
    let now = snapshot(p);
    assert!(now.bytes == s.bytes, "{} was modified", p.display());
    assert_eq!(now.mtime, s.mtime, "{} mtime changed", p.display());
}

/// The segment size of the `cli*.rs` tests' data and library encodings (`--segment-size 4K`).
pub const CLI_SEG: u32 = 4096;

/// The input of the `cli*.rs` tests: five segments of mixed text and noise and a short one.
pub fn cli_data() -> Vec<u8> {
    mixed(5 * CLI_SEG as usize + 123, CLI_SEG as usize, 61)
}

/// What the library writes for `data` at `level` with the options the `cli*.rs` tests pass to
/// the binary (`--segment-size 4K`, one thread).
pub fn lib_encoding(data: &[u8], level: u8) -> Vec<u8> {
    encode_bytes(data, &opts(1, level, CLI_SEG))
}

/// Asserts that no temporary output (`*.sigma-tmp`) is left in the directory.
pub fn no_temp_files(sigma: &Sigma) {
    let tmp: Vec<String> = sigma
        .list()
        .into_iter()
        .filter(|n| n.ends_with(".sigma-tmp"))
        .collect();
    assert!(tmp.is_empty(), "temporary files left: {tmp:?}");
}

/// The length of `p`, 0 when it does not exist.
pub fn len_of(p: &Path) -> u64 {
    fs::metadata(p).map_or(0, |m| m.len())
}

/// Polls `f` every few milliseconds until it is true or `limit` has passed.
pub fn wait_until(limit: std::time::Duration, mut f: impl FnMut() -> bool) -> bool {
    let t = std::time::Instant::now();
    while t.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    false
}

/// Sends `signal` (`-TERM`, `-INT`) to process `pid` with the `kill` command.
pub fn send_signal(signal: &str, pid: u32) {
    let st = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status();
    assert!(st.unwrap().success(), "kill {signal} {pid}");
}

/// Makes a FIFO at `p` with the `mkfifo` command.
pub fn mkfifo(p: &Path) {
    assert!(Command::new("mkfifo").arg(p).status().unwrap().success());
}

/// Writes `data` into the FIFO `p` from a thread (opening it blocks until a reader opens it).
pub fn feed_fifo(p: &Path, data: Vec<u8>) -> std::thread::JoinHandle<()> {
    let p = p.to_path_buf();
    std::thread::spawn(move || {
        if let Ok(mut f) = fs::OpenOptions::new().write(true).open(&p) {
            let _ = f.write_all(&data);
        }
    })
}

/// Ends a [`feed_fifo`] thread whatever the reader did: a writer still waiting for a reader is
/// let through (a FIFO opened read-write never blocks on Linux) and then finds no reader.
pub fn release_fifo(p: &Path, h: std::thread::JoinHandle<()>) {
    if !h.is_finished() {
        let _ = fs::OpenOptions::new().read(true).write(true).open(p);
    }
    h.join().unwrap();
}

/// Sets the modification time of `p`.
pub fn set_mtime(p: &Path, t: std::time::SystemTime) {
    let f = fs::OpenOptions::new().write(true).open(p).unwrap();
    f.set_times(fs::FileTimes::new().set_modified(t)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Damaged streams
// ---------------------------------------------------------------------------------------------

/// Damages the payload of segment `k` of the intact stream `enc`.
pub fn corrupt_payload(enc: &mut [u8], k: usize) {
    let l = layout(enc);
    corrupt_payload_at(enc, &l, k);
}

/// Damages segment `k`'s payload; `l` is the layout of the intact stream (`enc` may be cut).
pub fn corrupt_payload_at(enc: &mut [u8], l: &Layout, k: usize) {
    let p = l.segments[k].payload();
    let mid = p.start + (p.end - p.start) / 2;
    for b in &mut enc[mid..mid + 8] {
        *b ^= 0xa5;
    }
}
