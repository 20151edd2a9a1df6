//! The `container` target: the encoded streams it cuts and extends (also the `trailer` target's
//! seeds and the integration tests' inputs), the [`encode`] they are built with, and
//! [`check_container`].

use super::{binary, decode_all, fix_stream_checks, random, runs, text, Paths};
use sigmalang::{Encoder, Options};
use std::io::Write;
use std::sync::OnceLock;

/// Segment size of every stream built here.
pub const SEGMENT: u32 = 4096;

/// Encodes `data` with [`Encoder`] at `level` and a 4096-byte segment size.
pub fn encode(data: &[u8], level: u8) -> Vec<u8> {
    let opts = Options::new().level(level).segment_size(SEGMENT);
    let mut enc = Encoder::new(Vec::new(), &opts).expect("valid options");
    enc.write_all(data).expect("write to a Vec");
    enc.finish().expect("finish to a Vec")
}

/// An original input and its encoding.
pub struct Stream {
    /// What decoding must give back.
    pub data: Vec<u8>,
    /// The valid encoded stream.
    pub encoded: Vec<u8>,
}

/// The streams the `container` target cuts and extends (built once). Index = selector % len.
pub fn container_streams() -> &'static [Stream] {
    static STREAMS: OnceLock<Vec<Stream>> = OnceLock::new();
    STREAMS.get_or_init(|| {
        // Four segments: coded text, STORED random, coded runs, short coded binary tail.
        let mut mixed = text(4096, 1);
        mixed.extend(random(4096, 2));
        mixed.extend(runs(4096, 3));
        mixed.extend(binary(1500, 4));
        let small = text(300, 5);
        [(mixed.clone(), 3), (mixed, 9), (small, 1), (Vec::new(), 3)]
            .into_iter()
            .map(|(data, level)| Stream {
                encoded: encode(&data, level),
                data,
            })
            .collect()
    })
}

/// Read sizes the `container` target picks from.
const CHUNKS: [usize; 8] = [0, 1, 2, 3, 7, 36, 61, 4096];

/// `container` target. Input: `[flags][prefix lo][prefix hi][tail ...]`.
/// flags bits 0–1: which stream of [`container_streams`]; bit 2: recompute check values after
/// splicing; bits 3–5: read size ([`CHUNKS`]); bit 6: two threads instead of one.
/// The stream decoded is `encoded[..prefix % (len + 1)] ++ tail`.
pub fn check_container(input: &[u8]) {
    if input.len() < 3 {
        return;
    }
    let flags = input[0];
    let streams = container_streams();
    let s = &streams[usize::from(flags & 3) % streams.len()];
    let prefix = usize::from(u16::from_le_bytes([input[1], input[2]])) % (s.encoded.len() + 1);
    let mut stream = Vec::with_capacity(prefix + input.len());
    stream.extend_from_slice(&s.encoded[..prefix]);
    stream.extend_from_slice(&input[3..]);
    if flags & 4 != 0 {
        fix_stream_checks(&mut stream);
    }
    let chunk = CHUNKS[usize::from(flags >> 3) & 7];
    let threads = 1 + usize::from(flags >> 6 & 1);
    decode_all(
        &stream,
        &s.data,
        chunk,
        threads,
        Paths {
            decoder: true,
            reader: true,
            file: true,
        },
    );
}
