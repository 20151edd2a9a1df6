//! [`Encoder`]: a single-threaded `io::Write` encoder producing exactly the bytes of the parallel
//! pipeline for the same level and segment size.

use crate::codec::MatchFinder;
use crate::error::Result;
use crate::format::{FileHeader, IndexBuilder, IndexEntry, FILE_HEADER_LEN};
use crate::options::Options;
use crate::segment;
use std::io::{self, Write};

/// Encodes everything written to it into `W`. Call [`Encoder::finish`] to write the index and
/// footer: a stream that was never finished is reported as truncated by every decoder.
///
/// ```
/// use std::io::Write;
/// let mut enc = sigmalang::Encoder::new(Vec::new(), &sigmalang::Options::new()).unwrap();
/// enc.write_all(b"hello hello hello hello").unwrap();
/// let encoded = enc.finish().unwrap();
/// let mut out = Vec::new();
/// std::io::copy(&mut sigmalang::Decoder::new(&encoded[..]), &mut out).unwrap();
/// assert_eq!(out, b"hello hello hello hello");
/// ```
pub struct Encoder<W: Write> {
    inner: Option<W>,
    seg: usize,
    level: u8,
    pending: Vec<u8>,
    out: Vec<u8>,
    mf: MatchFinder,
    index: IndexBuilder,
    written: u64,
    header_done: bool,
}

impl<W: Write> Encoder<W> {
    /// An encoder with `opts`' level and segment size (`Auto` means the default size, since the
    /// length is unknown). Threads and window do not apply.
    pub fn new(inner: W, opts: &Options) -> Result<Encoder<W>> {
        opts.validate()?;
        let seg = opts.resolved_segment_size(None) as usize;
        Ok(Encoder {
            inner: Some(inner),
            seg,
            level: opts.get_level(),
            pending: Vec::with_capacity(seg),
            out: Vec::new(),
            mf: MatchFinder::new(opts.get_level()),
            index: IndexBuilder::new(true),
            written: 0,
            header_done: false,
        })
    }

    fn inner(&mut self) -> &mut W {
        self.inner.as_mut().expect("encoder used after finish")
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.header_done {
            let h = FileHeader::new(self.level, self.seg as u32).to_bytes();
            self.inner().write_all(&h)?;
            self.written = FILE_HEADER_LEN as u64;
            self.header_done = true;
        }
        Ok(())
    }

    fn flush_segment(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.header()?;
        let ordinal = u32::try_from(self.index.count())
            .map_err(|_| io::Error::other("more than 2^32 segments"))?;
        let h = segment::encode(&self.pending, ordinal, &mut self.mf, &mut self.out);
        let out = std::mem::take(&mut self.out);
        let res = self.inner().write_all(&out);
        self.out = out;
        res?;
        self.index.push(IndexEntry {
            raw_offset: self.index.raw_len(),
            enc_offset: self.written,
            raw_len: h.raw_len,
            enc_len: h.enc_len,
            raw_hash: h.raw_hash,
        });
        self.written += self.out.len() as u64;
        self.pending.clear();
        Ok(())
    }

    /// Encodes what is buffered, writes the index and footer, flushes and returns the writer.
    pub fn finish(mut self) -> Result<W> {
        self.flush_segment()?;
        self.header()?;
        let trailer = self.index.trailer_bytes(self.written);
        self.inner().write_all(&trailer)?;
        self.inner().flush()?;
        Ok(self.inner.take().expect("finish runs once"))
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.seg - self.pending.len();
        let n = room.min(buf.len());
        self.pending.extend_from_slice(&buf[..n]);
        if self.pending.len() == self.seg {
            self.flush_segment()?;
        }
        Ok(n)
    }

    /// Flushes the underlying writer. A partial segment stays buffered: segment boundaries depend
    /// only on the data, never on when `flush` is called.
    fn flush(&mut self) -> io::Result<()> {
        self.inner().flush()
    }
}
