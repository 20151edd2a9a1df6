//! One segment, end to end: raw bytes ⇄ `SegmentHeader + payload`, with checksums.

use crate::codec::{self, MatchFinder};
use crate::error::CodecError;
use crate::error::{Error, Result};
use crate::format::{
    self, FileHeader, SegmentHeader, FLAG_SEQUENCES, FLAG_SPLIT, FLAG_STORED, FLAG_STREAMS,
    SEGMENT_HEADER_LEN,
};

/// Encodes `raw` as segment `ordinal` into `out` (cleared first): header then payload.
pub(crate) fn encode(
    raw: &[u8],
    ordinal: u32,
    mf: &mut MatchFinder,
    out: &mut Vec<u8>,
) -> SegmentHeader {
    out.clear();
    out.extend_from_slice(&[0u8; SEGMENT_HEADER_LEN]);
    let flags = match codec::encode_payload(raw, mf, out) {
        Some(codec::Layout::Plain) => 0,
        Some(codec::Layout::Split) => FLAG_SPLIT,
        Some(codec::Layout::Streams) => FLAG_STREAMS,
        Some(codec::Layout::Sequences) => FLAG_SEQUENCES,
        None => {
            out.truncate(SEGMENT_HEADER_LEN);
            out.extend_from_slice(raw);
            FLAG_STORED
        }
    };
    let payload = &out[SEGMENT_HEADER_LEN..];
    let h = SegmentHeader {
        ordinal,
        flags,
        raw_len: raw.len() as u32,
        enc_len: payload.len() as u32,
        raw_hash: format::raw_hash(raw),
        payload_hash: format::payload_hash(payload),
    };
    out[..SEGMENT_HEADER_LEN].copy_from_slice(&h.to_bytes());
    h
}

/// The error for a payload that format `version` does not allow although its layout is one of
/// that version's: a streams-layout section in mode 3 (blocks) in a version-2 stream (mode 3 came
/// with version 3). Only a payload whose checksum holds is blamed; any other is left for
/// [`decode`] to report. `offset` is the segment header's, for the error.
pub(crate) fn version_payload_error(
    h: &SegmentHeader,
    version: u8,
    payload: &[u8],
    offset: u64,
) -> Option<Error> {
    if version != 2 || h.flags != FLAG_STREAMS {
        return None;
    }
    let (section, at) = codec::blocked_section(payload)?;
    (format::payload_hash(payload) == h.payload_hash).then(|| Error::Codec {
        segment: u64::from(h.ordinal),
        offset,
        source: CodecError::BadSection {
            section,
            field: "mode byte".into(),
            at,
            what: "mode 3 (blocks) is not part of format version 2 (it came with version 3)".into(),
        },
    })
}

/// Decodes and verifies one segment's payload into `out` (replaced). `offset` is where the segment
/// header sits in the encoded stream, for error messages. The header's layout is taken as it is:
/// whether the stream's format version allows it ([`SegmentHeader::layout_error`],
/// [`version_payload_error`]) is for the caller to check, as the stream parser does.
pub(crate) fn decode(
    h: &SegmentHeader,
    payload: &[u8],
    out: &mut Vec<u8>,
    offset: u64,
) -> Result<()> {
    let segment = u64::from(h.ordinal);
    if format::payload_hash(payload) != h.payload_hash {
        return Err(Error::CorruptSegment {
            segment,
            offset,
            what: "payload checksum mismatch".into(),
        });
    }
    if h.stored() {
        out.clear();
        out.extend_from_slice(payload);
    } else {
        let layout = match h.flags {
            FLAG_SPLIT => codec::Layout::Split,
            FLAG_STREAMS => codec::Layout::Streams,
            FLAG_SEQUENCES => codec::Layout::Sequences,
            _ => codec::Layout::Plain,
        };
        codec::decode_payload(payload, layout, out, h.raw_len as usize).map_err(|source| {
            Error::Codec {
                segment,
                offset,
                source,
            }
        })?;
    }
    let got = format::raw_hash(out);
    if got != h.raw_hash {
        return Err(Error::CorruptSegment {
            segment,
            offset,
            what: format!(
                "decoded data checksum mismatch (expected {:016x}, got {got:016x})",
                h.raw_hash
            ),
        });
    }
    Ok(())
}

/// Decodes a segment located through the index of a stream with file header `fh`: `enc` holds its
/// 36-byte header and payload. The header must agree with the index entry, and its layout and its
/// sections' modes must be those of the stream's format version, before anything is decoded.
pub(crate) fn decode_indexed_in(
    e: &format::IndexEntry,
    fh: &FileHeader,
    enc: &[u8],
    out: &mut Vec<u8>,
) -> Result<()> {
    decode_located(e, fh.segment_size, Some(fh.version), enc, out)
}

fn decode_located(
    e: &format::IndexEntry,
    segment_size: u32,
    version: Option<u8>,
    enc: &[u8],
    out: &mut Vec<u8>,
) -> Result<()> {
    let ordinal = e.raw_offset / u64::from(segment_size);
    let hb: &[u8; SEGMENT_HEADER_LEN] = enc[..SEGMENT_HEADER_LEN]
        .try_into()
        .expect("caller reads the header");
    let h = SegmentHeader::parse(hb, e.enc_offset, segment_size, Some(ordinal))?;
    if u64::from(h.ordinal) != ordinal
        || h.raw_len != e.raw_len
        || h.enc_len != e.enc_len
        || h.raw_hash != e.raw_hash
    {
        return Err(Error::CorruptSegment {
            segment: ordinal,
            offset: e.enc_offset,
            what: "segment header disagrees with the index".into(),
        });
    }
    let payload = &enc[SEGMENT_HEADER_LEN..];
    if let Some(version) = version {
        if let Some(what) = h.layout_error(version) {
            return Err(Error::CorruptSegment {
                segment: ordinal,
                offset: e.enc_offset,
                what,
            });
        }
        if let Some(err) = version_payload_error(&h, version, payload, e.enc_offset) {
            return Err(err);
        }
    }
    decode(&h, payload, out, e.enc_offset)
}
