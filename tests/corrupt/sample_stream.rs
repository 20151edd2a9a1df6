//! The sample stream (five segments, coded and stored) and its decode through the three paths.

use super::*;
use sigmalang::Options;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::OnceLock;

pub const SEG: u32 = 4096;
pub const S: usize = SEG as usize;

pub struct Sample {
    pub data: Vec<u8>,
    pub enc: Vec<u8>,
    pub layout: Layout,
}

/// Five segments: coded text, stored random, coded runs, stored random, short coded text.
pub fn sample() -> &'static Sample {
    static SAMPLE: OnceLock<Sample> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let data = [
            text(S, 1),
            random(S, 2),
            runs(S, 3),
            random(S, 4),
            text(2500, 5),
        ]
        .concat();
        let enc = encode_bytes(&data, &opts(1, 3, SEG));
        let layout = layout(&enc);
        let stored: Vec<bool> = layout.segments.iter().map(|s| s.stored).collect();
        assert_eq!(stored, [false, true, false, true, false], "sample layout");
        Sample { data, enc, layout }
    })
}

/// One worker: thousands of decodes run here, and a pool per call is the main cost.
pub fn dopts() -> Options {
    Options::new().threads(1)
}

/// The three decode paths' results (file path through `file`, which gets `bytes` written to it).
pub struct Outcome {
    pub file: sigmalang::Result<Vec<u8>>,
    pub reader: sigmalang::Result<Vec<u8>>,
    pub decoder: sigmalang::Result<Vec<u8>>,
}

fn decode_file_src(f: &File) -> sigmalang::Result<Vec<u8>> {
    let mut out = Vec::new();
    decode(Source::File(f), &mut out, &dopts(), None).map(|_| out)
}

pub fn decode_three(bytes: &[u8]) -> Outcome {
    let tmp = tempfile::tempfile().unwrap();
    tmp.write_all_at(bytes, 0).unwrap();
    Outcome {
        file: decode_file_src(&tmp),
        reader: decode_bytes(bytes, &dopts()),
        decoder: decoder_read_all(bytes),
    }
}
