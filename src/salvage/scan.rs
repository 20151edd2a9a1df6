//! Scanning a damaged file for the structures that survived — file headers, segments and footers
//! whose check values hold — and grouping them into streams ([`Region`]s).

use crate::error::{Error, Result};
use crate::format::{
    self, at_stream, FileHeader, Footer, SegmentHeader, FILE_HEADER_LEN, FILE_MAGIC, FOOTER_LEN,
    FOOTER_MAGIC, MAX_SEGMENT_SIZE, MIN_VERSION, SEGMENT_HEADER_LEN, SEGMENT_MAGIC, VERSION,
};
use std::fs::File;
use std::os::unix::fs::FileExt;

/// One stream as found by scanning: from its file header (or from where the previous stream
/// ended) to its footer (or to where the next stream starts).
#[derive(Clone, Debug)]
pub(super) struct Region {
    /// First byte in the file.
    pub start: u64,
    /// One past the last byte in the file.
    pub end: u64,
    /// Its intact file header, if it survived.
    pub header: Option<FileHeader>,
    /// Intact segments (header check, limits, payload checksum) in file order, with their offsets
    /// in the file.
    pub segments: Vec<(SegmentHeader, u64)>,
    /// Its intact footer and the footer's offset in the file.
    pub footer: Option<(Footer, u64)>,
}

impl Region {
    fn new(start: u64) -> Region {
        Region {
            start,
            end: start,
            header: None,
            segments: Vec::new(),
            footer: None,
        }
    }

    /// True when nothing intact was found in it.
    pub fn is_junk(&self) -> bool {
        self.header.is_none() && self.segments.is_empty() && self.footer.is_none()
    }
}

/// What the 16 bytes at some offset are.
enum HeaderKind {
    /// Not a file header (no magic).
    NotHeader,
    /// The magic, but the check value fails or a field is out of range: a damaged header, whose
    /// version cannot be trusted either.
    Damaged,
    /// An intact header of a version this build does not know, or with reserved bytes set.
    Unknown(Error),
    /// An intact header this build reads.
    Known(FileHeader),
}

fn classify(b: &[u8; FILE_HEADER_LEN]) -> HeaderKind {
    if b[0..4] != FILE_MAGIC {
        return HeaderKind::NotHeader;
    }
    if crate::format::check(&b[..12]) != u32::from_le_bytes(b[12..16].try_into().unwrap()) {
        return HeaderKind::Damaged;
    }
    if !(MIN_VERSION..=VERSION).contains(&b[4]) {
        return HeaderKind::Unknown(Error::UnsupportedVersion {
            found: b[4],
            supported: VERSION,
        });
    }
    if b[5] != 0 || b[7] != 0 {
        return HeaderKind::Unknown(Error::BadHeader {
            what: format!(
                "reserved bytes set ({:#04x}, {:#04x}): a header this build does not know, \
                 so salvage does not reinterpret it",
                b[5], b[7]
            ),
        });
    }
    match FileHeader::parse(b) {
        Ok(h) => HeaderKind::Known(h),
        Err(_) => HeaderKind::Damaged,
    }
}

/// Fails when the bytes at `at` are an intact file header that this build does not know.
pub(super) fn refuse_unknown_header(input: &File, at: u64, len: u64) -> Result<()> {
    let mut b = [0u8; FILE_HEADER_LEN];
    if at + FILE_HEADER_LEN as u64 > len {
        return Ok(());
    }
    input.read_exact_at(&mut b, at)?;
    match classify(&b) {
        HeaderKind::Unknown(e) => Err(at_stream(e, at)),
        _ => Ok(()),
    }
}

/// A structure found by [`scan`].
enum Found {
    Header(FileHeader),
    Segment(SegmentHeader),
    Footer(Footer),
}

