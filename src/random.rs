//! Random access: [`Reader`] implements `Read + Seek` over an encoded stream through its index, and
//! touches only the segments that cover the bytes asked for. An input of several streams back to
//! back reads as the concatenation of their contents.

use crate::error::{Error, Result};
use crate::format::{self, Index, SEGMENT_HEADER_LEN};
use crate::segment;
use std::cell::RefCell;
use std::io::{self, Read, Seek, SeekFrom, Write};

/// Reads the original bytes of an encoded stream at any position. Opening costs one read of the
/// header, one of the footer and one of the index; each segment is then read and verified when a
/// read first needs it (the last one decoded is cached). An input holding several streams back to
/// back (docs/FORMAT.md, "Concatenated streams") reads as the concatenation of their contents:
/// positions count in that concatenation, and opening reads every stream's index
/// ([`format::read_streams_at`]).
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
    /// Each stream's start in the input and its index, in input order (at least one).
    streams: Vec<(u64, Index)>,
    /// Where each stream's data starts in the concatenated original, then the total length.
    raw_starts: Vec<u64>,
    pos: u64,
    /// (stream, segment) of the segment in `out`.
    cached: Option<(usize, usize)>,
    enc: Vec<u8>,
    out: Vec<u8>,
}

impl<R: Read + Seek> Reader<R> {
    /// Opens an encoded stream (or several back to back), reading and validating its header,
    /// footer and index, under [`crate::default_memory_limit`].
    pub fn new(inner: R) -> Result<Reader<R>> {
        Reader::with_memory_limit(inner, crate::default_memory_limit())
    }

    /// [`Reader::new`], refusing with [`Error::MemoryLimit`] a file whose longest segment (its
    /// decoded bytes, its payload and the decoder's scratch) needs more than `bytes` of memory.
    pub fn with_memory_limit(mut inner: R, bytes: u64) -> Result<Reader<R>> {
        let len = inner.seek(SeekFrom::End(0))?;
        let cell = RefCell::new(&mut inner);
        let streams = format::read_streams_at(
            &|buf, at| {
                let mut r = cell.borrow_mut();
                r.seek(SeekFrom::Start(at))?;
                r.read_exact(buf)
            },
            len,
        )?;
        let entries = || streams.iter().flat_map(|(_, index)| index.entries.iter());
        let raw = entries().map(|e| e.raw_len as usize).max().unwrap_or(0);
        let payload = entries().map(|e| e.enc_len as usize).max().unwrap_or(0);
        crate::Options::new()
            .threads(1)
            .memory_limit(bytes)
            .decode_plan_for(1, raw, payload)?;
        let mut raw_starts = vec![0];
        for (_, index) in &streams {
            raw_starts.push(raw_starts[raw_starts.len() - 1] + index.footer.raw_len);
        }
        Ok(Reader {
            inner,
            streams,
            raw_starts,
            pos: 0,
            cached: None,
            enc: Vec::new(),
            out: Vec::new(),
        })
    }

    /// Length of the original data (of all streams together).
    pub fn len(&self) -> u64 {
        self.raw_starts[self.streams.len()]
    }

    /// True when the original data is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The validated index of the first stream (the only one in an input of one stream).
    pub fn index(&self) -> &Index {
        &self.streams[0].1
    }

    /// Every stream's start in the input and its validated index, in input order.
    pub fn streams(&self) -> &[(u64, Index)] {
        &self.streams
    }

    /// Decodes the segment holding original byte `pos` (below [`Reader::len`]) unless it is the
    /// cached one; returns where `pos` is in `out`.
    fn load_at(&mut self, pos: u64) -> Result<usize> {
        // The last stream starting at or before `pos`: empty streams before it are skipped.
        let s = self.raw_starts.partition_point(|&start| start <= pos) - 1;
        let (base, index) = &self.streams[s];
        let seg = u64::from(index.header.segment_size);
        let within = pos - self.raw_starts[s];
        let k = (within / seg) as usize;
        let off = (within - k as u64 * seg) as usize;
        if self.cached == Some((s, k)) {
            return Ok(off);
        }
        self.cached = None;
        let (base, e) = (*base, index.entries[k]);
        let at = base + e.enc_offset;
        self.enc.resize(SEGMENT_HEADER_LEN + e.enc_len as usize, 0);
        self.inner.seek(SeekFrom::Start(at))?;
        self.inner
            .read_exact(&mut self.enc)
            .map_err(|err| match err.kind() {
                io::ErrorKind::UnexpectedEof => Error::Truncated {
                    offset: at,
                    what: "a segment",
                },
                _ => Error::Io(err),
            })?;
        segment::decode_indexed_in(&e, &index.header, &self.enc, &mut self.out)
            .map_err(|err| format::at_stream(err, base))?;
        self.cached = Some((s, k));
        Ok(off)
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
        while left > 0 {
            let off = self.load_at(self.pos)?;
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
        let off = self.load_at(self.pos)?;
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
