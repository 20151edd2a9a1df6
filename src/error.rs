//! Error types, one per layer: [`CodecError`] for a glyph stream, [`Error`] for the container and I/O.
//!
//! Every variant carries the values that went wrong, and container errors name the segment and the
//! byte offset in the encoded stream where the damage was found.

use std::io;

/// Where in a segment's payload a glyph-level error was found (docs/FORMAT.md, "Error
/// positions").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pos {
    /// The glyph whose tag is at this byte offset from the start of the payload (plain and split
    /// layouts; in the split layout the glyphs start at payload byte 4).
    Byte(usize),
    /// The glyph with this number, from 0: the index of its tag in section 'tags' (streams
    /// layout, whose glyphs are not at any one payload offset).
    Glyph(usize),
    /// The sequence with this number, from 0, in the segment (sequences layout, format version 4).
    Sequence(usize),
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pos::Byte(n) => write!(f, "glyph at payload byte {n}"),
            Pos::Glyph(n) => write!(f, "glyph {n}"),
            Pos::Sequence(n) => write!(f, "sequence {n}"),
        }
    }
}

/// A segment's payload (a glyph stream, or the sections of the split or streams layout) could not
/// be decoded.
///
/// Every position says its unit (docs/FORMAT.md, "Error positions"): a glyph is located by a
/// [`Pos`] (a payload byte in the plain and split layouts, a glyph number in the streams layout);
/// a field of a section, a varint or the end of the sections by its byte offset from the start of
/// the payload.
// Variant fields are described by each variant's message.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The glyph stream ended in the middle of a glyph (plain and split layouts): `at` is the
    /// glyph's first byte, or the field of it that was cut.
    #[error("the glyph stream ends inside a glyph, at payload byte {at}")]
    Truncated { at: usize },
    /// A glyph would write past the segment's declared raw length.
    #[error("{at} writes {len} bytes past the declared raw length {limit}")]
    OutputOverrun { at: Pos, len: u64, limit: usize },
    /// A copy reaches before the start of the segment.
    #[error("{at} references distance {distance}, but only {available} bytes precede it")]
    BadDistance {
        at: Pos,
        distance: u64,
        available: usize,
    },
    /// A varint of a glyph stream that breaks the varint rules (zero-padded, above 2^32 − 1, or
    /// longer than 5 bytes); `at` is the varint's first byte.
    #[error("malformed varint at payload byte {at}: {what}")]
    BadVarint { at: usize, what: &'static str },
    /// The glyphs (or sequences) decoded to fewer bytes than the segment header declares.
    #[error("the payload decodes to {got} bytes, the segment header declares {expected}")]
    ShortOutput { expected: usize, got: usize },
    /// A glyph of the split or streams layout cannot take a field from the section that holds it:
    /// the section runs out, or holds a malformed varint.
    #[error("{at}: section '{section}' {what}")]
    Field {
        at: Pos,
        section: &'static str,
        what: &'static str,
    },
    /// A section has bytes the glyphs did not use.
    #[error("section '{section}' has {left} bytes left over after the last glyph")]
    LeftOver { section: &'static str, left: usize },
    /// A field of a section (its count, mode byte, code lengths, bitstream lengths or bitstream)
    /// is invalid; `at` is the payload offset of the field, or of the offending byte in it.
    #[error("section '{section}' {field} at payload offset {at}: {what}")]
    BadSection {
        section: &'static str,
        field: String,
        at: usize,
        what: String,
    },
    /// Bytes follow the last section of the payload.
    #[error("{left} bytes after the last section, at payload offset {at}")]
    TrailingBytes { at: usize, left: usize },
}

impl CodecError {
    /// The error with every payload byte position moved `by` bytes on (a glyph stream that starts
    /// `by` bytes into the payload).
    pub(crate) fn shifted(self, by: usize) -> CodecError {
        let pos = |p: Pos| match p {
            Pos::Byte(n) => Pos::Byte(n + by),
            glyph => glyph,
        };
        match self {
            CodecError::Truncated { at } => CodecError::Truncated { at: at + by },
            CodecError::BadVarint { at, what } => CodecError::BadVarint { at: at + by, what },
            CodecError::OutputOverrun { at, len, limit } => CodecError::OutputOverrun {
                at: pos(at),
                len,
                limit,
            },
            CodecError::BadDistance {
                at,
                distance,
                available,
            } => CodecError::BadDistance {
                at: pos(at),
                distance,
                available,
            },
            CodecError::Field { at, section, what } => CodecError::Field {
                at: pos(at),
                section,
                what,
            },
            other => other,
        }
    }
}

/// Errors of the container format and of the pipelines that read and write it.
// Variant fields are described by each variant's message.
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error from the underlying reader or writer.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The input does not start with the ΣLANG magic.
    #[error("not a ΣLANG stream (bad magic {})", hex(found))]
    BadMagic { found: [u8; 4] },
    /// The stream was written by a format version this build does not read.
    #[error("unsupported format version {found} (this build reads versions 1 to {supported})")]
    UnsupportedVersion { found: u8, supported: u8 },
    /// The file header is damaged.
    #[error("corrupt file header: {what}")]
    BadHeader { what: String },
    /// The stream ends before the footer: it was cut off (possibly exactly at a segment boundary).
    #[error("truncated stream: ended at encoded byte {offset} while reading {what}")]
    Truncated { offset: u64, what: &'static str },
    /// A segment is damaged: its header, its glyph stream or its checksum.
    #[error("segment {segment} at encoded byte {offset}: {what}")]
    CorruptSegment {
        segment: u64,
        offset: u64,
        what: String,
    },
    /// The glyph stream of a segment could not be decoded.
    #[error("segment {segment} at encoded byte {offset}: {source}")]
    Codec {
        segment: u64,
        offset: u64,
        #[source]
        source: CodecError,
    },
    /// The index or the footer is damaged or disagrees with the segments.
    #[error("corrupt index/footer at encoded byte {offset}: {what}")]
    CorruptTrailer { offset: u64, what: String },
    /// Bytes that are not another stream follow a stream's footer (`offset`: where that stream
    /// ends). Several complete streams back to back are valid: they decode to the concatenation of
    /// their contents.
    #[error("trailing data after the stream at byte {offset} (not a ΣLANG stream)")]
    TrailingData { offset: u64 },
    /// One part file of a [`crate::join`] is damaged, cut short, followed by other bytes, or not a
    /// part (`index`: its position in the list given, from 0).
    #[error("part file {}: {source}", index + 1)]
    Part {
        index: usize,
        #[source]
        source: Box<Error>,
    },
    /// A part file goes on after the last segment its header announces.
    #[error("{extra} bytes follow the part's last segment at byte {offset}")]
    PartTrailingData { offset: u64, extra: u64 },
    /// The parts given to [`crate::join`] are not one whole encode: one is missing, given twice,
    /// or from another encode.
    #[error("the parts do not make one stream: {0}")]
    PartSet(String),
    /// Writing the run's output failed (the writer it was given returned an error).
    #[error("cannot write the output: {0}")]
    Write(#[source] io::Error),
    /// A file-system operation on an output file (creating, syncing, renaming it) failed.
    #[error("{}: cannot {op}: {source}", path.display())]
    Output {
        path: std::path::PathBuf,
        op: &'static str,
        #[source]
        source: io::Error,
    },
    /// A run would need more memory than its limit allows, even with one segment in flight on one
    /// thread.
    #[error("needs at least {} MiB of memory for one segment in flight, more than the memory limit of {} MiB (allow more with --memory-limit, or Options::memory_limit)", needed.div_ceil(1 << 20), limit / (1 << 20))]
    MemoryLimit { needed: u64, limit: u64 },
    /// An option is out of range.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// The input changed (shrank or grew) while it was being encoded.
    #[error("input changed while being read: {0}")]
    InputChanged(String),
    /// A partial output cannot be resumed with this input and these options.
    #[error("cannot resume: {0}")]
    ResumeMismatch(String),
    /// The run was stopped by a signal or by the caller.
    #[error("interrupted")]
    Interrupted,
}

/// Bytes as `0x53 0x49 …`.
fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:#04x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Error {
    /// True when the error means the encoded input is damaged or not ΣLANG (as opposed to I/O or usage).
    pub fn is_corrupt_input(&self) -> bool {
        matches!(
            self,
            Error::BadMagic { .. }
                | Error::UnsupportedVersion { .. }
                | Error::BadHeader { .. }
                | Error::Truncated { .. }
                | Error::CorruptSegment { .. }
                | Error::Codec { .. }
                | Error::CorruptTrailer { .. }
                | Error::TrailingData { .. }
                | Error::Part { .. }
                | Error::PartTrailingData { .. }
                | Error::PartSet(_)
        )
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        match e {
            Error::Io(e) => e,
            Error::Write(ref io) | Error::Output { source: ref io, .. } => {
                io::Error::new(io.kind(), e)
            }
            Error::Interrupted => io::Error::new(io::ErrorKind::Interrupted, e),
            Error::InvalidOption(_) => io::Error::new(io::ErrorKind::InvalidInput, e),
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
