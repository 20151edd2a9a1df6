//! Salvage: recover every intact segment of a damaged file, stream by stream.
//!
//! A file may hold several streams back to back (`cat a.sigma b.sigma`); each is recovered in turn
//! and its data follows the previous stream's in the output, as a decode would put it.
//!
//! **Finding the streams.** When every stream's footer and index are intact
//! ([`format::read_streams_at`]), the streams and their segments are located through the indexes.
//! Otherwise the whole file is scanned for the markers of file headers, segment headers and
//! footers. A segment candidate counts only if its header check value, its limits and its payload
//! checksum hold (its payload is then skipped, so markers inside it are not considered); a file
//! header or footer counts only if its check value holds. An intact file header starts a stream,
//! an intact footer ends one, and so does a short segment (only a stream's last segment is short):
//! segments after it belong to the next stream even when that stream's header and the previous
//! footer are both damaged. A stream found that way whose header, index and footer agree is still
//! read through its index; the others are recovered from the segments found in them (the first
//! intact copy of each ordinal; the segment size from the file header, or the largest segment).
//!
//! **What is authoritative.** The segments' own headers, verified by their check values, payload
//! checksums and decoded-data checksums, are. A footer or an index is a claim: it is used (for the
//! length of a lost tail, which otherwise is unknown) only when it agrees with every segment
//! recovered in its stream. A footer or index that contradicts them, an intact segment that cannot
//! be placed (a second, different segment with the same ordinal; a segment after the short segment
//! that ends its stream; one longer than the stream's segment size) is reported in
//! [`SalvageReport::inconsistent`]: the container disagreed with itself, and the report is not
//! [`complete`](SalvageReport::complete) even if no byte is known to be lost.
//!
//! **Versions.** A file header whose check value holds but whose version this build does not know,
//! or whose reserved bytes are set, is refused ([`Error::UnsupportedVersion`], [`Error::BadHeader`])
//! before anything is written, wherever it is found (at the start or, by scanning, further on):
//! salvage never reinterprets a format it does not know. A header whose check value fails is
//! damaged, not unknown: its stream is recovered from its segments. A segment whose layout (or
//! section mode) its stream's known version does not have is lost, as a decoder refuses it.
//!
//! **Output.** Recovered segments are written at their original offsets (ordinal × segment size
//! from the start of their stream's data). A lost segment between recovered ones is written as
//! zeros so that later data keeps its place; so is a lost tail of known length when more of the
//! file follows. A lost tail at the end of the file is not written (the output is cut). A lost
//! tail whose length is unknown (no footer that agrees with the segments) cannot keep later data
//! in place: later streams follow directly, and the offsets reported after it count as if that
//! loss were empty (they are offsets in the output). Input bytes in which nothing intact is found
//! (after the last stream, or between two) are such a loss too. See docs/FORMAT.md ("Salvage").

mod scan;
mod stream;

use crate::error::{Error, Result};
use crate::format::{self, Index};
use scan::Region;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;

/// A range of the original data that could not be recovered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostRange {
    /// First lost byte.
    pub start: u64,
    /// One past the last lost byte; `None` when the length of the loss is unknown (a lost tail
    /// with no footer that agrees with the segments, or bytes in which nothing was recognised).
    pub end: Option<u64>,
    /// Segments concerned. In a file of several streams, the stream is named too (`2 of the
    /// stream at byte 9400`).
    pub segments: String,
}

/// What [`salvage`] recovered.
#[derive(Clone, Debug, Default)]
pub struct SalvageReport {
    /// Segments decoded and verified.
    pub recovered_segments: u64,
    /// Bytes written to the output (recovered data plus zero fill for lost ranges that have data
    /// after them).
    pub bytes_written: u64,
    /// Lost ranges of the original, in order.
    pub lost: Vec<LostRange>,
    /// Original length, when every stream's footer survived and agrees with its segments.
    pub original_len: Option<u64>,
    /// True when segments were found by scanning (an index or footer was unusable).
    pub scanned: bool,
    /// Streams found in the file (a file may hold several back to back).
    pub streams: u64,
    /// Where the container disagreed with itself, one sentence each: a footer or an index that
    /// contradicts the segments, intact segments that could not be placed. Empty for a consistent
    /// container. Where they disagree, the segments' own verified headers were trusted.
    pub inconsistent: Vec<String>,
}

impl SalvageReport {
    /// True when every byte of the original was recovered and the container agreed with itself.
    pub fn complete(&self) -> bool {
        self.lost.is_empty() && self.inconsistent.is_empty()
    }

    /// True when the bytes of `lost` (one of [`lost`](Self::lost)) were written to the output as
    /// zeros; false when they were not written (a lost tail at the end of the output, or a loss of
    /// unknown length).
    pub fn zero_filled(&self, lost: &LostRange) -> bool {
        lost.end.is_some_and(|end| end <= self.bytes_written)
    }
}