/// Finds every intact structure in `from..to`, in file order: segments (marker, header check,
/// limits, payload checksum; the payload is then skipped) and, unless `segments_only`, file
/// headers and footers (marker and check value). An intact file header of a version this build
/// does not know fails the scan. Reads the file through a 1 MiB window.
fn scan(input: &File, from: u64, to: u64, segments_only: bool) -> Result<Vec<(u64, Found)>> {
    const WINDOW: usize = 1 << 20;
    let mut found = Vec::new();
    let mut win = Vec::new();
    let mut win_at = from;
    let mut payload = Vec::new();
    let mut pos = from;
    while pos + 4 <= to {
        // Keep `pos .. pos + 40` (or up to `to`) in the window, so any candidate can be checked.
        let want = (pos + FOOTER_LEN as u64).min(to);
        if pos < win_at || want > win_at + win.len() as u64 {
            win_at = pos;
            win.resize((to - pos).min(WINDOW as u64) as usize, 0);
            input.read_exact_at(&mut win, win_at)?;
        }
        let at_end = win_at + win.len() as u64 == to;
        let last = if at_end {
            win.len() - 4
        } else {
            win.len() - FOOTER_LEN
        };
        let start = (pos - win_at) as usize;
        let Some(rel) = win[start..=last]
            .iter()
            .position(|&b| b == SEGMENT_MAGIC[0])
        else {
            pos = win_at + last as u64 + 1;
            continue;
        };
        let i = start + rel;
        let at = win_at + i as u64;
        pos = at + 1;
        let magic = &win[i..i + 4];
        if magic == SEGMENT_MAGIC && i + SEGMENT_HEADER_LEN <= win.len() {
            let hb: &[u8; SEGMENT_HEADER_LEN] = win[i..i + SEGMENT_HEADER_LEN].try_into().unwrap();
            let Ok(h) = SegmentHeader::parse(hb, at, MAX_SEGMENT_SIZE, None) else {
                continue;
            };
            let end = at + SEGMENT_HEADER_LEN as u64 + u64::from(h.enc_len);
            if end > to {
                continue;
            }
            payload.resize(h.enc_len as usize, 0);
            input.read_exact_at(&mut payload, at + SEGMENT_HEADER_LEN as u64)?;
            if format::payload_hash(&payload) != h.payload_hash {
                continue;
            }
            found.push((at, Found::Segment(h)));
            pos = end;
        } else if segments_only {
            continue;
        } else if magic == FILE_MAGIC && i + FILE_HEADER_LEN <= win.len() {
            match classify(win[i..i + FILE_HEADER_LEN].try_into().unwrap()) {
                HeaderKind::Known(h) => {
                    found.push((at, Found::Header(h)));
                    pos = at + FILE_HEADER_LEN as u64;
                }
                HeaderKind::Unknown(e) => return Err(at_stream(e, at)),
                HeaderKind::NotHeader | HeaderKind::Damaged => {}
            }
        } else if magic == FOOTER_MAGIC && i + FOOTER_LEN <= win.len() {
            if let Ok(f) = Footer::parse(win[i..i + FOOTER_LEN].try_into().unwrap(), at) {
                found.push((at, Found::Footer(f)));
                pos = at + FOOTER_LEN as u64;
            }
        }
    }
    Ok(found)
}

/// Scans the whole file (`len` bytes) and cuts it into streams: an intact file header starts
/// one, an intact footer ends one. Stretches in which nothing intact was found come out as junk
/// regions ([`Region::is_junk`]).
pub(super) fn regions(input: &File, len: u64) -> Result<Vec<Region>> {
    let mut out = Vec::new();
    let mut cur = Region::new(0);
    let close = |out: &mut Vec<Region>, mut r: Region, end: u64| {
        r.end = end;
        if !r.is_junk() || end > r.start {
            out.push(r);
        }
    };
    for (at, f) in scan(input, 0, len, false)? {
        match f {
            Found::Header(h) => {
                close(&mut out, cur, at);
                cur = Region::new(at);
                cur.header = Some(h);
            }
            Found::Segment(h) => cur.segments.push((h, at)),
            Found::Footer(f) => {
                cur.footer = Some((f, at));
                let end = at + FOOTER_LEN as u64;
                close(&mut out, cur, end);
                cur = Region::new(end);
            }
        }
    }
    close(&mut out, cur, len);
    Ok(out.into_iter().flat_map(split_after_last_segment).collect())
}

/// A region of a known segment size in which more segments follow, in file order, the short
/// segment that ends its stream (its ordinal above every earlier one) holds two streams: the
/// footer of the first and the header of the second were damaged. It is cut where the second
/// stream's header would start, just before the first segment after the short one; the second
/// part has no header (its segment size is inferred) and keeps the footer.
fn split_after_last_segment(r: Region) -> Vec<Region> {
    let Some(seg) = r.header.map(|h| h.segment_size) else {
        return vec![r];
    };
    let mut top: Option<u32> = None;
    let short = r.segments.iter().position(|(h, _)| {
        let ends = h.raw_len < seg && top.is_none_or(|t| h.ordinal > t);
        top = top.max(Some(h.ordinal));
        ends
    });
    let Some(i) = short.filter(|&i| i + 1 < r.segments.len()) else {
        return vec![r];
    };
    let (h, at) = r.segments[i];
    let short_end = at + SEGMENT_HEADER_LEN as u64 + u64::from(h.enc_len);
    let next_at = r.segments[i + 1].1;
    let cut = next_at
        .saturating_sub(FILE_HEADER_LEN as u64)
        .max(short_end);
    let mut first = r;
    let rest = first.segments.split_off(i + 1);
    let second = Region {
        start: cut,
        end: first.end,
        header: None,
        segments: rest,
        footer: first.footer.take(),
    };
    first.end = cut;
    vec![first, second]
}

/// The region of one stream located through its index (`start..end` in the file, with the
/// header and footer already read), its segments found by scanning.
pub(super) fn region_of(
    input: &File,
    start: u64,
    end: u64,
    header: FileHeader,
    footer: Footer,
) -> Result<Region> {
    let foot_at = end - FOOTER_LEN as u64;
    let segments = scan(input, start + FILE_HEADER_LEN as u64, foot_at, true)?
        .into_iter()
        .filter_map(|(at, f)| match f {
            Found::Segment(h) => Some((h, at)),
            _ => None,
        })
        .collect();
    Ok(Region {
        start,
        end,
        header: Some(header),
        segments,
        footer: Some((footer, foot_at)),
    })
}
