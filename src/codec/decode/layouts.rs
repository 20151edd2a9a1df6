//! The payload layouts around the glyph decoder: the split and streams layouts' sections decoded
//! into per-thread scratch, then the glyphs over them; and the dispatch by layout.

use super::fields::{Inline, Split, Streams};
use super::{decode_into, decompress, into_exact};
use crate::error::{CodecError, Pos};
use crate::varint;

thread_local! {
    /// Per-thread scratch for the decoded streams of an entropy-coded payload.
    static SCRATCH: std::cell::RefCell<[Vec<u8>; 5]> = const {
        std::cell::RefCell::new([Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()])
    };
}

/// The names of the streams layout's five sections, in payload order (docs/FORMAT.md).
pub(crate) const STREAM_SECTIONS: [&str; 5] = ["tags", "lengths", "los", "his", "bytes"];

/// The `u32` count field of section `name` at `input[at..]`.
fn count_at(input: &[u8], at: usize, name: &'static str) -> Result<usize, CodecError> {
    u32_field(input, at, name, "count")
}

/// The `u32` field `field` of section `section` at `input[at..]`; an error naming both when the
/// payload ends before its four bytes.
pub(crate) fn u32_field(
    input: &[u8],
    at: usize,
    section: &'static str,
    field: &str,
) -> Result<usize, CodecError> {
    input
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()) as usize)
        .ok_or_else(|| CodecError::BadSection {
            section,
            field: field.into(),
            at,
            what: format!(
                "cut short: needs 4 bytes, the payload has {}",
                input.len().saturating_sub(at)
            ),
        })
}

/// Decodes section `name` (a `count` u32, then a byte section of modes up to `max_mode`) at
/// `input[at..]` into `out`; returns where the next section starts. A count above `limit` is an
/// error before anything is allocated.
pub(crate) fn section(
    input: &[u8],
    at: usize,
    name: &'static str,
    limit: usize,
    max_mode: u8,
    out: &mut Vec<u8>,
) -> Result<usize, CodecError> {
    let count = count_at(input, at, name)?;
    if count > limit {
        return Err(CodecError::BadSection {
            section: name,
            field: "count".into(),
            at,
            what: format!("{count} bytes, more than the segment's raw length {limit}"),
        });
    }
    let start = at + 4;
    let used = crate::codec::huffman::decode(
        input.get(start..).unwrap_or(&[]),
        count,
        out,
        start,
        max_mode,
    )
    .map_err(|e| e.in_section(name))?;
    Ok(start + used)
}

/// Decodes a segment payload of any layout into `out` (exactly `raw_len` bytes). The entropy
/// layouts' sections are decoded first (into per-thread scratch buffers), then the glyphs, which
/// take their fields from them. On any error `out` is emptied, as by [`decompress`].
pub fn decode_payload(
    input: &[u8],
    layout: crate::codec::Layout,
    out: &mut Vec<u8>,
    raw_len: usize,
) -> Result<(), CodecError> {
    let r = decode_layout(input, layout, out, raw_len);
    if r.is_err() {
        out.clear();
    }
    r
}

fn decode_layout(
    input: &[u8],
    layout: crate::codec::Layout,
    out: &mut Vec<u8>,
    raw_len: usize,
) -> Result<(), CodecError> {
    match layout {
        crate::codec::Layout::Plain => decompress(input, out, raw_len),
        crate::codec::Layout::Sequences => {
            crate::codec::sequences::read::decode(input, out, raw_len)
        }
        crate::codec::Layout::Split => {
            // Positions inside the glyphs count from the payload's start, 4 bytes before them.
            let glyph_len = count_at(input, 0, "glyphs")?;
            let Some(glyphs) = input.get(4..).and_then(|r| r.get(..glyph_len)) else {
                return Err(CodecError::BadSection {
                    section: "glyphs",
                    field: "count".into(),
                    at: 0,
                    what: format!(
                        "{glyph_len} bytes, but the payload has {} after the count",
                        input.len() - 4
                    ),
                });
            };
            SCRATCH.with(|cell| {
                let mut bufs = cell.borrow_mut();
                let lits = &mut bufs[4];
                // The split layout is version 1's: its byte section has modes 0 and 1.
                let end = section(input, 4 + glyph_len, "literals", raw_len, 1, lits)?;
                if end != input.len() {
                    return Err(CodecError::TrailingBytes {
                        at: end,
                        left: input.len() - end,
                    });
                }
                let mut fields = Split {
                    glyphs: Inline {
                        input: glyphs,
                        ip: 0,
                    },
                    lits,
                    lp: 0,
                };
                into_exact(out, raw_len, Pos::Byte, |out| decode_into(&mut fields, out))
                    .map_err(|e| e.shifted(4))
            })
        }
        crate::codec::Layout::Streams => SCRATCH.with(|cell| {
            let mut bufs = cell.borrow_mut();
            for (v, cap) in bufs.iter_mut().zip(crate::codec::stream_caps(raw_len)) {
                crate::codec::touch_once(v, cap);
            }
            let [tags, lens, los, his, lits] = &mut *bufs;
            // No stream of a valid payload holds more bytes than the segment's raw length
            // (docs/FORMAT.md, "Streams layout"): a count above it is an error before anything is
            // allocated for it.
            let mut at = 0;
            for (name, buf) in STREAM_SECTIONS
                .into_iter()
                .zip([&mut *tags, &mut *lens, &mut *los, &mut *his, &mut *lits])
            {
                at = section(input, at, name, raw_len, 3, buf)?;
            }
            if at != input.len() {
                return Err(CodecError::TrailingBytes {
                    at,
                    left: input.len() - at,
                });
            }
            let mut fields = Streams {
                tags: Inline { input: tags, ip: 0 },
                lens: Inline { input: lens, ip: 0 },
                los,
                op: 0,
                his: Inline { input: his, ip: 0 },
                lits,
                lp: 0,
            };
            into_exact(out, raw_len, Pos::Glyph, |out| {
                decode_into(&mut fields, out)
            })
        }),
    }
}

/// The section of a streams-layout payload that is in mode 3 (blocks), if any: its name and the
/// payload offset of its mode byte. Walks the five sections' headers without decoding them and
/// stops (`None`) at anything malformed, which decoding reports. Version 2 files may not use
/// mode 3 (docs/FORMAT.md, "Versioning").
pub(crate) fn blocked_section(input: &[u8]) -> Option<(&'static str, usize)> {
    let mut at = 0;
    for name in STREAM_SECTIONS {
        let count = input.get(at..at + 4)?;
        let count = u32::from_le_bytes(count.try_into().unwrap()) as usize;
        at += 4;
        let mode = *input.get(at)?;
        let mut ip = at + 1;
        match mode {
            0 => ip += count,
            1 | 2 => {
                ip += 1 + usize::from(*input.get(ip)?) / 2 + 1;
                let mut len = varint::read(input, &mut ip).ok()?;
                if mode == 2 {
                    for _ in 0..3 {
                        varint::read(input, &mut ip).ok()?;
                    }
                }
                len = len.min(input.len() as u64);
                ip += len as usize;
            }
            3 => return Some((name, at)),
            _ => return None,
        }
        at = ip;
    }
    None
}
