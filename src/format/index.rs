//! The index and the footer at the end of a stream (docs/FORMAT.md, "Index" and "Footer"): their
//! entries and bytes, the builder that writes or recomputes them as segments go by, and the
//! validated index read from a seekable stream.

use super::*;
use std::hash::Hasher as _;

/// One entry of the index: where a segment is, in the original and in the encoded stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// Offset of the segment's first byte in the original data.
    pub raw_offset: u64,
    /// Offset of the segment header in the encoded stream.
    pub enc_offset: u64,
    /// Decoded length.
    pub raw_len: u32,
    /// Payload length (the segment occupies `36 + enc_len` encoded bytes).
    pub enc_len: u32,
    /// xxh3-64 of the decoded bytes.
    pub raw_hash: u64,
}

impl IndexEntry {
    fn to_bytes(self) -> [u8; INDEX_ENTRY_LEN] {
        let mut b = [0u8; INDEX_ENTRY_LEN];
        b[0..8].copy_from_slice(&self.raw_offset.to_le_bytes());
        b[8..16].copy_from_slice(&self.enc_offset.to_le_bytes());
        b[16..20].copy_from_slice(&self.raw_len.to_le_bytes());
        b[20..24].copy_from_slice(&self.enc_len.to_le_bytes());
        b[24..32].copy_from_slice(&self.raw_hash.to_le_bytes());
        b
    }

    fn parse(b: &[u8]) -> IndexEntry {
        IndexEntry {
            raw_offset: le64(b, 0),
            enc_offset: le64(b, 8),
            raw_len: le32(b, 16),
            enc_len: le32(b, 20),
            raw_hash: le64(b, 24),
        }
    }
}

/// The 40-byte footer at the very end of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footer {
    /// Number of segments.
    pub segments: u64,
    /// Total decoded length.
    pub raw_len: u64,
    /// Offset of the index in the encoded stream.
    pub index_offset: u64,
    /// xxh3-64 over the segments' raw hashes (8 bytes LE each) in order: a whole-stream checksum.
    pub stream_hash: u64,
}

impl Footer {
    /// Serializes the footer.
    pub fn to_bytes(&self) -> [u8; FOOTER_LEN] {
        let mut b = [0u8; FOOTER_LEN];
        b[0..4].copy_from_slice(&FOOTER_MAGIC);
        b[4..12].copy_from_slice(&self.segments.to_le_bytes());
        b[12..20].copy_from_slice(&self.raw_len.to_le_bytes());
        b[20..28].copy_from_slice(&self.index_offset.to_le_bytes());
        b[28..36].copy_from_slice(&self.stream_hash.to_le_bytes());
        let c = check(&b[..36]);
        b[36..40].copy_from_slice(&c.to_le_bytes());
        b
    }

    /// Parses a footer found at encoded byte `offset`.
    pub fn parse(b: &[u8; FOOTER_LEN], offset: u64) -> Result<Footer> {
        let bad = |what: String| Err(Error::CorruptTrailer { offset, what });
        if b[0..4] != FOOTER_MAGIC {
            return bad(format!("bad footer marker {:02x?}", &b[0..4]));
        }
        if check(&b[..36]) != le32(b, 36) {
            return bad("footer check value mismatch".into());
        }
        Ok(Footer {
            segments: le64(b, 4),
            raw_len: le64(b, 12),
            index_offset: le64(b, 20),
            stream_hash: le64(b, 28),
        })
    }
}

