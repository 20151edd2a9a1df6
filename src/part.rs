//! Parts: an encode split across processes or machines (docs/FORMAT.md, "Parts").
//!
//! Segments are independent and their boundaries depend only on the input's length and the segment
//! size, so the segments of an input can be encoded anywhere, in any order: [`encode_part`] encodes
//! the `k`-th of `n` runs of whole segments into a part file, and [`join`] checks a full set of
//! parts and writes the stream — byte-identical to [`crate::encode`] of the same input with the
//! same level and segment size, whatever `n` is.

use crate::error::{Error, Result};
use crate::format::{
    self, FileHeader, IndexBuilder, IndexEntry, SegmentHeader, FILE_HEADER_LEN, SEGMENT_HEADER_LEN,
    VERSION,
};
use crate::options::Options;
use crate::pipeline::{self, Progress, Source, Span};
use crate::stats::Stats;
use std::fs::File;
use std::io::{Read, Write};

/// A part file's magic: `CE A3 50 54` ("ΣPT").
pub const PART_MAGIC: [u8; 4] = [0xce, 0xa3, b'P', b'T'];
/// Bytes of a part header.
pub const PART_HEADER_LEN: usize = 48;
/// Most parts an input may be split into.
pub const MAX_PARTS: u32 = 1 << 20;

/// The 48-byte header of a part file: which stream the part belongs to and which segments it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartHeader {
    /// Format version of the stream the segments belong to.
    pub version: u8,
    /// Codec level.
    pub level: u8,
    /// Raw bytes per segment.
    pub segment_size: u32,
    /// How many parts the input was split into.
    pub parts: u32,
    /// Which part this is, `0..parts`.
    pub part: u32,
    /// Length of the whole input.
    pub input_len: u64,
    /// Ordinal of the part's first segment.
    pub first: u64,
    /// Segments in the part.
    pub count: u32,
}

impl PartHeader {
    /// The header's bytes, check value included.
    pub fn to_bytes(&self) -> [u8; PART_HEADER_LEN] {
        let mut b = [0u8; PART_HEADER_LEN];
        b[0..4].copy_from_slice(&PART_MAGIC);
        b[4] = self.version;
        b[6] = self.level;
        b[8..12].copy_from_slice(&self.segment_size.to_le_bytes());
        b[12..16].copy_from_slice(&self.parts.to_le_bytes());
        b[16..20].copy_from_slice(&self.part.to_le_bytes());
        b[24..32].copy_from_slice(&self.input_len.to_le_bytes());
        b[32..40].copy_from_slice(&self.first.to_le_bytes());
        b[40..44].copy_from_slice(&self.count.to_le_bytes());
        let c = crate::format::check(&b[..44]);
        b[44..48].copy_from_slice(&c.to_le_bytes());
        b
    }

    /// Parses and checks a part header: magic, check value, reserved bytes, the stream's header
    /// fields, and that the part's segments are the ones [`segments_of_part`] gives.
    pub fn parse(b: &[u8; PART_HEADER_LEN]) -> Result<PartHeader> {
        let bad = |what: String| Err(Error::BadHeader { what });
        if b[0..4] != PART_MAGIC {
            return bad(format!("not a ΣLANG part (bad magic {:02x?})", &b[0..4]));
        }
        let le32 = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        let le64 = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
        if crate::format::check(&b[..44]) != le32(44) {
            return bad("part header check value mismatch".into());
        }
        if b[5] != 0 || b[7] != 0 || b[20..24] != [0; 4] {
            return bad("part header reserved bytes set".into());
        }
        let h = PartHeader {
            version: b[4],
            level: b[6],
            segment_size: le32(8),
            parts: le32(12),
            part: le32(16),
            input_len: le64(24),
            first: le64(32),
            count: le32(40),
        };
        if h.version != VERSION {
            return Err(Error::UnsupportedVersion {
                found: h.version,
                supported: VERSION,
            });
        }
        // The stream header these fields make must be valid (level, segment size).
        let mut fh = FileHeader::new(h.level, h.segment_size).to_bytes();
        fh[4] = h.version;
        FileHeader::parse(&fh)?;
        if h.parts == 0 || h.parts > MAX_PARTS || h.part >= h.parts {
            return bad(format!("part {} of {} is not a part", h.part, h.parts));
        }
        let (first, count) = segments_of_part(h.input_len, h.segment_size, h.part, h.parts);
        if (h.first, u64::from(h.count)) != (first, count) {
            return bad(format!(
                "part {} of {} holds segments {}..{}, where an input of {} bytes has {first}..{}",
                h.part,
                h.parts,
                h.first,
                h.first + u64::from(h.count),
                h.input_len,
                first + count
            ));
        }
        Ok(h)
    }
}

/// The segments part `part` of `parts` holds, for an input of `len` bytes in segments of
/// `segment_size`: `(first ordinal, count)`, segments `S·part/parts .. S·(part+1)/parts` of the
/// input's `S` segments (so parts differ by at most one segment, and some may be empty).
pub fn segments_of_part(len: u64, segment_size: u32, part: u32, parts: u32) -> (u64, u64) {
    let s = len.div_ceil(u64::from(segment_size.max(1))) as u128;
    let at = |k: u32| (s * u128::from(k) / u128::from(parts.max(1))) as u64;
    (at(part), at(part + 1) - at(part))
}

