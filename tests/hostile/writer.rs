//! A container writer for hostile archives: every field of every structure can be set to any
//! value, and every check value, payload hash, index check and stream hash is then computed for
//! what was written (unless a test sets it too), so the decoder gets past the checksums to the
//! rule under test. Written from docs/FORMAT.md, not from the library.

use xxhash_rust::xxh3::xxh3_64;
use xxhash_rust::xxh32::xxh32;

pub const PLAIN: u8 = 0;
pub const STORED: u8 = 1;
pub const SPLIT: u8 = 2;
pub const STREAMS: u8 = 4;
pub const SEQUENCES: u8 = 8;

/// The format version docs/FORMAT.md specifies, which the encoder writes: the version of the
/// archives that stand for "what the encoder could have written".
pub const VERSION: u8 = 4;

/// One segment: its header fields and payload. `payload_hash` and the header check are computed.
#[derive(Clone, Debug)]
pub struct Seg {
    pub flags: u8,
    pub reserved: [u8; 3],
    pub raw_len: u32,
    pub enc_len: u32,
    pub raw_hash: u64,
    pub payload: Vec<u8>,
}

impl Seg {
    /// A segment decoding to `raw` whose payload is `payload` in layout `flags`.
    pub fn coded(flags: u8, raw: &[u8], payload: Vec<u8>) -> Seg {
        Seg {
            flags,
            reserved: [0; 3],
            raw_len: raw.len() as u32,
            enc_len: payload.len() as u32,
            raw_hash: xxh3_64(raw),
            payload,
        }
    }

    /// A STORED segment of `raw`.
    pub fn stored(raw: &[u8]) -> Seg {
        Seg::coded(STORED, raw, raw.to_vec())
    }
}

/// One index entry.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub raw_offset: u64,
    pub enc_offset: u64,
    pub raw_len: u32,
    pub enc_len: u32,
    pub raw_hash: u64,
}

/// The index and footer fields, as derived from the segments; a test may change any of them
/// before they are written (the index check and the footer check are computed after).
#[derive(Clone, Debug)]
pub struct Trailer {
    pub count: u64,
    pub entries: Vec<Entry>,
    pub segments: u64,
    pub raw_len: u64,
    pub index_offset: u64,
    pub stream_hash: u64,
}

/// A whole stream: file header fields and segments.
#[derive(Clone, Debug)]
pub struct Archive {
    pub version: u8,
    pub header_flags: u8,
    pub level: u8,
    pub reserved: u8,
    pub segment_size: u32,
    pub segs: Vec<Seg>,
}

impl Archive {
    /// A version-`version` stream with `segment_size` and no segment, at level 3.
    pub fn new(version: u8, segment_size: u32) -> Archive {
        Archive {
            version,
            header_flags: 0,
            level: 3,
            reserved: 0,
            segment_size,
            segs: Vec::new(),
        }
    }

    pub fn seg(mut self, s: Seg) -> Archive {
        self.segs.push(s);
        self
    }

    /// Where segment `k`'s header is.
    pub fn seg_offset(&self, k: usize) -> u64 {
        16 + self.segs[..k]
            .iter()
            .map(|s| 36 + s.payload.len() as u64)
            .sum::<u64>()
    }

    /// The index and footer that describe the segments.
    pub fn trailer(&self) -> Trailer {
        let mut entries = Vec::new();
        let mut raw_offset = 0;
        for (k, s) in self.segs.iter().enumerate() {
            entries.push(Entry {
                raw_offset,
                enc_offset: self.seg_offset(k),
                raw_len: s.raw_len,
                enc_len: s.enc_len,
                raw_hash: s.raw_hash,
            });
            raw_offset += u64::from(s.raw_len);
        }
        let hashes: Vec<u8> = entries
            .iter()
            .flat_map(|e| e.raw_hash.to_le_bytes())
            .collect();
        Trailer {
            count: entries.len() as u64,
            segments: entries.len() as u64,
            raw_len: raw_offset,
            index_offset: self.seg_offset(self.segs.len()),
            stream_hash: xxh3_64(&hashes),
            entries,
        }
    }

