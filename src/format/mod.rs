//! The ΣLANG container: file header, framed segments, index and footer.
//!
//! Byte layout (all integers little-endian; full tables in `docs/FORMAT.md`):
//!
//! ```text
//! FileHeader (16) | Segment 0 | Segment 1 | ... | Index (16 + 32·n) | Footer (40)
//! Segment = SegmentHeader (36) | payload (enc_len bytes: glyph stream, or raw bytes when stored)
//! ```
//!
//! Every structure carries its own check value, so any damaged byte is detected and attributed to
//! the structure (and segment) it belongs to.
//!
//! A file or byte stream may hold several complete streams back to back; they decode to the
//! concatenation of their contents ([`read_streams_at`], [`StreamParser`]).

mod index;
mod parser;
mod streams;
pub(crate) use index::footer_disagreement;
pub use index::{Footer, Index, IndexBuilder, IndexEntry};
pub use parser::StreamParser;
pub(crate) use streams::at_stream;
use streams::find_footer_end;
pub use streams::read_streams_at;

use crate::error::{Error, Result};
/// The streaming xxh3 (64 bits, seed 0) of the index check and the stream hash.
pub(crate) use twox_hash::XxHash3_64 as Xxh3;

/// Format version written by this build.
pub const VERSION: u8 = 4;
/// Oldest format version this build reads (version 1 has no streams layout; everything else is
/// the same).
pub const MIN_VERSION: u8 = 1;
/// File magic: "ΣLG" in UTF-8.
pub const FILE_MAGIC: [u8; 4] = [0xce, 0xa3, b'L', b'G'];
/// Segment header sync marker: "ΣSG" (also what salvage scans for).
pub const SEGMENT_MAGIC: [u8; 4] = [0xce, 0xa3, b'S', b'G'];
/// Index magic: "ΣIX".
pub const INDEX_MAGIC: [u8; 4] = [0xce, 0xa3, b'I', b'X'];
/// Footer magic: "ΣND".
pub const FOOTER_MAGIC: [u8; 4] = [0xce, 0xa3, b'N', b'D'];

/// Size of [`FileHeader`] on disk.
pub const FILE_HEADER_LEN: usize = 16;
/// Size of [`SegmentHeader`] on disk.
pub const SEGMENT_HEADER_LEN: usize = 36;
/// Size of one [`IndexEntry`] on disk.
pub const INDEX_ENTRY_LEN: usize = 32;
/// Fixed part of the index: magic + count before the entries, check after them.
pub const INDEX_FIXED_LEN: usize = 16;
/// Size of [`Footer`] on disk.
pub const FOOTER_LEN: usize = 40;

/// Smallest segment size accepted (4 KiB).
pub const MIN_SEGMENT_SIZE: u32 = 4 << 10;
/// Largest segment size accepted (256 MiB): bounds every allocation a decoder makes.
pub const MAX_SEGMENT_SIZE: u32 = 256 << 20;

/// Segment flag: the payload is the raw bytes (the glyph stream would not have been smaller).
pub const FLAG_STORED: u8 = 1;
/// Segment flag: split layout, literals entropy-coded in a byte section (version-1 files; docs/FORMAT.md).
pub const FLAG_SPLIT: u8 = 2;
/// Segment flag: streams layout, every kind of glyph field in its own entropy-coded section
/// (docs/FORMAT.md).
pub const FLAG_STREAMS: u8 = 4;
/// Segment flag: sequences layout, literals and FSE-coded sequences (format version 4;
/// docs/FORMAT.md).
pub const FLAG_SEQUENCES: u8 = 8;

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Check value for a fixed-size structure: xxh32 (seed 0) of the bytes before it.
pub(crate) fn check(bytes: &[u8]) -> u32 {
    twox_hash::XxHash32::oneshot(0, bytes)
}

/// The 16-byte file header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileHeader {
    /// Format version ([`MIN_VERSION`]..=[`VERSION`]; this build writes [`VERSION`]).
    pub version: u8,
    /// Codec level the file was written with (informational; decoding does not need it).
    pub level: u8,
    /// Raw bytes per segment (every segment but the last is exactly this long).
    pub segment_size: u32,
}

impl FileHeader {
    /// The header this build writes ([`VERSION`]) for `level` and `segment_size`.
    pub fn new(level: u8, segment_size: u32) -> FileHeader {
        FileHeader {
            version: VERSION,
            level,
            segment_size,
        }
    }

