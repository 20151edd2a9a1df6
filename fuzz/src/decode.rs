//! Decoding a stream through every public entry point ([`decode_all`]), with the reader
//! ([`ChunkReader`]) that feeds the stream readers in small, interrupted reads.

use super::declared::is_declared_content;
use sigmalang::{Decoder, Options, Source};
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;

// ---------------------------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------------------------

/// Returns at most `chunk` bytes per `read` (0 = no limit), and `Interrupted` now and then.
pub struct ChunkReader<'a> {
    data: &'a [u8],
    chunk: usize,
    calls: usize,
}

impl<'a> ChunkReader<'a> {
    /// A reader over `data` with at most `chunk` bytes per read (0 = no limit).
    pub fn new(data: &'a [u8], chunk: usize) -> ChunkReader<'a> {
        ChunkReader {
            data,
            chunk,
            calls: 0,
        }
    }
}

impl Read for ChunkReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.chunk != 0 && self.calls % 7 == 3 {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let mut n = buf.len().min(self.data.len());
        if self.chunk != 0 {
            n = n.min(self.chunk);
        }
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding through every public entry point
// ---------------------------------------------------------------------------------------------

thread_local! {
    /// One unlinked scratch file per thread for the `Source::File` path.
    static SCRATCH: RefCell<Option<File>> = const { RefCell::new(None) };
}

fn with_scratch<R>(f: impl FnOnce(&File) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let path = std::env::temp_dir().join(format!(
                "sigmalang-fuzz-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let file = File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .expect("create scratch file");
            let _ = std::fs::remove_file(&path);
            *slot = Some(file);
        }
        f(slot.as_ref().unwrap())
    })
}

/// Which entry points [`decode_all`] uses.
#[derive(Clone, Copy, Debug)]
pub struct Paths {
    /// `Decoder<R>` through `read_to_end`.
    pub decoder: bool,
    /// `sigmalang::decode(Source::Reader(..))`.
    pub reader: bool,
    /// `sigmalang::decode(Source::File(..))` (through the index).
    pub file: bool,
}

/// Decodes `stream` through the selected entry points and asserts that each one either fails or
/// returns exactly `original`, or else exactly the content `stream` declares (a stream the fuzzer
/// made valid: [`is_declared_content`]). `chunk` bounds the reads the stream readers see (0 = no
/// bound); `threads` is passed to the pipeline.
pub fn decode_all(stream: &[u8], original: &[u8], chunk: usize, threads: usize, paths: Paths) {
    if paths.decoder {
        let mut out = Vec::new();
        let r = Decoder::new(ChunkReader::new(stream, chunk)).read_to_end(&mut out);
        if r.is_ok() {
            assert!(
                out == original || is_declared_content(stream, &out),
                "Decoder accepted a damaged stream: {} bytes out, {} expected",
                out.len(),
                original.len()
            );
        }
    }
    let opts = Options::new().threads(threads);
    if paths.reader {
        let mut out = Vec::new();
        let mut rd = ChunkReader::new(stream, chunk);
        let r = sigmalang::decode(Source::Reader(&mut rd), &mut out, &opts, None);
        if r.is_ok() {
            assert!(
                out == original || is_declared_content(stream, &out),
                "decode(Source::Reader) accepted a damaged stream: {} bytes out, {} expected",
                out.len(),
                original.len()
            );
        }
    }
    if paths.file {
        with_scratch(|f| {
            f.set_len(0).expect("truncate scratch");
            f.write_all_at(stream, 0).expect("write scratch");
            let mut out = Vec::new();
            let r = sigmalang::decode(Source::File(f), &mut out, &opts, None);
            if r.is_ok() {
                assert!(
                    out == original || is_declared_content(stream, &out),
                    "decode(Source::File) accepted a damaged stream: {} bytes out, {} expected",
                    out.len(),
                    original.len()
                );
            }
        });
    }
}