/// Recovers what can be recovered from the encoded file `input` into `out`.
///
/// Fails, before writing anything, when the file is empty, when a file header of an unknown
/// version (or with reserved bytes set) is found, or when no stream at all can be found; I/O
/// errors of reading `input` or writing `out` end it too.
pub fn salvage(input: &File, out: &mut dyn Write) -> Result<SalvageReport> {
    salvage_with_memory_limit(input, out, crate::default_memory_limit())
}

/// [`salvage`] under a memory limit: salvage holds one segment at a time (its decoded bytes, its
/// payload and the decoder's scratch), and a file whose longest segment needs more than `bytes`
/// is refused with [`Error::MemoryLimit`] before anything is written.
pub fn salvage_with_memory_limit(
    input: &File,
    out: &mut dyn Write,
    bytes: u64,
) -> Result<SalvageReport> {
    let len = input.metadata()?.len();
    if len == 0 {
        return Err(Error::Truncated {
            offset: 0,
            what: "the file header (the file is empty)",
        });
    }
    let plan = plan(input, len)?;
    let streams = plan.iter().filter(|p| !matches!(p, Plan::Junk(..))).count();
    if streams == 0 {
        return Err(Error::CorruptSegment {
            segment: 0,
            offset: 0,
            what: "no intact segment, file header or footer found".into(),
        });
    }
    let longest = plan
        .iter()
        .map(|p| match p {
            Plan::Indexed(_, index) => index.entries.iter().map(|e| e.raw_len).max().unwrap_or(0),
            Plan::Scanned(region) => region
                .segments
                .iter()
                .map(|(h, _)| h.raw_len)
                .max()
                .unwrap_or(0),
            Plan::Junk(..) => 0,
        })
        .max()
        .unwrap_or(0) as usize;
    crate::Options::new()
        .threads(1)
        .memory_limit(bytes)
        .decode_plan_for(1, longest, longest)?;
    let total = plan.len();
    let mut s = stream::Salvager::new(input, out, streams > 1);
    s.report.streams = streams as u64;
    let mut original_len = Some(0u64);
    for (i, p) in plan.into_iter().enumerate() {
        let last = i + 1 == total;
        let known = match p {
            Plan::Indexed(start, index) => s.through_index(start, &index)?,
            Plan::Scanned(region) => {
                s.report.scanned = true;
                s.by_scanning(&region, last)?
            }
            Plan::Junk(from, to) => s.junk(from, to),
        };
        original_len = original_len.zip(known).map(|(a, b)| a + b);
    }
    s.report.original_len = original_len;
    s.finish()
}

/// How one stream (or one stretch of unrecognised bytes) is recovered.
enum Plan {
    /// Through its index: the stream's start in the file and its validated index.
    Indexed(u64, Index),
    /// From the segments found in it by scanning.
    Scanned(Region),
    /// Input bytes `from..to` in which nothing was recognised.
    Junk(u64, u64),
}

/// Locates the streams and decides how each is recovered, reading only headers, indexes and (when
/// scanning) payload checksums: an unknown version is refused here, before anything is written.
fn plan(input: &File, len: u64) -> Result<Vec<Plan>> {
    let read = |buf: &mut [u8], at: u64| input.read_exact_at(buf, at);
    scan::refuse_unknown_header(input, 0, len)?;
    let mut plan = Vec::new();
    if let Ok(streams) = format::read_streams_at(&read, len) {
        for (start, index) in streams {
            scan::refuse_unknown_header(input, start, len)?;
            let end = start + index.encoded_len;
            if stream::index_disagrees(input, start, end, &index.entries, None)?.is_some() {
                let region = scan::region_of(input, start, end, index.header, index.footer)?;
                plan.push(Plan::Scanned(region));
            } else {
                plan.push(Plan::Indexed(start, index));
            }
        }
        return Ok(plan);
    }
    for region in scan::regions(input, len)? {
        if region.is_junk() {
            plan.push(Plan::Junk(region.start, region.end));
            continue;
        }
        let indexed = match (region.header, region.footer) {
            (Some(_), Some(_)) => {
                let sub = |buf: &mut [u8], at: u64| input.read_exact_at(buf, region.start + at);
                Index::read_at(&sub, region.end - region.start).ok()
            }
            _ => None,
        };
        match indexed {
            Some(index)
                if stream::index_disagrees(
                    input,
                    region.start,
                    region.end,
                    &index.entries,
                    None,
                )?
                .is_none() =>
            {
                plan.push(Plan::Indexed(region.start, index))
            }
            _ => plan.push(Plan::Scanned(region)),
        }
    }
    Ok(plan)
}