/// Encodes part `part` of `parts` of the file `input` into `out`: a part header, then the part's
/// segments exactly as [`crate::encode`] writes them (ordinals and all). The segment size is the
/// one `opts` resolves for the whole input, so every part agrees with the others.
pub fn encode_part(
    input: &File,
    out: &mut dyn Write,
    opts: &Options,
    part: u32,
    parts: u32,
    progress: Option<Progress<'_>>,
) -> Result<Stats> {
    let len = input.metadata()?.len();
    encode_part_of(Source::File(input), len, out, opts, part, parts, progress)
}

/// [`encode_part`] when only the part's own bytes are at hand (a range read from object storage):
/// `input` yields exactly the raw bytes of the part — [`part_range`] says which — of an input of
/// `input_len` bytes. Fewer bytes than that is [`Error::InputChanged`].
pub fn encode_part_from_reader(
    input: &mut (dyn std::io::Read + Send),
    input_len: u64,
    out: &mut dyn Write,
    opts: &Options,
    part: u32,
    parts: u32,
) -> Result<Stats> {
    let seg = opts.resolved_segment_size(Some(input_len));
    let (start, end) = part_range(input_len, seg, part, parts);
    let stats = encode_part_of(
        Source::Reader(input),
        input_len,
        out,
        opts,
        part,
        parts,
        None,
    )?;
    if stats.bytes_in != end - start {
        return Err(Error::InputChanged(format!(
            "part {part} of {parts} is bytes {start}..{end} of the input ({} bytes), but {} \
             were read",
            end - start,
            stats.bytes_in
        )));
    }
    Ok(stats)
}

/// The raw bytes `start..end` of an input of `len` bytes that part `part` of `parts` encodes, at
/// segment size `segment_size` (see [`segments_of_part`]).
pub fn part_range(len: u64, segment_size: u32, part: u32, parts: u32) -> (u64, u64) {
    let (first, count) = segments_of_part(len, segment_size, part, parts);
    let seg = u64::from(segment_size);
    ((first * seg).min(len), ((first + count) * seg).min(len))
}

fn encode_part_of(
    input: Source<'_>,
    len: u64,
    out: &mut dyn Write,
    opts: &Options,
    part: u32,
    parts: u32,
    progress: Option<Progress<'_>>,
) -> Result<Stats> {
    opts.validate()?;
    if parts == 0 || parts > MAX_PARTS || part >= parts {
        return Err(Error::InvalidOption(format!(
            "part {part} of {parts}: parts are numbered 0 to N-1, with N from 1 to {MAX_PARTS}"
        )));
    }
    let seg = opts.resolved_segment_size(Some(len));
    let (first, count) = segments_of_part(len, seg, part, parts);
    let header = PartHeader {
        version: VERSION,
        level: opts.get_level(),
        segment_size: seg,
        parts,
        part,
        input_len: len,
        first,
        count: u32::try_from(count)
            .map_err(|_| Error::InvalidOption("more than 2^32 segments in one part".into()))?,
    };
    out.write_all(&header.to_bytes()).map_err(Error::Write)?;
    let span = Span {
        index: IndexBuilder::new(false),
        written: PART_HEADER_LEN as u64,
        first,
        end: Some(first + count),
        trailer: false,
    };
    let opts = opts.clone().segment_size(seg);
    pipeline::encode_from(input, out, &opts, progress, Some(span))
}