    /// Serializes the header.
    pub fn to_bytes(&self) -> [u8; FILE_HEADER_LEN] {
        let mut b = [0u8; FILE_HEADER_LEN];
        b[0..4].copy_from_slice(&FILE_MAGIC);
        b[4] = self.version;
        b[5] = 0; // flags, reserved
        b[6] = self.level;
        b[7] = 0; // reserved
        b[8..12].copy_from_slice(&self.segment_size.to_le_bytes());
        let c = check(&b[..12]);
        b[12..16].copy_from_slice(&c.to_le_bytes());
        b
    }

    /// Parses and validates a header.
    pub fn parse(b: &[u8; FILE_HEADER_LEN]) -> Result<FileHeader> {
        let magic: [u8; 4] = b[0..4].try_into().unwrap();
        if magic != FILE_MAGIC {
            return Err(Error::BadMagic { found: magic });
        }
        if !(MIN_VERSION..=VERSION).contains(&b[4]) {
            return Err(Error::UnsupportedVersion {
                found: b[4],
                supported: VERSION,
            });
        }
        let bad = |what: String| Err(Error::BadHeader { what });
        if check(&b[..12]) != le32(b, 12) {
            return bad("header check value mismatch".into());
        }
        if b[5] != 0 || b[7] != 0 {
            return bad(format!(
                "reserved bytes set (flags byte 5 = {:#04x}, byte 7 = {:#04x}; both must be 0)",
                b[5], b[7]
            ));
        }
        let level = b[6];
        if !(crate::codec::MIN_LEVEL..=crate::codec::MAX_LEVEL).contains(&level) {
            return bad(format!(
                "level {level} outside {}..={}",
                crate::codec::MIN_LEVEL,
                crate::codec::MAX_LEVEL
            ));
        }
        let segment_size = le32(b, 8);
        if !(MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE).contains(&segment_size) {
            return bad(format!(
                "segment size {segment_size} outside {MIN_SEGMENT_SIZE}..={MAX_SEGMENT_SIZE}"
            ));
        }
        Ok(FileHeader {
            version: b[4],
            level: b[6],
            segment_size,
        })
    }
}

/// The 36-byte header in front of every segment's payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Position of the segment in the stream, from 0.
    pub ordinal: u32,
    /// [`FLAG_STORED`] or 0.
    pub flags: u8,
    /// Decoded length.
    pub raw_len: u32,
    /// Payload length.
    pub enc_len: u32,
    /// xxh3-64 of the decoded bytes.
    pub raw_hash: u64,
    /// Low 32 bits of xxh3-64 of the payload bytes.
    pub payload_hash: u32,
}

impl SegmentHeader {
    /// Serializes the header.
    pub fn to_bytes(&self) -> [u8; SEGMENT_HEADER_LEN] {
        let mut b = [0u8; SEGMENT_HEADER_LEN];
        b[0..4].copy_from_slice(&SEGMENT_MAGIC);
        b[4..8].copy_from_slice(&self.ordinal.to_le_bytes());
        b[8] = self.flags;
        b[12..16].copy_from_slice(&self.raw_len.to_le_bytes());
        b[16..20].copy_from_slice(&self.enc_len.to_le_bytes());
        b[20..28].copy_from_slice(&self.raw_hash.to_le_bytes());
        b[28..32].copy_from_slice(&self.payload_hash.to_le_bytes());
        let c = check(&b[..32]);
        b[32..36].copy_from_slice(&c.to_le_bytes());
        b
    }