/// What a stream's footer says that its segments (or, read through the index, the index that
/// describes them exactly) do not: the first field that differs, for an error blamed on the footer
/// (docs/FORMAT.md, "Which structure is authoritative"). `None` when they agree.
pub(crate) fn footer_disagreement(found: &Footer, expected: &Footer) -> Option<String> {
    if found.segments != expected.segments {
        return Some(format!(
            "footer segment count {} disagrees with the {} segments of the stream",
            found.segments, expected.segments
        ));
    }
    if found.raw_len != expected.raw_len {
        return Some(format!(
            "footer raw length {} disagrees with the {} bytes the segments hold",
            found.raw_len, expected.raw_len
        ));
    }
    if found.index_offset != expected.index_offset {
        return Some(format!(
            "footer index offset {} disagrees with the index at {}",
            found.index_offset, expected.index_offset
        ));
    }
    if found.stream_hash != expected.stream_hash {
        return Some(format!(
            "footer stream checksum {:016x} disagrees with the segments' raw hashes ({:016x})",
            found.stream_hash, expected.stream_hash
        ));
    }
    None
}

/// Builds the index and footer as segments go by (writer side), or recomputes what they must be
/// (streaming reader side). Holds 32 bytes per segment only when `keep_entries` is set.
pub struct IndexBuilder {
    entries: Vec<IndexEntry>,
    keep_entries: bool,
    count: u64,
    raw_len: u64,
    index_hash: Xxh3,
    stream_hash: Xxh3,
}

impl IndexBuilder {
    /// A new builder; `keep_entries` = false keeps O(1) memory (for verification while streaming).
    pub fn new(keep_entries: bool) -> IndexBuilder {
        let mut index_hash = Xxh3::new();
        index_hash.write(&INDEX_MAGIC);
        IndexBuilder {
            entries: Vec::new(),
            keep_entries,
            count: 0,
            raw_len: 0,
            index_hash,
            stream_hash: Xxh3::new(),
        }
    }

    /// Records the next segment.
    pub fn push(&mut self, e: IndexEntry) {
        // The count precedes the entries on disk but is unknown until the end, so the index check
        // hashes the entries and then the count (see docs/FORMAT.md).
        self.index_hash.write(&e.to_bytes());
        self.stream_hash.write(&e.raw_hash.to_le_bytes());
        self.count += 1;
        self.raw_len += u64::from(e.raw_len);
        if self.keep_entries {
            self.entries.push(e);
        }
    }

    /// Segments recorded so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Raw bytes recorded so far.
    pub fn raw_len(&self) -> u64 {
        self.raw_len
    }

    fn index_check(&self) -> u32 {
        let mut h = self.index_hash.clone();
        h.write(&self.count.to_le_bytes());
        h.finish() as u32
    }

    /// The footer for an index written at `index_offset`.
    pub fn footer(&self, index_offset: u64) -> Footer {
        Footer {
            segments: self.count,
            raw_len: self.raw_len,
            index_offset,
            stream_hash: self.stream_hash.finish(),
        }
    }

    /// Serialized index followed by the footer, for an index that starts at `index_offset`.
    /// Requires `keep_entries`.
    pub fn trailer_bytes(&self, index_offset: u64) -> Vec<u8> {
        assert!(self.keep_entries, "trailer_bytes needs the entries");
        let mut b =
            Vec::with_capacity(INDEX_FIXED_LEN + self.entries.len() * INDEX_ENTRY_LEN + FOOTER_LEN);
        b.extend_from_slice(&INDEX_MAGIC);
        b.extend_from_slice(&self.count.to_le_bytes());
        for e in &self.entries {
            b.extend_from_slice(&e.to_bytes());
        }
        b.extend_from_slice(&self.index_check().to_le_bytes());
        b.extend_from_slice(&self.footer(index_offset).to_bytes());
        b
    }

    /// The index check value and count a streaming reader must find (used with `keep_entries` off).
    pub fn expected_check(&self) -> (u64, u32) {
        (self.count, self.index_check())
    }
}

/// A validated index and footer, read from the end of a seekable stream.
#[derive(Clone, Debug)]
pub struct Index {
    /// The file header.
    pub header: FileHeader,
    /// One entry per segment, in order.
    pub entries: Vec<IndexEntry>,
    /// The footer.
    pub footer: Footer,
    /// Total encoded length.
    pub encoded_len: u64,
}

