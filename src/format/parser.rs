//! Incremental container parser over any `Read`: header, segments, index and footer arrive through
//! reads of any size (a short read can cut any structure anywhere) and are checked as they go.
//! Memory is bounded by one segment payload; the index is verified against a running hash instead of
//! being held. After a footer, either the input ends or another complete stream follows (its own
//! header, segments, index and footer, checked the same way); anything else is an error.

use super::*;
use std::hash::Hasher as _;
use std::io::{self, Read};

/// Parses ΣLANG streams front to back: one stream, or several back to back.
pub struct StreamParser<R> {
    r: R,
    offset: u64,
    /// Where the stream being parsed starts (offsets inside a stream count from there).
    start: u64,
    header: Option<FileHeader>,
    expected: IndexBuilder,
    /// The last segment read, when it held less than the segment size (it must be the stream's
    /// last): its ordinal, offset and raw length.
    last_short: Option<(u64, u64, u32)>,
    done: bool,
}

impl<R: Read> StreamParser<R> {
    /// A parser over `r`, positioned at the start of a stream.
    pub fn new(r: R) -> StreamParser<R> {
        StreamParser {
            r,
            offset: 0,
            start: 0,
            header: None,
            expected: IndexBuilder::new(false),
            last_short: None,
            done: false,
        }
    }

    /// Encoded bytes consumed so far (from the start of the input, across streams).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Where the stream being parsed starts in the input: 0 for the first stream, the end of the
    /// previous stream's footer for each next one.
    pub fn stream_start(&self) -> u64 {
        self.start
    }

    /// Reads into `buf` until it is full or the input ends; returns the bytes read (the offset is
    /// not advanced).
    fn read_up_to(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            match self.r.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(got)
    }

    fn fill(&mut self, buf: &mut [u8], what: &'static str) -> Result<()> {
        let got = self.read_up_to(buf)?;
        if got < buf.len() {
            return Err(Error::Truncated {
                offset: self.offset + got as u64,
                what,
            });
        }
        self.offset += got as u64;
        Ok(())
    }

    /// Reads and checks the file header of the stream being parsed (once per stream).
    pub fn header(&mut self) -> Result<FileHeader> {
        if let Some(h) = self.header {
            return Ok(h);
        }
        let mut magic = [0u8; 4];
        self.fill(&mut magic, "the file header")?;
        self.header_after(magic)
    }

    /// Reads and checks the rest of a file header whose first 4 bytes, `magic`, were consumed.
    fn header_after(&mut self, magic: [u8; 4]) -> Result<FileHeader> {
        if magic != FILE_MAGIC {
            return Err(Error::BadMagic { found: magic });
        }
        let mut b = [0u8; FILE_HEADER_LEN];
        b[..4].copy_from_slice(&magic);
        self.fill(&mut b[4..], "the file header")?;
        let h = FileHeader::parse(&b).map_err(|e| streams::at_stream(e, self.start))?;
        self.header = Some(h);
        Ok(h)
    }

    /// Reads the next segment: its header is returned with its encoded offset (from the start of
    /// the input) and the payload is left in `payload` (resized). Segments of every stream come in
    /// input order; ordinals start again at 0 in each stream. `None` once the last stream's index
    /// and footer have been read and verified and the input has ended.
    pub fn next_segment(&mut self, payload: &mut Vec<u8>) -> Result<Option<(SegmentHeader, u64)>> {
        loop {
            let fh = self.header()?;
            if self.done {
                return Ok(None);
            }
            if let Some(found) = self.segment(fh, payload)? {
                return Ok(Some(found));
            }
        }
    }