    /// The stream's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        self.bytes_with(|_| {})
    }

    /// The stream's bytes, the index and footer fields changed by `edit` first.
    pub fn bytes_with(&self, edit: impl FnOnce(&mut Trailer)) -> Vec<u8> {
        let mut b = vec![
            0xce,
            0xa3,
            b'L',
            b'G',
            self.version,
            self.header_flags,
            self.level,
        ];
        b.push(self.reserved);
        b.extend_from_slice(&self.segment_size.to_le_bytes());
        let c = xxh32(&b[..12], 0);
        b.extend_from_slice(&c.to_le_bytes());
        for (k, s) in self.segs.iter().enumerate() {
            let at = b.len();
            b.extend_from_slice(&[0xce, 0xa3, b'S', b'G']);
            b.extend_from_slice(&(k as u32).to_le_bytes());
            b.push(s.flags);
            b.extend_from_slice(&s.reserved);
            b.extend_from_slice(&s.raw_len.to_le_bytes());
            b.extend_from_slice(&s.enc_len.to_le_bytes());
            b.extend_from_slice(&s.raw_hash.to_le_bytes());
            b.extend_from_slice(&(xxh3_64(&s.payload) as u32).to_le_bytes());
            let c = xxh32(&b[at..at + 32], 0);
            b.extend_from_slice(&c.to_le_bytes());
            b.extend_from_slice(&s.payload);
        }
        let mut t = self.trailer();
        edit(&mut t);
        let index_at = b.len();
        b.extend_from_slice(&[0xce, 0xa3, b'I', b'X']);
        b.extend_from_slice(&t.count.to_le_bytes());
        for e in &t.entries {
            b.extend_from_slice(&e.raw_offset.to_le_bytes());
            b.extend_from_slice(&e.enc_offset.to_le_bytes());
            b.extend_from_slice(&e.raw_len.to_le_bytes());
            b.extend_from_slice(&e.enc_len.to_le_bytes());
            b.extend_from_slice(&e.raw_hash.to_le_bytes());
        }
        // The count is hashed after the entries.
        let mut hashed = b[index_at..index_at + 4].to_vec();
        hashed.extend_from_slice(&b[index_at + 12..]);
        hashed.extend_from_slice(&t.count.to_le_bytes());
        b.extend_from_slice(&(xxh3_64(&hashed) as u32).to_le_bytes());
        let foot = b.len();
        b.extend_from_slice(&[0xce, 0xa3, b'N', b'D']);
        for v in [t.segments, t.raw_len, t.index_offset, t.stream_hash] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        let c = xxh32(&b[foot..foot + 36], 0);
        b.extend_from_slice(&c.to_le_bytes());
        b
    }
}

/// A streams-layout payload of five sections given whole (`count` u32 and a byte section each).
pub fn sections(parts: [Vec<u8>; 5]) -> Vec<u8> {
    parts.concat()
}

/// A section of `v` in mode 0 (raw), with its count.
pub fn raw(v: &[u8]) -> Vec<u8> {
    section(v.len() as u32, &[&[0][..], v].concat())
}

/// A section with count `count` and byte section `body` as given.
pub fn section(count: u32, body: &[u8]) -> Vec<u8> {
    [&count.to_le_bytes()[..], body].concat()
}

/// A mode-1 byte section (without its count) of bytes drawn from `a < b`, each coded in one bit
/// (`a` 0, `b` 1); `stream_len` is written as the varint bytes given, or the shortest.
pub fn huffman_ab(data: &[u8], a: u8, b: u8, stream_len: Option<&[u8]>) -> Vec<u8> {
    let mut nibbles = vec![0u8; usize::from(b) / 2 + 1];
    for s in [a, b] {
        nibbles[usize::from(s) / 2] |= 1 << (4 * (s % 2));
    }
    let mut bits = vec![0u8; data.len().div_ceil(8)];
    for (i, &x) in data.iter().enumerate() {
        bits[i / 8] |= u8::from(x == b) << (i % 8);
    }
    let len = [bits.len() as u8];
    [&[1, b][..], &nibbles, stream_len.unwrap_or(&len), &bits].concat()
}
