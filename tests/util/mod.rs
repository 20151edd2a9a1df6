//! Shared helpers for the integration tests: deterministic data generators, readers that misbehave
//! in controlled ways, helpers over the container layout, and [`Sigma`], a temporary directory in
//! which the real `sigma` binary is run (in the spirit of ripgrep's `tests/util.rs`).
//!
//! Every test file includes this module with `mod util;` and uses only part of it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{self, Command, Stdio};

use sigmalang::{Options, Source};

mod data;
pub use data::*;

// ---------------------------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------------------------

/// Returns at most `max` bytes per `read` call (and fewer now and then).
pub struct SplitReader<R> {
    inner: R,
    max: usize,
    calls: usize,
}

impl<R: Read> SplitReader<R> {
    pub fn new(inner: R, max: usize) -> SplitReader<R> {
        assert!(max > 0);
        SplitReader {
            inner,
            max,
            calls: 0,
        }
    }
}

impl<R: Read> Read for SplitReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        // Every fifth call is one byte shorter (when that still reads something).
        let mut n = self.max.min(buf.len());
        if self.calls.is_multiple_of(5) && n > 1 {
            n -= 1;
        }
        self.inner.read(&mut buf[..n])
    }
}

/// Fails with `io::ErrorKind::Interrupted` on every `every`-th call, otherwise reads at most `max`.
pub struct InterruptingReader<R> {
    inner: R,
    every: usize,
    max: usize,
    calls: usize,
    pub interruptions: usize,
}

impl<R: Read> InterruptingReader<R> {
    pub fn new(inner: R, every: usize, max: usize) -> InterruptingReader<R> {
        InterruptingReader {
            inner,
            every,
            max,
            calls: 0,
            interruptions: 0,
        }
    }
}

impl<R: Read> Read for InterruptingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(self.every) {
            self.interruptions += 1;
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "test interruption",
            ));
        }
        let n = self.max.min(buf.len());
        self.inner.read(&mut buf[..n])
    }
}

// ---------------------------------------------------------------------------------------------
// Library shortcuts
// ---------------------------------------------------------------------------------------------

/// Options used by most tests: `threads` workers, `level`, fixed `seg` size.
pub fn opts(threads: usize, level: u8, seg: u32) -> Options {
    Options::new()
        .threads(threads)
        .level(level)
        .segment_size(seg)
}

/// Encodes `data` from memory (`Source::Reader`).
pub fn encode_bytes(data: &[u8], o: &Options) -> Vec<u8> {
    let mut out = Vec::new();
    sigmalang::encode(Source::Reader(&mut &data[..]), &mut out, o, None).expect("encode");
    out
}

/// Decodes `enc` from memory (`Source::Reader`).
pub fn decode_bytes(enc: &[u8], o: &Options) -> sigmalang::Result<Vec<u8>> {
    let mut out = Vec::new();
    sigmalang::decode(Source::Reader(&mut &enc[..]), &mut out, o, None)?;
    Ok(out)
}

/// Reads all of a `Decoder` over `r`; a failure must be an `InvalidData` (or `Interrupted`/
/// `InvalidInput`) `io::Error` wrapping a `sigmalang::Error`, which is returned.
pub fn decoder_read_all<R: Read>(r: R) -> Result<Vec<u8>, sigmalang::Error> {
    let mut out = Vec::new();
    match sigmalang::Decoder::new(r).read_to_end(&mut out) {
        Ok(_) => Ok(out),
        Err(e) => Err(unwrap_io(e)),
    }
}

/// The `sigmalang::Error` inside an `io::Error` returned by `Decoder`/`Encoder`; an `io::Error`
/// that does not wrap one is returned as `Error::Io`.
pub fn unwrap_io(e: io::Error) -> sigmalang::Error {
    if e.get_ref()
        .is_some_and(|inner| inner.downcast_ref::<sigmalang::Error>().is_some())
    {
        let kind = e.kind();
        let inner = e
            .into_inner()
            .unwrap()
            .downcast::<sigmalang::Error>()
            .unwrap();
        if inner.is_corrupt_input() {
            assert_eq!(
                kind,
                io::ErrorKind::InvalidData,
                "corrupt input must be InvalidData"
            );
        }
        *inner
    } else {
        sigmalang::Error::Io(e)
    }
}

// ---------------------------------------------------------------------------------------------
// Container layout (see src/format/mod.rs)
// ---------------------------------------------------------------------------------------------

pub const FILE_HEADER_LEN: usize = 16;
pub const SEGMENT_HEADER_LEN: usize = 36;
pub const INDEX_ENTRY_LEN: usize = 32;
pub const INDEX_FIXED_LEN: usize = 16;
pub const FOOTER_LEN: usize = 40;

/// Where things are in a well-formed encoded stream.
#[derive(Clone, Debug)]
pub struct Layout {
    /// (offset of the segment header, payload length, raw length, stored) per segment.
    pub segments: Vec<SegInfo>,
    pub index_offset: usize,
    pub footer_offset: usize,
    pub len: usize,
}

#[derive(Clone, Copy, Debug)]
pub struct SegInfo {
    pub offset: usize,
    pub enc_len: usize,
    pub raw_len: usize,
    pub stored: bool,
}

