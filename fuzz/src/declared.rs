//! What a stream declares its content to be: for each stream of a concatenation, the raw length
//! and the stream hash its footer holds. [`is_declared_content`] tells a stream the fuzzer has
//! made valid (it can learn the hash values the decoder compares, as it learned the empty
//! stream's) from damage that a decoder let through.

use super::fix::{le32, le64, stream_parts};
use sigmalang::format::{
    FILE_HEADER_LEN, FILE_MAGIC, FOOTER_LEN, FOOTER_MAGIC, INDEX_ENTRY_LEN, INDEX_FIXED_LEN,
};
use xxhash_rust::xxh3::xxh3_64;

/// Whether `out` is exactly the content that `stream` declares (docs/FORMAT.md, "Footer"): for
/// each stream of the concatenation in order, its footer's `raw_len` bytes, whose segments (cut
/// at its header's segment size) hash, each with xxh3 and then all together, to its footer's
/// `stream_hash`; with nothing after the last footer and nothing of `out` left over. A damaged
/// stream decoded to anything else than its original fails this unless the damage forged every
/// hash of the new content, which makes it a valid stream of that content.
pub fn is_declared_content(stream: &[u8], out: &[u8]) -> bool {
    let (mut at, mut pos) = (0usize, 0usize);
    loop {
        let Some(d) = declared(stream, at) else {
            return false;
        };
        let Some(part) = usize::try_from(d.raw_len)
            .ok()
            .and_then(|n| out.get(pos..pos.checked_add(n)?))
        else {
            return false;
        };
        let hashes: Vec<u8> = part
            .chunks(d.segment_size)
            .flat_map(|c| xxh3_64(c).to_le_bytes())
            .collect();
        if xxh3_64(&hashes) != d.stream_hash {
            return false;
        }
        pos += part.len();
        at = d.end;
        if at == stream.len() {
            return pos == out.len();
        }
    }
}

/// One stream's claims, read by walking its structure.
struct Declared {
    segment_size: usize,
    raw_len: u64,
    stream_hash: u64,
    /// Where the stream ends (after its footer).
    end: usize,
}

/// The claims of the stream that starts at `start`: its segments are stepped over by their
/// headers' payload lengths up to the index ([`stream_parts`]), whose count gives the footer's
/// place.
fn declared(s: &[u8], start: usize) -> Option<Declared> {
    if s.get(start..start + FILE_HEADER_LEN)?[..4] != FILE_MAGIC {
        return None;
    }
    let segment_size = usize::try_from(le32(s, start + 8)).ok()?;
    if segment_size == 0 {
        return None;
    }
    let at = stream_parts(s, start).1?;
    let count = usize::try_from(le64(s, at + 4)).ok()?;
    let foot = count
        .checked_mul(INDEX_ENTRY_LEN)?
        .checked_add(INDEX_FIXED_LEN)?
        .checked_add(at)?;
    let f = s.get(foot..foot.checked_add(FOOTER_LEN)?)?;
    if f[..4] != FOOTER_MAGIC {
        return None;
    }
    Some(Declared {
        segment_size,
        raw_len: le64(f, 12),
        stream_hash: le64(f, 28),
        end: foot + FOOTER_LEN,
    })
}
