//! Salvage: recover every intact segment of a damaged stream.
//!
//! When the index and footer are intact, segments are located through the index. Otherwise the
//! file is scanned for the segment sync marker `CE A3 53 47`; a candidate counts as a segment only if
//! its header check value, its limits and its payload checksum all hold, and it is kept only if its
//! decoded bytes match its `raw_hash`. The segment size comes from the file header, or, when that is
//! damaged, from the largest segment found. Recovered segments are written at their original
//! offsets (ordinal × segment size); lost segments in between are written as zeros so that later
//! data keeps its place, and every lost range is reported. See docs/FORMAT.md ("Salvage").

use crate::error::{Error, Result};
use crate::format::{
    self, FileHeader, Footer, Index, SegmentHeader, FILE_HEADER_LEN, MAX_SEGMENT_SIZE,
    SEGMENT_HEADER_LEN, SEGMENT_MAGIC,
};
use crate::segment;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;

/// A range of the original data that could not be recovered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostRange {
    /// First lost byte.
    pub start: u64,
    /// One past the last lost byte; `None` when the original length is unknown (lost tail).
    pub end: Option<u64>,
    /// Segments concerned.
    pub segments: String,
}

/// What [`salvage`] recovered.
#[derive(Clone, Debug, Default)]
pub struct SalvageReport {
    /// Segments decoded and verified.
    pub recovered_segments: u64,
    /// Bytes written to the output (recovered data plus zero fill for lost segments in between).
    pub bytes_written: u64,
    /// Lost ranges of the original, in order.
    pub lost: Vec<LostRange>,
    /// Original length, when the footer survived.
    pub original_len: Option<u64>,
    /// True when segments were found by scanning (the index or footer was unusable).
    pub scanned: bool,
}

impl SalvageReport {
    /// True when every byte of the original was recovered.
    pub fn complete(&self) -> bool {
        self.lost.is_empty()
    }
}

/// Recovers what can be recovered from the encoded file `input` into `out`.
pub fn salvage(input: &File, out: &mut dyn Write) -> Result<SalvageReport> {
    let len = input.metadata()?.len();
    if len == 0 {
        return Err(Error::Truncated {
            offset: 0,
            what: "the file header (the file is empty)",
        });
    }
    let read = |buf: &mut [u8], at: u64| input.read_exact_at(buf, at);
    let mut hb = [0u8; FILE_HEADER_LEN];
    let header = (len >= FILE_HEADER_LEN as u64 && read(&mut hb, 0).is_ok())
        .then(|| FileHeader::parse(&hb).ok())
        .flatten();
    if let Ok(index) = Index::read_at(&read, len) {
        return from_index(input, &index, out);
    }
    let seg_limit = header.map_or(MAX_SEGMENT_SIZE, |h| h.segment_size);
    let found = scan(input, len, seg_limit)?;
    let Some(seg) = header
        .map(|h| h.segment_size)
        .or_else(|| found.values().map(|(h, _)| h.raw_len).max())
    else {
        return Err(Error::CorruptSegment {
            segment: 0,
            offset: 0,
            what: "no intact segment found".into(),
        });
    };
    let seg64 = u64::from(seg);
    // The footer may have survived a damaged index: then the original length is known.
    let mut fb = [0u8; format::FOOTER_LEN];
    let foot_at = len.saturating_sub(format::FOOTER_LEN as u64);
    let footer = (len >= format::FOOTER_LEN as u64 && read(&mut fb, foot_at).is_ok())
        .then(|| Footer::parse(&fb, foot_at).ok())
        .flatten();
    let mut report = SalvageReport {
        scanned: true,
        original_len: footer.map(|f| f.raw_len),
        ..SalvageReport::default()
    };
    let mut buf = Vec::new();
    let mut payload = Vec::new();
    let mut next: u64 = 0; // next ordinal expected
    let mut lost_from: Option<u64> = None;
    let mut ended_short = false;
    for (&k, &(h, at)) in &found {
        if ended_short {
            break; // a short segment is the last one: anything after it is spurious
        }
        payload.resize(h.enc_len as usize, 0);
        read(&mut payload, at + SEGMENT_HEADER_LEN as u64)?;
        let beyond_end = footer.is_some_and(|f| k * seg64 >= f.raw_len);
        if h.raw_len > seg || beyond_end || segment::decode(&h, &payload, &mut buf, at).is_err() {
            continue;
        }
        if k > next {
            lost_from.get_or_insert(next);
        }
        if let Some(from) = lost_from.take() {
            report.lost.push(lost(from, k, seg64, Some(k * seg64)));
            write_zeros(out, (k - from) * seg64)?;
            report.bytes_written += (k - from) * seg64;
        }
        out.write_all(&buf)?;
        report.bytes_written += buf.len() as u64;
        report.recovered_segments += 1;
        next = k + 1;
        ended_short = h.raw_len < seg;
    }
    let done = next * seg64
        - if ended_short {
            seg64 - u64::from(found_last_len(&found, next))
        } else {
            0
        };
    match footer {
        Some(f) if done < f.raw_len => {
            let last = f.segments.saturating_sub(1);
            let segments = if last == next {
                format!("{next}")
            } else {
                format!("{next}..={last}")
            };
            report.lost.push(LostRange {
                start: done,
                end: Some(f.raw_len),
                segments,
            });
        }
        Some(_) => {}
        None if !ended_short => {
            // The last segment found was full and the footer is gone: the original may go on.
            report.lost.push(LostRange {
                start: done,
                end: None,
                segments: format!("{next} onwards"),
            });
        }
        None => {}
    }
    out.flush()?;
    Ok(report)
}