impl Index {
    /// Reads header, footer and index through positional reads (two reads at the end of the file),
    /// checking every field against the file length before allocating anything. The file must
    /// hold exactly one stream: anything after its footer, another stream included, is an error
    /// ([`Error::TrailingData`] when a complete stream is found to end shortly before the end of
    /// the file). A file of several streams back to back is read with [`read_streams_at`].
    pub fn read_at(
        read_at: &dyn Fn(&mut [u8], u64) -> std::io::Result<()>,
        encoded_len: u64,
    ) -> Result<Index> {
        let min = (FILE_HEADER_LEN + INDEX_FIXED_LEN + FOOTER_LEN) as u64;
        let mut hb = [0u8; FILE_HEADER_LEN];
        if encoded_len < FILE_HEADER_LEN as u64 {
            read_at(&mut hb[..encoded_len as usize], 0)?;
            if encoded_len >= 4 && hb[..4] != FILE_MAGIC {
                return Err(Error::BadMagic {
                    found: hb[..4].try_into().unwrap(),
                });
            }
            return Err(Error::Truncated {
                offset: encoded_len,
                what: "the file header",
            });
        }
        read_at(&mut hb, 0)?;
        let header = FileHeader::parse(&hb)?;
        if encoded_len < min {
            return Err(Error::Truncated {
                offset: encoded_len,
                what: "the footer",
            });
        }
        let foot_at = encoded_len - FOOTER_LEN as u64;
        let mut fb = [0u8; FOOTER_LEN];
        read_at(&mut fb, foot_at)?;
        if fb[0..4] != FOOTER_MAGIC {
            // Either the stream was cut (the footer is missing) or bytes were appended after it: a
            // valid footer shortly before the end tells the two apart.
            if let Some(end) = find_footer_end(read_at, encoded_len) {
                return Err(Error::TrailingData { offset: end });
            }
            return Err(Error::Truncated {
                offset: encoded_len,
                what: "the footer (no footer at end of file)",
            });
        }
        let footer = Footer::parse(&fb, foot_at)?;
        let bad = |what: String| {
            Err(Error::CorruptTrailer {
                offset: foot_at,
                what,
            })
        };
        let seg = u64::from(header.segment_size);
        let index_len = (INDEX_FIXED_LEN as u64)
            .checked_add(footer.segments.saturating_mul(INDEX_ENTRY_LEN as u64));
        let misplaced = footer.index_offset < FILE_HEADER_LEN as u64
            || index_len.and_then(|l| footer.index_offset.checked_add(l)) != Some(foot_at);
        if misplaced {
            if let Some(end) = find_footer_end(read_at, encoded_len) {
                return Err(Error::TrailingData { offset: end });
            }
            // An index whose own count fits exactly where the footer places it: the footer's
            // segment count is the field that is wrong.
            let mut head = [0u8; 12];
            let fits = |n: u64| {
                n.checked_mul(INDEX_ENTRY_LEN as u64)
                    .and_then(|l| l.checked_add(INDEX_FIXED_LEN as u64))
                    .and_then(|l| l.checked_add(footer.index_offset))
                    == Some(foot_at)
            };
            if footer.index_offset >= FILE_HEADER_LEN as u64
                && footer.index_offset < foot_at
                && read_at(&mut head, footer.index_offset).is_ok()
                && head[0..4] == INDEX_MAGIC
                && fits(le64(&head, 4))
            {
                return bad(format!(
                    "footer segment count {} disagrees with the {} segments of the stream",
                    footer.segments,
                    le64(&head, 4)
                ));
            }
            return bad(format!(
                "index offset {} does not fit {} segments before the footer",
                footer.index_offset, footer.segments
            ));
        }
        let ibad = |what: String| {
            Err(Error::CorruptTrailer {
                offset: footer.index_offset,
                what,
            })
        };
        let mut head = [0u8; 12];
        read_at(&mut head, footer.index_offset)?;
        if head[0..4] != INDEX_MAGIC || le64(&head, 4) != footer.segments {
            return ibad("index marker or count does not match the footer".into());
        }
        // Entries are read in bounded chunks and checked as they arrive: a footer claiming a huge
        // index (a sparse or forged file) fails at its first bad entry, never allocating the claim.
        const CHUNK: u64 = 2048;
        let mut rebuilt = IndexBuilder::new(true);
        let mut raw_off = 0u64;
        let mut enc_off = FILE_HEADER_LEN as u64;
        let mut chunk = Vec::new();
        let mut k = 0u64;
        while k < footer.segments {
            let n = CHUNK.min(footer.segments - k);
            chunk.resize(n as usize * INDEX_ENTRY_LEN, 0);
            read_at(
                &mut chunk,
                footer.index_offset + 12 + k * INDEX_ENTRY_LEN as u64,
            )?;
            for raw in chunk.chunks_exact(INDEX_ENTRY_LEN) {
                let e = IndexEntry::parse(raw);
                // The entries alone fix the stream's length (every segment but the last holds
                // exactly `segment_size`): the footer's raw length is checked against them below.
                let last = k + 1 == footer.segments;
                if e.raw_offset != raw_off {
                    return ibad(format!(
                        "entry {k} raw offset {} is not {raw_off}, where segment {k} starts",
                        e.raw_offset
                    ));
                }
                if e.enc_offset != enc_off {
                    return ibad(format!(
                        "entry {k} encoded offset {} is not {enc_off}, where segment {k} is",
                        e.enc_offset
                    ));
                }
                if e.raw_len == 0 || u64::from(e.raw_len) > seg {
                    return ibad(format!(
                        "entry {k} raw length {} outside 1..={seg}",
                        e.raw_len
                    ));
                }
                if !last && u64::from(e.raw_len) != seg {
                    return ibad(format!(
                        "entry {k} raw length {}, but every segment but the last holds exactly \
                         the segment size {seg}",
                        e.raw_len
                    ));
                }
                if e.enc_len > e.raw_len {
                    return ibad(format!(
                        "entry {k} payload length {} above its raw length {}",
                        e.enc_len, e.raw_len
                    ));
                }
                raw_off += u64::from(e.raw_len);
                enc_off += SEGMENT_HEADER_LEN as u64 + u64::from(e.enc_len);
                if enc_off > footer.index_offset {
                    return ibad(format!("entry {k} runs past the start of the index"));
                }
                rebuilt.push(e);
                k += 1;
            }
        }
        if enc_off != footer.index_offset {
            return ibad("segments do not end where the index starts".into());
        }
        let mut check = [0u8; 4];
        read_at(&mut check, foot_at - 4)?;
        if rebuilt.index_check() != u32::from_le_bytes(check) {
            return ibad("index check value mismatch".into());
        }
        if let Some(what) = footer_disagreement(&footer, &rebuilt.footer(footer.index_offset)) {
            // The index holds together and its check value holds, but the footer disagrees with
            // it: the segments decide which of the two is wrong (docs/FORMAT.md, "Which structure
            // is authoritative"), so their headers are read, on this error path only.
            for (k, e) in rebuilt.entries.iter().enumerate() {
                let mut hb = [0u8; SEGMENT_HEADER_LEN];
                read_at(&mut hb, e.enc_offset)?;
                let h =
                    SegmentHeader::parse(&hb, e.enc_offset, header.segment_size, Some(k as u64))?;
                if u64::from(h.ordinal) != k as u64
                    || (h.raw_len, h.enc_len, h.raw_hash) != (e.raw_len, e.enc_len, e.raw_hash)
                {
                    return ibad(format!(
                        "entry {k} disagrees with the header of segment {k} (index: raw length \
                         {}, payload {}, hash {:016x}; header: {}, {}, {:016x})",
                        e.raw_len, e.enc_len, e.raw_hash, h.raw_len, h.enc_len, h.raw_hash
                    ));
                }
            }
            return bad(what);
        }
        Ok(Index {
            header,
            entries: rebuilt.entries,
            footer,
            encoded_len,
        })
    }
}
