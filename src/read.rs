//! [`Decoder`]: a streaming `io::Read` decoder over any byte source.

use crate::error::Error;
use crate::format::StreamParser;
use crate::options::Options;
use crate::segment;
use std::io::{self, Read};

/// Decodes a ΣLANG stream read from `R`, verifying every checksum, the index and the footer.
/// Several complete streams back to back decode to their contents one after the other; anything
/// else after a footer is an error. Reads of any size from `R` are fine: a header, a segment or the
/// footer may be cut anywhere.
/// Memory is one segment (payload + decoded bytes). Data of a segment is returned only after its
/// checksum has been verified; an error is returned as `io::ErrorKind::InvalidData` wrapping
/// [`Error`] (see `Error::is_corrupt_input`).
pub struct Decoder<R: Read> {
    parser: StreamParser<R>,
    payload: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    failed: bool,
    /// One thread, one segment at a time, under this memory limit.
    limit: Options,
}

impl<R: Read> Decoder<R> {
    /// A decoder reading the encoded stream from `r`, under [`crate::default_memory_limit`].
    pub fn new(r: R) -> Decoder<R> {
        Decoder::with_memory_limit(r, crate::default_memory_limit())
    }

    /// A decoder that refuses a segment whose decoding would need more than `bytes` of memory
    /// (its decoded length, its payload and the decoder's scratch) with [`Error::MemoryLimit`].
    pub fn with_memory_limit(r: R, bytes: u64) -> Decoder<R> {
        Decoder {
            parser: StreamParser::new(r),
            payload: Vec::new(),
            out: Vec::new(),
            pos: 0,
            failed: false,
            limit: Options::new().threads(1).memory_limit(bytes),
        }
    }

    fn refill(&mut self) -> Result<bool, Error> {
        match self.parser.next_segment(&mut self.payload)? {
            None => Ok(false),
            Some((h, at)) => {
                self.limit
                    .decode_plan_for(1, h.raw_len as usize, self.payload.len())?;
                segment::decode(&h, &self.payload, &mut self.out, at)?;
                self.pos = 0;
                Ok(true)
            }
        }
    }
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // After an error nothing more is returned: not the rest of a segment, not anything after.
        if self.failed {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the stream failed to decode earlier",
            ));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        while self.pos >= self.out.len() {
            match self.refill() {
                Ok(true) => {}
                Ok(false) => return Ok(0),
                Err(e) => {
                    self.failed = true;
                    self.out.clear();
                    self.pos = 0;
                    return Err(e.into());
                }
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