/// Raw length of the segment with ordinal `next - 1` (the last one written).
fn found_last_len(found: &BTreeMap<u64, (SegmentHeader, u64)>, next: u64) -> u32 {
    next.checked_sub(1)
        .and_then(|k| found.get(&k))
        .map_or(0, |(h, _)| h.raw_len)
}

fn lost(from: u64, to: u64, seg: u64, end: Option<u64>) -> LostRange {
    let segments = if to - from == 1 {
        format!("{from}")
    } else {
        format!("{from}..={}", to - 1)
    };
    LostRange {
        start: from * seg,
        end,
        segments,
    }
}

fn write_zeros(out: &mut dyn Write, mut n: u64) -> Result<()> {
    let zeros = [0u8; 64 << 10];
    while n > 0 {
        let k = n.min(zeros.len() as u64) as usize;
        out.write_all(&zeros[..k])?;
        n -= k as u64;
    }
    Ok(())
}

/// The index survived: decode each segment it lists; a damaged one is a lost range of known size.
fn from_index(input: &File, index: &Index, out: &mut dyn Write) -> Result<SalvageReport> {
    let mut enc = Vec::new();
    let mut report = SalvageReport {
        original_len: Some(index.footer.raw_len),
        ..SalvageReport::default()
    };
    let seg = index.header.segment_size;
    let mut buf = Vec::new();
    let mut pending: Option<(u64, u64, u64, u64)> = None; // (first, last ordinal, start, end)
    for (k, e) in index.entries.iter().enumerate() {
        enc.resize(SEGMENT_HEADER_LEN + e.enc_len as usize, 0);
        let r = input
            .read_exact_at(&mut enc, e.enc_offset)
            .map_err(Error::from);
        match r.and_then(|()| segment::decode_indexed(e, seg, &enc, &mut buf)) {
            Ok(()) => {
                flush_lost(&mut report, &mut pending);
                out.write_all(&buf)?;
                report.recovered_segments += 1;
            }
            Err(_) => {
                let end = e.raw_offset + u64::from(e.raw_len);
                let k = k as u64;
                pending = Some(match pending {
                    Some((first, _, start, _)) => (first, k, start, end),
                    None => (k, k, e.raw_offset, end),
                });
                write_zeros(out, u64::from(e.raw_len))?;
            }
        }
        report.bytes_written += u64::from(e.raw_len);
    }
    flush_lost(&mut report, &mut pending);
    out.flush()?;
    Ok(report)
}

fn flush_lost(report: &mut SalvageReport, pending: &mut Option<(u64, u64, u64, u64)>) {
    if let Some((first, last, start, end)) = pending.take() {
        let segments = if first == last {
            format!("{first}")
        } else {
            format!("{first}..={last}")
        };
        report.lost.push(LostRange {
            start,
            end: Some(end),
            segments,
        });
    }
}

/// Finds every plausible segment: marker, header check, limits and payload checksum. Keyed by
/// ordinal; the first intact copy of an ordinal wins. Reads the file through a 1 MiB window.
fn scan(input: &File, len: u64, seg_limit: u32) -> Result<BTreeMap<u64, (SegmentHeader, u64)>> {
    const WINDOW: usize = 1 << 20;
    let mut found = BTreeMap::new();
    let mut win = Vec::new();
    let mut win_at = 0u64;
    let mut payload = Vec::new();
    let mut pos = 0u64;
    while pos + SEGMENT_HEADER_LEN as u64 <= len {
        // Keep `pos .. pos + WINDOW` (or to the end) in the window.
        if pos < win_at || pos + SEGMENT_HEADER_LEN as u64 > win_at + win.len() as u64 {
            win_at = pos;
            win.resize((len - pos).min(WINDOW as u64) as usize, 0);
            input.read_exact_at(&mut win, win_at)?;
        }
        let from = (pos - win_at) as usize;
        let last = win.len() - SEGMENT_HEADER_LEN; // a candidate needs its whole header in the window
        let Some(rel) = win[from..=last].iter().position(|&b| b == SEGMENT_MAGIC[0]) else {
            pos = win_at + last as u64 + 1;
            continue;
        };
        let i = from + rel;
        let at = win_at + i as u64;
        pos = at + 1;
        if win[i..i + 4] != SEGMENT_MAGIC {
            continue;
        }
        let hb: &[u8; SEGMENT_HEADER_LEN] = win[i..i + SEGMENT_HEADER_LEN].try_into().unwrap();
        let Ok(h) = SegmentHeader::parse(hb, at, seg_limit, None) else {
            continue;
        };
        let end = at + SEGMENT_HEADER_LEN as u64 + u64::from(h.enc_len);
        if end > len {
            continue;
        }
        payload.resize(h.enc_len as usize, 0);
        input.read_exact_at(&mut payload, at + SEGMENT_HEADER_LEN as u64)?;
        if format::payload_hash(&payload) != h.payload_hash {
            continue;
        }
        found.entry(u64::from(h.ordinal)).or_insert((h, at));
        pos = end;
    }
    Ok(found)
}
