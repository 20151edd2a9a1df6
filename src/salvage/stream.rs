//! Recovering one stream: through its index, or from the segments found in it by scanning, with
//! the checks that tell whether its footer and index agree with its segments.

use super::scan::Region;
use super::{LostRange, SalvageReport};
use crate::error::Result;
use crate::format::{
    Footer, Index, IndexBuilder, IndexEntry, SegmentHeader, FILE_HEADER_LEN, INDEX_ENTRY_LEN,
    INDEX_FIXED_LEN, INDEX_MAGIC, MAX_SEGMENT_SIZE, MIN_SEGMENT_SIZE, SEGMENT_HEADER_LEN,
};
use crate::segment;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;

/// Recovers streams one after the other into one output, building the report.
pub(super) struct Salvager<'a> {
    input: &'a File,
    out: &'a mut dyn Write,
    /// Name the stream in lost ranges (the file holds several).
    label: bool,
    pub report: SalvageReport,
    buf: Vec<u8>,
    enc: Vec<u8>,
}

impl<'a> Salvager<'a> {
    pub fn new(input: &'a File, out: &'a mut dyn Write, label: bool) -> Salvager<'a> {
        Salvager {
            input,
            out,
            label,
            report: SalvageReport::default(),
            buf: Vec::new(),
            enc: Vec::new(),
        }
    }

    pub fn finish(self) -> Result<SalvageReport> {
        self.out.flush()?;
        Ok(self.report)
    }

    /// Writes the segment just decoded into `buf`.
    fn data(&mut self) -> Result<()> {
        self.out.write_all(&self.buf)?;
        self.report.bytes_written += self.buf.len() as u64;
        self.report.recovered_segments += 1;
        Ok(())
    }

    fn zeros(&mut self, mut n: u64) -> Result<()> {
        let zeros = [0u8; 64 << 10];
        self.report.bytes_written += n;
        while n > 0 {
            let k = n.min(zeros.len() as u64) as usize;
            self.out.write_all(&zeros[..k])?;
            n -= k as u64;
        }
        Ok(())
    }

    /// `first..=last` (or `first`), naming the stream at `start` when the file holds several.
    fn segments(&self, first: u64, last: u64, start: u64) -> String {
        let s = if first == last {
            format!("{first}")
        } else {
            format!("{first}..={last}")
        };
        self.qualify(s, start)
    }

    fn qualify(&self, s: String, start: u64) -> String {
        if self.label {
            format!("{s} of the stream at byte {start}")
        } else {
            s
        }
    }

    /// Input bytes `from..to` in which nothing was recognised: whatever they held is lost, its
    /// length unknown.
    pub fn junk(&mut self, from: u64, to: u64) -> Option<u64> {
        self.report.lost.push(LostRange {
            start: self.report.bytes_written,
            end: None,
            segments: format!(
                "none: input bytes {from}..{to} hold no intact file header, segment or footer"
            ),
        });
        None
    }

    /// The stream at `start` through its validated index, whose entries agree with every intact
    /// segment header: a damaged segment is a lost range of known size, written as zeros.
    /// Returns the stream's length.
    pub fn through_index(&mut self, start: u64, index: &Index) -> Result<Option<u64>> {
        let base = self.report.bytes_written;
        let mut pending: Option<(u64, u64, u64, u64)> = None; // (first, last ordinal, start, end)
        for (k, e) in index.entries.iter().enumerate() {
            let k = k as u64;
            self.enc.resize(SEGMENT_HEADER_LEN + e.enc_len as usize, 0);
            let ok = self
                .input
                .read_exact_at(&mut self.enc, start + e.enc_offset)
                .is_ok()
                && segment::decode_indexed_in(e, &index.header, &self.enc, &mut self.buf).is_ok();
            if ok {
                self.flush_lost(&mut pending, start);
                self.data()?;
            } else {
                let (a, b) = (
                    base + e.raw_offset,
                    base + e.raw_offset + u64::from(e.raw_len),
                );
                pending = Some(match pending {
                    Some((first, _, a, _)) => (first, k, a, b),
                    None => (k, k, a, b),
                });
                self.zeros(u64::from(e.raw_len))?;
            }
        }
        self.flush_lost(&mut pending, start);
        Ok(Some(index.footer.raw_len))
    }

    fn flush_lost(&mut self, pending: &mut Option<(u64, u64, u64, u64)>, start: u64) {
        if let Some((first, last, a, b)) = pending.take() {
            let segments = self.segments(first, last, start);
            self.report.lost.push(LostRange {
                start: a,
                end: Some(b),
                segments,
            });
        }
    }

    /// The stream of `region` from the segments found in it. `last`: nothing of the file follows
    /// (a lost tail of known length is then cut rather than written as zeros). Returns the
    /// stream's length when its footer agrees with its segments.
    pub fn by_scanning(&mut self, region: &Region, last: bool) -> Result<Option<u64>> {
        let base = self.report.bytes_written;
        let start = region.start;
        let seg = region
            .header
            .map(|h| h.segment_size)
            .or_else(|| region.segments.iter().map(|(h, _)| h.raw_len).max());
        let mut unused = Unused::default();
        // The first intact copy of each ordinal; a later identical copy is harmless.
        let mut chosen: BTreeMap<u64, (SegmentHeader, u64)> = BTreeMap::new();
        for &(h, at) in &region.segments {
            let k = u64::from(h.ordinal);
            if seg.is_some_and(|s| h.raw_len > s) {
                unused.add(k, at, "it holds more bytes than the stream's segment size");
                continue;
            }
            match chosen.get(&k) {
                Some((c, _)) if c.raw_len == h.raw_len && c.raw_hash == h.raw_hash => {}
                Some(_) => unused.add(k, at, "an earlier segment has the same ordinal"),
                None => {
                    chosen.insert(k, (h, at));
                }
            }
        }
        let seg64 = u64::from(seg.unwrap_or(0));
        let mut next = 0u64; // next ordinal expected
        let mut pos = 0u64; // bytes of this stream written so far, zeros included
        let mut ended_by: Option<u64> = None; // the short segment that ends the stream
        let mut recovered: Vec<(u64, SegmentHeader, u64)> = Vec::new();
        let mut payload = Vec::new();
        for (&k, &(h, at)) in &chosen {
            if let Some(short) = ended_by {
                let why =
                    format!("segment {short}, shorter than the segment size, ends the stream");
                unused.add(k, at, &why);
                continue;
            }
            payload.resize(h.enc_len as usize, 0);
            self.input
                .read_exact_at(&mut payload, at + SEGMENT_HEADER_LEN as u64)?;
            // A layout or section mode that the stream's version does not have is refused as the
            // decoder refuses it; without a header the version is unknown and any is accepted.
            let illegal = region.header.is_some_and(|fh| {
                h.layout_error(fh.version).is_some()
                    || segment::version_payload_error(&h, fh.version, &payload, at).is_some()
            });
            if illegal || segment::decode(&h, &payload, &mut self.buf, at).is_err() {
                continue;
            }
            if k > next {
                let (a, b) = (next * seg64, k * seg64);
                self.report.lost.push(LostRange {
                    start: base + a,
                    end: Some(base + b),
                    segments: self.segments(next, k - 1, start),
                });
                self.zeros(b - a)?;
            }
            self.data()?;
            recovered.push((k, h, at));
            next = k + 1;
            pos = k * seg64 + u64::from(h.raw_len);
            if u64::from(h.raw_len) < seg64 {
                ended_by = Some(k);
            }
        }
        unused.report(&mut self.report.inconsistent, self.label.then_some(start));
        let footer = region.footer.and_then(|(f, at)| {
            let verdict = footer_agrees(self.input, region, f, at, seg, base, &recovered);
            match verdict {
                Ok(Ok(())) => Some(Ok(f)),
                Ok(Err(why)) => {
                    self.report.inconsistent.push(why);
                    None
                }
                Err(e) => Some(Err(e)),
            }
        });
        let footer = footer.transpose()?;
        if ended_by.is_some() {
            return Ok(footer.map(|f| f.raw_len));
        }
        match footer {
            Some(f) => {
                if pos < f.raw_len {
                    let n = f.segments;
                    self.report.lost.push(LostRange {
                        start: base + pos,
                        end: Some(base + f.raw_len),
                        segments: self.segments(next, n - 1, start),
                    });
                    if !last {
                        self.zeros(f.raw_len - pos)?;
                    }
                }
                Ok(Some(f.raw_len))
            }
            None => {
                // The last segment found was full and no footer agrees: the stream may go on.
                self.report.lost.push(LostRange {
                    start: base + pos,
                    end: None,
                    segments: self.qualify(format!("{next} onwards"), start),
                });
                Ok(None)
            }
        }
    }
}

