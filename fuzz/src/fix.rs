//! Check-value fix-ups: make damaged structures pass their check values so that the semantic
//! validation behind them gets exercised. `raw_hash` and the footer's `stream_hash` are never
//! recomputed here, so a stream that still decodes must decode to the original data, or else to
//! content whose hashes the fuzzer forged too, which the stream then declares
//! ([`super::declared`]).

use sigmalang::format::{
    FILE_HEADER_LEN, FILE_MAGIC, FOOTER_LEN, INDEX_ENTRY_LEN, INDEX_FIXED_LEN, INDEX_MAGIC,
    SEGMENT_HEADER_LEN, SEGMENT_MAGIC,
};
use xxhash_rust::xxh3::xxh3_64;
use xxhash_rust::xxh32::xxh32;

pub(super) fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
pub(super) fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}
fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Recomputes the xxh32 check of the file header.
pub fn fix_file_header(s: &mut [u8]) {
    fix_file_header_at(s, 0);
}

/// Recomputes the xxh32 check of a file header at `at` (if it fits).
fn fix_file_header_at(s: &mut [u8], at: usize) {
    if at + FILE_HEADER_LEN <= s.len() {
        let c = xxh32(&s[at..at + 12], 0);
        put32(s, at + 12, c);
    }
}

/// Recomputes the footer check of a 40-byte footer at `at` (if it fits).
pub fn fix_footer(s: &mut [u8], at: usize) {
    if at.checked_add(FOOTER_LEN).is_some_and(|e| e <= s.len()) {
        let c = xxh32(&s[at..at + 36], 0);
        put32(s, at + 36, c);
    }
}

/// Recomputes the index check of an index at `at` holding `count` entries (if it fits).
/// Returns where the footer would start.
pub fn fix_index(s: &mut [u8], at: usize, count: u64) -> Option<usize> {
    let len = usize::try_from(count)
        .ok()?
        .checked_mul(INDEX_ENTRY_LEN)?
        .checked_add(INDEX_FIXED_LEN)?;
    let end = at.checked_add(len)?;
    if end > s.len() {
        return None;
    }
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&s[at..at + 4]);
    h.update(&s[at + 12..end - 4]);
    h.update(&s[at + 4..at + 12]);
    let c = h.digest() as u32;
    put32(s, end - 4, c);
    Some(end)
}

/// Walks a (damaged) stream front to back like a streaming reader and recomputes every check
/// value it can reach: file header check, each segment's `payload_hash` and header check, the
/// index check and the footer check — and goes on into the next stream when a footer is followed
/// by the file magic (docs/FORMAT.md, "Concatenated streams").
pub fn fix_stream_checks(s: &mut [u8]) {
    let mut start = Some(0);
    while let Some(at) = start {
        start = fix_one_stream(s, at);
    }
}

/// The parts of the stream at `start` as a streaming reader meets them: each segment as its
/// header's offset and where its payload ends (its header's `enc_len` on, cut at the end of `s`),
/// then the index's offset if an index (its magic and count, at least) follows the segments.
pub(super) fn stream_parts(s: &[u8], start: usize) -> (Vec<(usize, usize)>, Option<usize>) {
    let mut segments = Vec::new();
    let mut at = start + FILE_HEADER_LEN;
    while at + 4 <= s.len() {
        let magic = &s[at..at + 4];
        if magic == SEGMENT_MAGIC && at + SEGMENT_HEADER_LEN <= s.len() {
            let enc_len = le32(s, at + 16) as usize;
            let end = (at + SEGMENT_HEADER_LEN)
                .saturating_add(enc_len)
                .min(s.len());
            segments.push((at, end));
            at = end;
        } else if magic == INDEX_MAGIC && at + 12 <= s.len() {
            return (segments, Some(at));
        } else {
            break;
        }
    }
    (segments, None)
}

/// [`fix_stream_checks`] for the stream at `start`; returns where the next stream starts, if one
/// follows this one's footer.
fn fix_one_stream(s: &mut [u8], start: usize) -> Option<usize> {
    fix_file_header_at(s, start);
    let (segments, index) = stream_parts(s, start);
    for (at, end) in segments {
        let ph = xxh3_64(&s[at + SEGMENT_HEADER_LEN..end]) as u32;
        put32(s, at + 28, ph);
        let c = xxh32(&s[at..at + 32], 0);
        put32(s, at + 32, c);
    }
    let at = index?;
    let foot = fix_index(s, at, le64(s, at + 4))?;
    fix_footer(s, foot);
    let next = foot.checked_add(FOOTER_LEN)?;
    (s.get(next..next + 4) == Some(&FILE_MAGIC[..])).then_some(next)
}

/// Recomputes, for a whole file read through its footer, the header check, the index check, the
/// footer's stream hash (from the index entries) and the footer check: the `trailer` target's
/// fix-up, which lets the fuzzer reach `Index::read_at`'s layout checks.
pub fn fix_trailer_checks(s: &mut [u8]) {
    fix_file_header(s);
    if s.len() < FOOTER_LEN {
        return;
    }
    let foot = s.len() - FOOTER_LEN;
    let index_at = le64(s, foot + 20);
    let count = le64(s, foot + 4);
    if let Ok(at) = usize::try_from(index_at) {
        if at.checked_add(12).is_some_and(|e| e <= s.len()) {
            if let Some(end) = fix_index(s, at, count) {
                let mut h = xxhash_rust::xxh3::Xxh3::new();
                for k in 0..count as usize {
                    let e = at + 12 + k * INDEX_ENTRY_LEN;
                    h.update(&s[e + 24..e + 32]);
                }
                if end <= foot {
                    let d = h.digest();
                    s[foot + 28..foot + 36].copy_from_slice(&d.to_le_bytes());
                }
            }
        }
    }
    fix_footer(s, foot);
}