    /// The next segment of the current stream; `None` after its footer (the parser is then done,
    /// or has read the next stream's header).
    fn segment(
        &mut self,
        fh: FileHeader,
        payload: &mut Vec<u8>,
    ) -> Result<Option<(SegmentHeader, u64)>> {
        let at = self.offset;
        let mut b = [0u8; SEGMENT_HEADER_LEN];
        self.fill(&mut b[..4], "the next segment header or the index")?;
        let marker: [u8; 4] = b[..4].try_into().unwrap();
        if marker == INDEX_MAGIC {
            self.trailer(at)?;
            self.next_stream()?;
            return Ok(None);
        }
        let ordinal = self.expected.count();
        if marker != SEGMENT_MAGIC {
            return Err(Error::CorruptSegment {
                segment: ordinal,
                offset: at,
                what: format!("expected a segment header or the index, found bytes {marker:02x?}"),
            });
        }
        self.fill(&mut b[4..], "a segment header")?;
        let h = SegmentHeader::parse(&b, at, fh.segment_size, Some(ordinal))?;
        let bad = |what: String| {
            Err(Error::CorruptSegment {
                segment: ordinal,
                offset: at,
                what,
            })
        };
        if u64::from(h.ordinal) != ordinal {
            return bad(format!(
                "segment header says ordinal {}, expected {ordinal}",
                h.ordinal
            ));
        }
        if let Some((k, offset, raw_len)) = self.last_short {
            return bad(format!(
                "follows segment {k} (at encoded byte {offset}), which is short ({raw_len} bytes): \
                 every segment but the last holds exactly the segment size {}",
                fh.segment_size
            ));
        }
        if let Some(what) = h.layout_error(fh.version) {
            return bad(what);
        }
        // Grow the buffer as bytes arrive: a header claiming a large payload costs memory only
        // for the bytes actually delivered (plus one chunk). The bytes it kept from the last
        // payload are read over, not zeroed first.
        let want = h.enc_len as usize;
        let mut got = 0;
        while got < want {
            let end = got + (want - got).min(1 << 20);
            if payload.len() < end {
                payload.resize(end, 0);
            }
            self.fill(&mut payload[got..end], "a segment payload")?;
            got = end;
        }
        payload.truncate(want);
        if let Some(e) = crate::segment::version_payload_error(&h, fh.version, payload, at) {
            return Err(e);
        }
        self.last_short = (h.raw_len < fh.segment_size).then_some((ordinal, at, h.raw_len));
        self.expected.push(IndexEntry {
            raw_offset: self.expected.raw_len(),
            enc_offset: at - self.start,
            raw_len: h.raw_len,
            enc_len: h.enc_len,
            raw_hash: h.raw_hash,
        });
        Ok(Some((h, at)))
    }

    /// Index (its magic already consumed at `at`) and footer.
    fn trailer(&mut self, at: u64) -> Result<()> {
        let bad = |offset, what: String| Err(Error::CorruptTrailer { offset, what });
        let (count, check) = self.expected.expected_check();
        let mut c = [0u8; 8];
        self.fill(&mut c, "the index")?;
        if u64::from_le_bytes(c) != count {
            return bad(
                at,
                format!(
                    "index lists {} segments, the stream has {count}",
                    u64::from_le_bytes(c)
                ),
            );
        }
        let mut h = Xxh3::new();
        h.write(&INDEX_MAGIC);
        let mut e = [0u8; INDEX_ENTRY_LEN];
        for _ in 0..count {
            self.fill(&mut e, "the index")?;
            h.write(&e);
        }
        h.write(&c);
        let mut stored = [0u8; 4];
        self.fill(&mut stored, "the index")?;
        if h.finish() as u32 != check || u32::from_le_bytes(stored) != check {
            return bad(at, "index does not match the segments".into());
        }
        let foot_at = self.offset;
        let mut f = [0u8; FOOTER_LEN];
        self.fill(&mut f, "the footer")?;
        let footer = Footer::parse(&f, foot_at)?;
        if let Some(what) = footer_disagreement(&footer, &self.expected.footer(at - self.start)) {
            return bad(foot_at, what);
        }
        Ok(())
    }

    /// After a footer: the end of the input (the parser is done), or the file header of the next
    /// stream. Anything else, even the first bytes of a magic, is trailing data.
    fn next_stream(&mut self) -> Result<()> {
        let end = self.offset;
        let mut magic = [0u8; 4];
        let got = self.read_up_to(&mut magic)?;
        if got == 0 {
            self.done = true;
            return Ok(());
        }
        if got < magic.len() || magic != FILE_MAGIC {
            return Err(Error::TrailingData { offset: end });
        }
        self.offset += got as u64;
        self.start = end;
        self.header = None;
        self.expected = IndexBuilder::new(false);
        self.last_short = None;
        self.header_after(magic)?;
        Ok(())
    }
}
