//! Random access: [`Reader`] implements `Read + Seek` over an encoded stream through its index, and
//! touches only the segments that cover the bytes asked for.

use crate::error::{Error, Result};
use crate::format::{Index, SEGMENT_HEADER_LEN};
use crate::segment;
use std::cell::RefCell;
use std::io::{self, Read, Seek, SeekFrom, Write};

/// Reads the original bytes of an encoded stream at any position. Opening costs one read of the
/// header, one of the footer and one of the index; each segment is then read and verified when a
/// read first needs it (the last one decoded is cached).
///
/// ```
/// use std::io::{Cursor, Read, Seek, SeekFrom, Write};
/// let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
/// let opts = sigmalang::Options::new().segment_size(4096);
/// let mut enc = sigmalang::Encoder::new(Vec::new(), &opts).unwrap();
/// enc.write_all(&data).unwrap();
/// let mut r = sigmalang::Reader::new(Cursor::new(enc.finish().unwrap())).unwrap();
/// r.seek(SeekFrom::Start(10_000)).unwrap();
/// let mut buf = [0u8; 100];
/// r.read_exact(&mut buf).unwrap();
/// assert_eq!(&buf[..], &data[10_000..10_100]);
/// ```
pub struct Reader<R> {
    inner: R,
    index: Index,
    pos: u64,
    cached: Option<usize>,
    enc: Vec<u8>,
    out: Vec<u8>,
}

impl<R: Read + Seek> Reader<R> {
    /// Opens an encoded stream, reading and validating its header, footer and index.
    pub fn new(mut inner: R) -> Result<Reader<R>> {
        let len = inner.seek(SeekFrom::End(0))?;
        let cell = RefCell::new(&mut inner);
        let index = Index::read_at(
            &|buf, at| {
                let mut r = cell.borrow_mut();
                r.seek(SeekFrom::Start(at))?;
                r.read_exact(buf)
            },
            len,
        )?;
        Ok(Reader {
            inner,
            index,
            pos: 0,
            cached: None,
            enc: Vec::new(),
            out: Vec::new(),
        })
    }

    /// Length of the original data.
    pub fn len(&self) -> u64 {
        self.index.footer.raw_len
    }

    /// True when the original data is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The validated index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Reads, verifies and decodes segment `k` unless it is the cached one.
    fn load(&mut self, k: usize) -> Result<()> {
        if self.cached == Some(k) {
            return Ok(());
        }
        self.cached = None;
        let e = self.index.entries[k];
        self.enc.resize(SEGMENT_HEADER_LEN + e.enc_len as usize, 0);
        self.inner.seek(SeekFrom::Start(e.enc_offset))?;
        self.inner
            .read_exact(&mut self.enc)
            .map_err(|err| match err.kind() {
                io::ErrorKind::UnexpectedEof => Error::Truncated {
                    offset: e.enc_offset,
                    what: "a segment",
                },
                _ => Error::Io(err),
            })?;
        segment::decode_indexed(&e, self.index.header.segment_size, &self.enc, &mut self.out)?;
        self.cached = Some(k);
        Ok(())
    }

    /// Copies bytes `[start, end)` of the original to `out`, decoding only the segments that cover
    /// them. Returns the bytes written.
    pub fn copy_range(&mut self, start: u64, end: u64, out: &mut dyn Write) -> Result<u64> {
        if start > end || end > self.len() {
            return Err(Error::InvalidOption(format!(
                "range {start}..{end} is outside the data (0..{})",
                self.len()
            )));
        }
        self.pos = start;
        let mut left = end - start;
        let seg = u64::from(self.index.header.segment_size);
        while left > 0 {
            let k = (self.pos / seg) as usize;
            self.load(k)?;
            let off = (self.pos - k as u64 * seg) as usize;
            let n = (self.out.len() - off).min(left as usize);
            out.write_all(&self.out[off..off + n])?;
            self.pos += n as u64;
            left -= n as u64;
        }
        Ok(end - start)
    }
}

impl<R: Read + Seek> Read for Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos >= self.len() {
            return Ok(0);
        }
        let seg = u64::from(self.index.header.segment_size);
        let k = (self.pos / seg) as usize;
        self.load(k)?;
        let off = (self.pos - k as u64 * seg) as usize;
        let n = (self.out.len() - off).min(buf.len());
        buf[..n].copy_from_slice(&self.out[off..off + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Reader<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the data",
            )),
        }
    }
}