    /// Parses a segment header found at encoded byte `offset`, checking it against the limits of a
    /// stream with `segment_size`. `expected` is the ordinal the caller expects there (known from
    /// the position in a stream or from the index): errors name it rather than the ordinal field,
    /// which may itself be the damaged bytes.
    pub fn parse(
        b: &[u8; SEGMENT_HEADER_LEN],
        offset: u64,
        segment_size: u32,
        expected: Option<u64>,
    ) -> Result<SegmentHeader> {
        let ordinal = le32(b, 4);
        let bad = |what: String| {
            Err(Error::CorruptSegment {
                segment: expected.unwrap_or(u64::from(ordinal)),
                offset,
                what,
            })
        };
        if b[0..4] != SEGMENT_MAGIC {
            return bad(format!("bad segment marker {:02x?}", &b[0..4]));
        }
        if check(&b[..32]) != le32(b, 32) {
            return bad("segment header check value mismatch".into());
        }
        let h = SegmentHeader {
            ordinal,
            flags: b[8],
            raw_len: le32(b, 12),
            enc_len: le32(b, 16),
            raw_hash: le64(b, 20),
            payload_hash: le32(b, 28),
        };
        if !matches!(
            h.flags,
            0 | FLAG_STORED | FLAG_SPLIT | FLAG_STREAMS | FLAG_SEQUENCES
        ) {
            return bad(format!(
                "unknown layout flags {:#04x} (0 plain, 1 stored, 2 split, 4 streams, 8 sequences)",
                h.flags
            ));
        }
        if b[9..12] != [0, 0, 0] {
            return bad(format!(
                "reserved bytes 9..12 set ({:02x} {:02x} {:02x}; all must be 0)",
                b[9], b[10], b[11]
            ));
        }
        if h.raw_len == 0 || h.raw_len > segment_size {
            return bad(format!(
                "raw length {} outside 1..={segment_size}",
                h.raw_len
            ));
        }
        if h.stored() && h.enc_len != h.raw_len {
            return bad(format!(
                "stored segment with payload {} != raw {}",
                h.enc_len, h.raw_len
            ));
        }
        if !h.stored() && h.enc_len >= h.raw_len {
            return bad(format!(
                "coded payload {} not below raw length {}",
                h.enc_len, h.raw_len
            ));
        }
        Ok(h)
    }

    /// True when the payload is the raw bytes.
    pub fn stored(&self) -> bool {
        self.flags & FLAG_STORED != 0
    }

    /// Why a stream of format `version` cannot hold this header's layout, if it cannot: `SPLIT`
    /// is version 1's alone, `STREAMS` belongs to versions 2 and 3, `SEQUENCES` came with
    /// version 4 (docs/FORMAT.md, "Versioning").
    pub fn layout_error(&self, version: u8) -> Option<String> {
        match self.flags {
            FLAG_SPLIT if version != 1 => Some(format!(
                "layout SPLIT (flags {FLAG_SPLIT:#04x}) is not part of format version {version} \
                 (only version 1 has it)"
            )),
            FLAG_STREAMS if !(2..=3).contains(&version) => Some(format!(
                "layout STREAMS (flags {FLAG_STREAMS:#04x}) is not part of format version \
                 {version} (only versions 2 and 3 have it)"
            )),
            FLAG_SEQUENCES if version < 4 => Some(format!(
                "layout SEQUENCES (flags {FLAG_SEQUENCES:#04x}) is not part of format version \
                 {version} (it came with version 4)"
            )),
            _ => None,
        }
    }
}

/// Payload check value. The two bulk hashes use twox-hash's xxh3, which picks its AVX2 build at
/// run time where the CPU has AVX2 (docs/perf-log.md, eighteenth session).
pub fn payload_hash(payload: &[u8]) -> u32 {
    Xxh3::oneshot(payload) as u32
}

/// Raw-bytes checksum.
pub fn raw_hash(raw: &[u8]) -> u64 {
    Xxh3::oneshot(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hasher as _;

    /// The hashes agree with a second implementation (xxhash-rust) at every input length up to
    /// 1100 bytes (each of xxh3's size classes and the edges between them) and on 1 MiB, where
    /// twox-hash takes its AVX2 build on CPUs that have AVX2; the streaming xxh3 too, fed in
    /// pieces.
    #[test]
    fn hashes_match_a_second_implementation() {
        let data: Vec<u8> = (0..1u32 << 20)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for len in (0..=1100).chain([4095, 4096, 4097, 65_537, 1 << 20]) {
            let d = &data[..len];
            assert_eq!(
                raw_hash(d),
                xxhash_rust::xxh3::xxh3_64(d),
                "raw_hash, {len} bytes"
            );
            assert_eq!(
                payload_hash(d),
                xxhash_rust::xxh3::xxh3_64(d) as u32,
                "{len} bytes"
            );
            assert_eq!(
                check(d),
                xxhash_rust::xxh32::xxh32(d, 0),
                "check, {len} bytes"
            );
            let mut h = Xxh3::new();
            for piece in d.chunks(len / 3 + 7) {
                h.write(piece);
            }
            assert_eq!(h.finish(), raw_hash(d), "streaming, {len} bytes");
        }
    }
}