impl SegInfo {
    /// One past the segment's last byte.
    pub fn end(&self) -> usize {
        self.offset + SEGMENT_HEADER_LEN + self.enc_len
    }
    pub fn payload(&self) -> std::ops::Range<usize> {
        self.offset + SEGMENT_HEADER_LEN..self.end()
    }
}

pub fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
pub fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Walks the segment headers of a valid stream and checks the overall layout arithmetic.
pub fn layout(enc: &[u8]) -> Layout {
    assert!(enc.len() >= FILE_HEADER_LEN + INDEX_FIXED_LEN + FOOTER_LEN);
    let footer_offset = enc.len() - FOOTER_LEN;
    let count = le64(enc, footer_offset + 4) as usize;
    let index_offset = le64(enc, footer_offset + 20) as usize;
    let mut segments = Vec::with_capacity(count);
    let mut at = FILE_HEADER_LEN;
    for k in 0..count {
        assert_eq!(
            &enc[at..at + 4],
            &[0xce, 0xa3, b'S', b'G'],
            "segment {k} marker"
        );
        assert_eq!(le32(enc, at + 4) as usize, k, "segment {k} ordinal");
        let s = SegInfo {
            offset: at,
            stored: enc[at + 8] & 1 != 0,
            raw_len: le32(enc, at + 12) as usize,
            enc_len: le32(enc, at + 16) as usize,
        };
        at = s.end();
        segments.push(s);
    }
    assert_eq!(at, index_offset, "segments end where the index starts");
    assert_eq!(
        index_offset + INDEX_FIXED_LEN + count * INDEX_ENTRY_LEN,
        footer_offset,
        "index size"
    );
    Layout {
        segments,
        index_offset,
        footer_offset,
        len: enc.len(),
    }
}

/// Recomputes the xxh32 check value of a segment header at `at` after it was edited.
pub fn fix_segment_header_check(enc: &mut [u8], at: usize) {
    let c = xxhash_rust::xxh32::xxh32(&enc[at..at + 32], 0);
    enc[at + 32..at + 36].copy_from_slice(&c.to_le_bytes());
}

/// Recomputes the file header check value after the header was edited.
pub fn fix_file_header_check(enc: &mut [u8]) {
    let c = xxhash_rust::xxh32::xxh32(&enc[..12], 0);
    enc[12..16].copy_from_slice(&c.to_le_bytes());
}

/// Recomputes the footer check value after the footer was edited.
pub fn fix_footer_check(enc: &mut [u8]) {
    let at = enc.len() - FOOTER_LEN;
    let c = xxhash_rust::xxh32::xxh32(&enc[at..at + 36], 0);
    enc[at + 36..at + 40].copy_from_slice(&c.to_le_bytes());
}

/// Recomputes a segment's payload check value (and then its header check) after the payload of
/// the segment at `s` was edited.
pub fn fix_payload_hash(enc: &mut [u8], s: &SegInfo) {
    let h = xxhash_rust::xxh3::xxh3_64(&enc[s.payload()]) as u32;
    enc[s.offset + 28..s.offset + 32].copy_from_slice(&h.to_le_bytes());
    fix_segment_header_check(enc, s.offset);
}

// ---------------------------------------------------------------------------------------------
// The real binary
// ---------------------------------------------------------------------------------------------

/// A temporary working directory in which `sigma` runs.
pub struct Sigma {
    dir: tempfile::TempDir,
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

impl Default for Sigma {
    fn default() -> Self {
        Sigma::new()
    }
}

impl Sigma {
    pub fn new() -> Sigma {
        Sigma {
            dir: tempfile::Builder::new()
                .prefix("sigma-test-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    pub fn bin() -> &'static Path {
        Path::new(env!("CARGO_BIN_EXE_sigma"))
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Creates (or replaces) file `name` with `data`.
    pub fn create(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.path(name);
        fs::write(&p, data).expect("write test file");
        p
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        fs::read(self.path(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.path(name).exists()
    }

    /// Every entry of the directory (hidden ones included), sorted.
    pub fn list(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(self.dir.path())
            .expect("read_dir")
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// A `sigma` command running in the directory.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = Command::new(Self::bin());
        c.current_dir(self.dir.path()).args(args);
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
}

fn to_run(out: process::Output) -> Run {
    Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Bytes and modification time of a file, to show that a run did not touch it.
pub struct Snapshot {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Its modification time.
    pub mtime: std::time::SystemTime,
}

/// Takes a [`Snapshot`] of `p`.
pub fn snapshot(p: &std::path::Path) -> Snapshot {
    Snapshot {
        bytes: std::fs::read(p).unwrap(),
        mtime: std::fs::metadata(p).unwrap().modified().unwrap(),
    }
}

/// Asserts that `p` still has the bytes and modification time of `s`.
#[track_caller]
pub fn assert_unchanged(p: &std::path::Path, s: &Snapshot) {
    let now = snapshot(p);
    assert!(now.bytes == s.bytes, "{} was modified", p.display());
    assert_eq!(now.mtime, s.mtime, "{} mtime changed", p.display());
}

impl Sigma {
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

impl Sigma {
    /// Starts `sigma args` in the background: stdin and stdout /dev/null, stderr piped.
    pub fn spawn<I, S>(&self, args: I) -> process::Child
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = self.command(args);
        c.stdin(Stdio::null()).stdout(Stdio::null());
        c.stderr(Stdio::piped()).spawn().expect("spawn sigma")
    }
}
