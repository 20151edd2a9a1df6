//! Decoding a file through its indexes: the segments of its streams in file order, each read and
//! decoded by a worker on its own, and the buffers that takes.

use crate::error::Result;
use crate::format::{self, FileHeader, Index, IndexEntry, SEGMENT_HEADER_LEN};
use crate::options::{input_buffer, MemoryPlan, Options};
use crate::segment;
use std::fs::File;
use std::os::unix::fs::FileExt;

/// A file of one or more streams, with a cursor over their segments.
pub(super) struct IndexedFile<'a> {
    file: &'a File,
    /// Each stream's start in the file and its validated index (at least one).
    streams: Vec<(u64, Index)>,
    stream: usize,
    next: usize,
}

/// One segment of an [`IndexedFile`], located through its stream's index.
pub(super) struct IndexedSegment<'a> {
    file: &'a File,
    /// Start of the segment's stream in the file (the entry's offsets count from there).
    base: u64,
    /// The stream's file header: the segment size and the format version the layout must fit.
    header: FileHeader,
    entry: IndexEntry,
}

/// How many buffers a decode through indexes holds, how long each is, and the memory estimate.
pub(super) struct IndexedShape {
    /// Buffers of each kind (encoded and decoded), allocated once, and workers, as the memory
    /// limit allows; its estimate is what [`crate::Stats::memory_estimate`] reports.
    pub plan: MemoryPlan,
    /// Payload bytes an encoded buffer holds (the segment header comes on top).
    pub input: usize,
    /// Raw bytes a decoded buffer holds.
    pub raw: usize,
}

impl<'a> IndexedFile<'a> {
    /// Reads and validates the indexes of every stream of `file` ([`format::read_streams_at`]).
    pub fn open(file: &'a File) -> Result<IndexedFile<'a>> {
        let read_at = |b: &mut [u8], at| file.read_exact_at(b, at);
        Ok(IndexedFile {
            file,
            streams: format::read_streams_at(&read_at, file.metadata()?.len())?,
            stream: 0,
            next: 0,
        })
    }

    /// The first stream's file header.
    pub fn header(&self) -> FileHeader {
        self.streams[0].1.header
    }

    /// Encoded length of all streams together.
    pub fn encoded_len(&self) -> u64 {
        self.streams.iter().map(|(_, i)| i.encoded_len).sum()
    }

    /// The next segment in file order and the file offset where it ends; `None` after the last.
    pub fn next_segment(&mut self) -> Option<(IndexedSegment<'a>, u64)> {
        loop {
            let (base, index) = self.streams.get(self.stream)?;
            let Some(&entry) = index.entries.get(self.next) else {
                (self.stream, self.next) = (self.stream + 1, 0);
                continue;
            };
            self.next += 1;
            let end =
                base + entry.enc_offset + SEGMENT_HEADER_LEN as u64 + u64::from(entry.enc_len);
            let segment = IndexedSegment {
                file: self.file,
                base: *base,
                header: index.header,
                entry,
            };
            return Some((segment, end));
        }
    }

    /// The buffers to decode with. One stream: [`Options::pool_shape`] for its segment size and
    /// length, as [`Options::decode_memory_estimate_for`] assumes. Several: as many buffers as the
    /// window and all their segments allow, each as long as the longest segment and the longest
    /// payload of any of them.
    pub fn shape(&self, opts: &Options) -> Result<IndexedShape> {
        let entries = || {
            self.streams
                .iter()
                .flat_map(|(_, index)| index.entries.iter())
        };
        let largest = entries().map(|e| e.enc_len).max();
        let (buffers, raw) = match &self.streams[..] {
            [(_, index)] => opts.pool_shape(index.header.segment_size, Some(index.footer.raw_len)),
            _ => (
                opts.resolved_window().min(entries().count().max(1)),
                entries().map(|e| e.raw_len as usize).max().unwrap_or(0),
            ),
        };
        let input = input_buffer(raw, largest);
        Ok(IndexedShape {
            plan: opts.decode_plan_for(buffers, raw, input)?,
            input,
            raw,
        })
    }
}

impl IndexedSegment<'_> {
    /// Reads the segment into `enc` and decodes and verifies it into `out`. Errors name positions
    /// in the whole file.
    pub fn decode(&self, enc: &mut Vec<u8>, out: &mut Vec<u8>) -> Result<()> {
        // The buffer keeps the longest length it has had (its pages are written once anyway), so
        // reading a segment does not zero-fill it first each time.
        let need = SEGMENT_HEADER_LEN + self.entry.enc_len as usize;
        if enc.len() < need {
            enc.resize(need, 0);
        }
        let enc = &mut enc[..need];
        self.file
            .read_exact_at(enc, self.base + self.entry.enc_offset)?;
        segment::decode_indexed_in(&self.entry, &self.header, enc, out)
            .map_err(|e| format::at_stream(e, self.base))
    }
}