/// Intact segments that could not be placed, grouped by reason: (reason, first ordinal, its
/// offset, how many).
#[derive(Default)]
struct Unused(Vec<(String, u64, u64, u64)>);

impl Unused {
    fn add(&mut self, k: u64, at: u64, why: &str) {
        match self.0.iter_mut().find(|(w, ..)| w == why) {
            Some(e) => e.3 += 1,
            None => self.0.push((why.to_string(), k, at, 1)),
        }
    }

    fn report(self, out: &mut Vec<String>, stream: Option<u64>) {
        for (why, k, at, n) in self.0 {
            let of = stream.map_or(String::new(), |s| format!(" of the stream at byte {s}"));
            let more = if n > 1 {
                format!(" ({} more like it)", n - 1)
            } else {
                String::new()
            };
            out.push(format!(
                "segment {k}{of} at byte {at} is intact but was not written{more}: {why}"
            ));
        }
    }
}

/// Whether the intact footer `f` (at file offset `at`) of `region` agrees with the layout, with
/// the segments recovered (`(ordinal, header, offset)`) and with the stream's index when that is
/// intact: `Ok(Err(why))` names the first disagreement. `seg` is the stream's segment size when
/// known; `base` the output offset of the stream's first byte.
fn footer_agrees(
    input: &File,
    region: &Region,
    f: Footer,
    at: u64,
    seg: Option<u32>,
    base: u64,
    recovered: &[(u64, SegmentHeader, u64)],
) -> Result<Result<(), String>> {
    let (n, len) = (f.segments, f.raw_len);
    let says = format!("the footer at byte {at} says {len} bytes in {n} segments");
    let index_len = n
        .checked_mul(INDEX_ENTRY_LEN as u64)
        .and_then(|x| x.checked_add(INDEX_FIXED_LEN as u64));
    let fits = f.index_offset >= FILE_HEADER_LEN as u64
        && index_len.and_then(|l| l.checked_add(f.index_offset)) == Some(at - region.start);
    if !fits {
        return Ok(Err(format!(
            "{says}, with its index at stream offset {}: that index does not end where the \
             footer starts",
            f.index_offset
        )));
    }
    match seg {
        Some(s) if n != len.div_ceil(u64::from(s)) => {
            return Ok(Err(format!(
                "{says}, which segments of {s} bytes cannot hold"
            )));
        }
        None if (n == 0) != (len == 0)
            || len > n.saturating_mul(u64::from(MAX_SEGMENT_SIZE))
            || n > 0 && len <= (n - 1).saturating_mul(u64::from(MIN_SEGMENT_SIZE)) =>
        {
            return Ok(Err(format!("{says}, which no segment size allows")));
        }
        _ => {}
    }
    let seg64 = u64::from(seg.unwrap_or(0));
    for &(k, h, sat) in recovered {
        let from = k * seg64;
        let want = len.saturating_sub(from).min(seg64);
        if k >= n || u64::from(h.raw_len) != want {
            return Ok(Err(format!(
                "{says}, but segment {k} at byte {sat} holds original bytes {}..{}",
                base + from,
                base + from + u64::from(h.raw_len)
            )));
        }
    }
    if recovered.len() as u64 == n && recovered.iter().zip(0..).all(|(r, k)| r.0 == k) {
        let mut hashes = IndexBuilder::new(false);
        for (k, h, _) in recovered {
            hashes.push(IndexEntry {
                raw_offset: k * seg64,
                enc_offset: 0,
                raw_len: h.raw_len,
                enc_len: h.enc_len,
                raw_hash: h.raw_hash,
            });
        }
        if hashes.footer(f.index_offset).stream_hash != f.stream_hash {
            return Ok(Err(format!(
                "{says}, but its stream checksum does not match the segments' checksums"
            )));
        }
    }
    let index_at = region.start + f.index_offset;
    if let Some(entries) = read_index(input, index_at, n)? {
        if let Some(why) = index_disagrees(input, region.start, region.end, &entries, seg)? {
            return Ok(Err(why));
        }
        let sum = entries.iter().map(|e| u64::from(e.raw_len)).sum::<u64>();
        if sum != len {
            return Ok(Err(format!(
                "{says}, but the index at byte {index_at} lists {sum} bytes"
            )));
        }
    }
    Ok(Ok(()))
}