/// Checks a full set of parts (any order, each exactly once) and writes the stream they make to
/// `out`: byte-identical to [`crate::encode`] of the input they came from. A part that is damaged
/// (a check value, a payload checksum), cut short, followed by other bytes, or that does not belong
/// with the others is an error naming it, found before anything of the output is written when it
/// is in a part header, and before the part's first byte otherwise (callers write to a temporary
/// file and discard it on error).
pub fn join(parts: &mut [&mut dyn Read], out: &mut dyn Write) -> Result<Stats> {
    let start = std::time::Instant::now();
    let part_err = |index: usize, e: Error| Error::Part {
        index,
        source: Box::new(e),
    };
    let mut headers = Vec::with_capacity(parts.len());
    for (k, f) in parts.iter_mut().enumerate() {
        let mut b = [0u8; PART_HEADER_LEN];
        f.read_exact(&mut b).map_err(|e| {
            part_err(
                k,
                match e.kind() {
                    std::io::ErrorKind::UnexpectedEof => Error::Truncated {
                        offset: 0,
                        what: "the part header",
                    },
                    _ => Error::Io(e),
                },
            )
        })?;
        headers.push(PartHeader::parse(&b).map_err(|e| part_err(k, e))?);
    }
    let Some(&h0) = headers.first() else {
        return Err(Error::PartSet("no parts given".into()));
    };
    // All parts of one encode, each exactly once.
    let mut order: Vec<Option<usize>> = vec![None; h0.parts as usize];
    for (k, h) in headers.iter().enumerate() {
        let same = (h.version, h.level, h.segment_size, h.parts, h.input_len)
            == (
                h0.version,
                h0.level,
                h0.segment_size,
                h0.parts,
                h0.input_len,
            );
        if !same {
            return Err(Error::PartSet(format!(
                "part file {} belongs to another encode (level {}, segment size {}, {} parts of {} \
                 bytes; the first part given: level {}, segment size {}, {} parts of {} bytes)",
                k + 1,
                    h.level,
                    h.segment_size,
                    h.parts,
                    h.input_len,
                    h0.level,
                    h0.segment_size,
                h0.parts,
                h0.input_len
            )));
        }
        if let Some(other) = order[h.part as usize].replace(k) {
            return Err(Error::PartSet(format!(
                "part files {} and {} are both part {} of {}",
                other + 1,
                k + 1,
                h.part,
                h.parts
            )));
        }
    }
    if let Some(missing) = order.iter().position(Option::is_none) {
        return Err(Error::PartSet(format!(
            "part {missing} of {} is missing",
            h0.parts
        )));
    }
    let seg = h0.segment_size;
    let segments = h0.input_len.div_ceil(u64::from(seg));
    let mut stats = Stats::new(1, seg);
    out.write_all(&FileHeader::new(h0.level, seg).to_bytes())
        .map_err(Error::Write)?;
    let mut index = IndexBuilder::new(true);
    let mut written = FILE_HEADER_LEN as u64;
    let mut buf = Vec::new();
    for k in order.into_iter().flatten() {
        let h = headers[k];
        let f = &mut *parts[k];
        let mut at = PART_HEADER_LEN as u64;
        for ordinal in h.first..h.first + u64::from(h.count) {
            let e =
                copy_segment(f, at, ordinal, segments, &h, &mut buf).map_err(|e| part_err(k, e))?;
            out.write_all(&buf).map_err(Error::Write)?;
            index.push(IndexEntry {
                raw_offset: index.raw_len(),
                enc_offset: written,
                raw_len: e.raw_len,
                enc_len: e.enc_len,
                raw_hash: e.raw_hash,
            });
            stats.segments += 1;
            stats.stored_segments += u64::from(e.stored());
            written += buf.len() as u64;
            at += buf.len() as u64;
        }
        let extra = std::io::copy(&mut f.take(1 << 20), &mut std::io::sink())?;
        if extra > 0 {
            return Err(part_err(k, Error::PartTrailingData { offset: at, extra }));
        }
    }
    let trailer = index.trailer_bytes(written);
    out.write_all(&trailer).map_err(Error::Write)?;
    out.flush().map_err(Error::Write)?;
    stats.bytes_in = index.raw_len();
    stats.bytes_out = written + trailer.len() as u64;
    stats.finish(start.elapsed());
    Ok(stats)
}

/// Reads the segment `ordinal` of a part, at byte `at` of it, into `buf` (header and payload) and checks it:
/// header check value and limits, ordinal, its length (every segment but the input's last is
/// whole), its layout for the version, and its payload checksum.
fn copy_segment(
    f: &mut dyn Read,
    at: u64,
    ordinal: u64,
    segments: u64,
    h: &PartHeader,
    buf: &mut Vec<u8>,
) -> Result<SegmentHeader> {
    let truncated = |e: std::io::Error, what| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => Error::Truncated { offset: at, what },
        _ => Error::Io(e),
    };
    let mut hb = [0u8; SEGMENT_HEADER_LEN];
    f.read_exact(&mut hb)
        .map_err(|e| truncated(e, "a segment header"))?;
    let sh = SegmentHeader::parse(&hb, at, h.segment_size, Some(ordinal))?;
    let bad = |what: String| Error::CorruptSegment {
        segment: ordinal,
        offset: at,
        what,
    };
    if u64::from(sh.ordinal) != ordinal {
        return Err(bad(format!(
            "ordinal {} where {ordinal} belongs",
            sh.ordinal
        )));
    }
    let want = if ordinal + 1 == segments {
        h.input_len - ordinal * u64::from(h.segment_size)
    } else {
        u64::from(h.segment_size)
    };
    if u64::from(sh.raw_len) != want {
        return Err(bad(format!(
            "raw length {} where the input has {want}",
            sh.raw_len
        )));
    }
    if let Some(what) = sh.layout_error(h.version) {
        return Err(bad(what));
    }
    buf.clear();
    buf.extend_from_slice(&hb);
    buf.resize(SEGMENT_HEADER_LEN + sh.enc_len as usize, 0);
    f.read_exact(&mut buf[SEGMENT_HEADER_LEN..])
        .map_err(|e| truncated(e, "a segment payload"))?;
    if format::payload_hash(&buf[SEGMENT_HEADER_LEN..]) != sh.payload_hash {
        return Err(bad("payload checksum mismatch".into()));
    }
    Ok(sh)
}
