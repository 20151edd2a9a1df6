//! Concatenated streams: a file or byte stream may hold several complete streams back to back
//! (`cat a.sigma b.sigma > ab.sigma`), which decode to the concatenation of their contents.
//! Anything else after a footer is an error ([`Error::TrailingData`]).
//!
//! Every offset inside a stream (index entries, the footer's index offset) counts from that
//! stream's own first byte, so a footer ending at `end` tells where its stream starts:
//! `end − 40 − (16 + 32·segments) − index_offset`. [`read_streams_at`] walks a file from its end
//! backwards that way, one footer and one magic read per stream, then validates each stream's
//! index as [`Index::read_at`] does for a file of one stream.

use super::*;
use std::io::{self, Read};

/// Positional reads: fill the buffer from the given offset, or fail.
type ReadAt<'a> = &'a dyn Fn(&mut [u8], u64) -> io::Result<()>;

/// Reads and validates the index of every stream of a file of `len` bytes holding one or more
/// complete streams back to back. Returns each stream's start in the file and its [`Index`], in
/// file order; an `Index` describes its stream alone (its offsets count from that start, its
/// `encoded_len` is that stream's length).
///
/// A file of one stream costs what [`Index::read_at`] costs. Otherwise the streams are located
/// from the end of the file backwards (one footer read and one read of the file magic per stream)
/// and the first must start at byte 0; then each stream's index is read and checked. When the
/// streams do not chain back to byte 0 but something after a complete stream suggests
/// concatenation, the file is parsed front to back (segment headers, index, footer; no payload is
/// decoded) so that the error names the first place where it goes wrong, as decoding the file as
/// a byte stream would: typically [`Error::TrailingData`] at the end of the last good stream.
/// Error offsets are positions in the whole file.
pub fn read_streams_at(read_at: ReadAt<'_>, len: u64) -> Result<Vec<(u64, Index)>> {
    let first = match Index::read_at(read_at, len) {
        Ok(index) => return Ok(vec![(0, index)]),
        Err(e) if !e.is_corrupt_input() => return Err(e),
        Err(e) => e,
    };
    let mut starts = Vec::new();
    let mut end = len;
    while end > 0 {
        let Some(start) = stream_start(read_at, end) else {
            break;
        };
        starts.push(start);
        end = start;
    }
    if end == 0 && starts.len() > 1 {
        let mut streams = Vec::with_capacity(starts.len());
        let mut stream_end = len;
        for &start in &starts {
            let sub = |b: &mut [u8], at: u64| read_at(b, start + at);
            let index =
                Index::read_at(&sub, stream_end - start).map_err(|e| at_stream(e, start))?;
            streams.push((start, index));
            stream_end = start;
        }
        streams.reverse();
        return Ok(streams);
    }
    // Something follows a complete stream (found near the end of the file, or streams at the end
    // that do not chain back to byte 0): the first error in file order is the one to report. A
    // damaged file of one stream keeps the error `Index::read_at` gave, without a pass over it.
    let chain_broken = end > 0 && !starts.is_empty();
    if matches!(first, Error::TrailingData { .. }) || chain_broken {
        parse_through(read_at, len)?;
    }
    Err(first)
}

/// The start of the stream whose footer ends at `end`, if the 40 bytes before `end` are a valid
/// footer and the file magic sits where that footer places the stream's start.
fn stream_start(read_at: ReadAt<'_>, end: u64) -> Option<u64> {
    let foot_at = end.checked_sub(FOOTER_LEN as u64)?;
    let mut fb = [0u8; FOOTER_LEN];
    read_at(&mut fb, foot_at).ok()?;
    let f = Footer::parse(&fb, foot_at).ok()?;
    if f.index_offset < FILE_HEADER_LEN as u64 {
        return None;
    }
    let index_len = f
        .segments
        .checked_mul(INDEX_ENTRY_LEN as u64)?
        .checked_add(INDEX_FIXED_LEN as u64)?;
    let start = foot_at
        .checked_sub(index_len)?
        .checked_sub(f.index_offset)?;
    let mut magic = [0u8; 4];
    read_at(&mut magic, start).ok()?;
    (magic == FILE_MAGIC).then_some(start)
}

/// End offset of the last complete stream (a valid footer, its stream's start holding the file
/// magic) that ends before `len`, when data follows it: searches the last 64 KiB.
pub(super) fn find_footer_end(read_at: ReadAt<'_>, len: u64) -> Option<u64> {
    let span = len.min(64 << 10);
    let mut tail = vec![0u8; span as usize];
    read_at(&mut tail, len - span).ok()?;
    let base = len - span;
    (0..tail.len().saturating_sub(FOOTER_LEN))
        .rev()
        .find_map(|p| {
            let fb: &[u8; FOOTER_LEN] = tail[p..p + FOOTER_LEN].try_into().ok()?;
            Footer::parse(fb, 0).ok()?;
            let end = base + (p + FOOTER_LEN) as u64;
            stream_start(read_at, end).map(|_| end)
        })
}

/// Parses the `len` bytes front to back as a byte stream would be (without decoding payloads):
/// the first error found, or `Ok` if every stream in it is complete.
fn parse_through(read_at: ReadAt<'_>, len: u64) -> Result<()> {
    struct Sequential<'a> {
        read_at: ReadAt<'a>,
        pos: u64,
        len: u64,
    }
    impl Read for Sequential<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = (buf.len() as u64).min(self.len - self.pos) as usize;
            (self.read_at)(&mut buf[..n], self.pos)?;
            self.pos += n as u64;
            Ok(n)
        }
    }
    let mut parser = StreamParser::new(Sequential {
        read_at,
        pos: 0,
        len,
    });
    let mut payload = Vec::new();
    while parser.next_segment(&mut payload)?.is_some() {}
    Ok(())
}

/// `e`, raised for a stream read on its own, as an error of the stream that starts at byte `start`
/// of a longer input: its offsets are made positions in the whole input, and a damaged file
/// header names the stream's start.
pub(crate) fn at_stream(e: Error, start: u64) -> Error {
    if start == 0 {
        return e;
    }
    match e {
        Error::Truncated { offset, what } => Error::Truncated {
            offset: offset + start,
            what,
        },
        Error::CorruptSegment {
            segment,
            offset,
            what,
        } => Error::CorruptSegment {
            segment,
            offset: offset + start,
            what,
        },
        Error::Codec {
            segment,
            offset,
            source,
        } => Error::Codec {
            segment,
            offset: offset + start,
            source,
        },
        Error::CorruptTrailer { offset, what } => Error::CorruptTrailer {
            offset: offset + start,
            what,
        },
        Error::TrailingData { offset } => Error::TrailingData {
            offset: offset + start,
        },
        Error::BadHeader { what } => Error::BadHeader {
            what: format!("{what} (the stream at byte {start})"),
        },
        other => other,
    }
}
