//! Error types, one per layer: [`CodecError`] for a glyph stream, [`Error`] for the container and I/O.
//!
//! Every variant carries the values that went wrong, and container errors name the segment and the
//! byte offset in the encoded stream where the damage was found.

use std::io;

/// A glyph stream (the inside of one segment) could not be decoded.
///
/// `at` is the position where the problem was found: the byte offset inside the payload for the
/// plain layout, inside the glyph part for the split layout, and the glyph's number (its tag's
/// index) for the streams layout (docs/FORMAT.md).
// Variant fields are described by each variant's message.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The payload ended in the middle of a glyph.
    #[error("glyph stream cut short at glyph stream position {at}")]
    Truncated { at: usize },
    /// A glyph would write past the segment's declared raw length.
    #[error("glyph at glyph stream position {at} writes {len} bytes past the declared raw length {limit}")]
    OutputOverrun { at: usize, len: u64, limit: usize },
    /// A REFERENCE points before the start of the segment (or at distance 0).
    #[error("glyph at glyph stream position {at} references distance {distance}, but only {available} bytes precede it")]
    BadDistance {
        at: usize,
        distance: u64,
        available: usize,
    },
    /// A varint is longer than allowed or overflows.
    #[error("malformed varint at glyph stream position {at}")]
    BadVarint { at: usize },
    /// The glyphs decoded to fewer bytes than the segment header declares.
    #[error("glyph stream produced {got} bytes, segment header declares {expected}")]
    ShortOutput { expected: usize, got: usize },
    /// An entropy-coded section, or the fields it holds, is malformed (`at`: a payload byte, or a
    /// glyph number in the streams layout).
    #[error("malformed entropy-coded section at {at}: {what}")]
    BadLiterals { at: usize, what: &'static str },
    /// A reserved bit pattern was used.
    #[error("reserved glyph tag {tag:#04x} at glyph stream position {at}")]
    ReservedTag { at: usize, tag: u8 },
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