/// The entries of the index at file offset `at` holding `n` entries, if its marker, count and
/// check value hold (`None` when it is damaged).
fn read_index(input: &File, at: u64, n: u64) -> Result<Option<Vec<IndexEntry>>> {
    let mut head = [0u8; 12];
    input.read_exact_at(&mut head, at)?;
    if head[0..4] != INDEX_MAGIC || u64::from_le_bytes(head[4..12].try_into().unwrap()) != n {
        return Ok(None);
    }
    // The footer placed the index inside the file: `n` is bounded by the file's size.
    let mut raw = vec![0u8; n as usize * INDEX_ENTRY_LEN + 4];
    input.read_exact_at(&mut raw, at + 12)?;
    let mut check = IndexBuilder::new(false);
    let mut entries = Vec::with_capacity(n as usize);
    for b in raw.chunks_exact(INDEX_ENTRY_LEN) {
        let e = IndexEntry {
            raw_offset: le64(b, 0),
            enc_offset: le64(b, 8),
            raw_len: le32(b, 16),
            enc_len: le32(b, 20),
            raw_hash: le64(b, 24),
        };
        check.push(e);
        entries.push(e);
    }
    let stored = le32(&raw, raw.len() - 4);
    Ok((check.expected_check() == (n, stored)).then_some(entries))
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// The first index entry that an intact segment header contradicts, as a sentence: the stream
/// occupies `start..end` in the file; `entries[k]` must describe the segment whose header is at
/// `start + enc_offset` (when that header's check value holds), and, when `seg` is given, start
/// at raw offset `k × seg`.
pub(super) fn index_disagrees(
    input: &File,
    start: u64,
    end: u64,
    entries: &[IndexEntry],
    seg: Option<u32>,
) -> Result<Option<String>> {
    let mut hb = [0u8; SEGMENT_HEADER_LEN];
    for (k, e) in entries.iter().enumerate() {
        let k = k as u64;
        let at = start.saturating_add(e.enc_offset);
        if seg.is_some_and(|s| e.raw_offset != k * u64::from(s)) {
            return Ok(Some(format!(
                "index entry {k} places segment {k} at byte {} of the data, not {}",
                e.raw_offset,
                k * u64::from(seg.unwrap())
            )));
        }
        if at.saturating_add(SEGMENT_HEADER_LEN as u64) > end {
            continue;
        }
        input.read_exact_at(&mut hb, at)?;
        let Ok(h) = SegmentHeader::parse(&hb, at, MAX_SEGMENT_SIZE, Some(k)) else {
            continue; // a damaged header: nothing to compare with
        };
        if u64::from(h.ordinal) != k
            || h.raw_len != e.raw_len
            || h.enc_len != e.enc_len
            || h.raw_hash != e.raw_hash
        {
            return Ok(Some(format!(
                "index entry {k} disagrees with the intact segment header at byte {at}"
            )));
        }
    }
    Ok(None)
}
