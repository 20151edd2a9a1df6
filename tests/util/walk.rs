//! A walker over a sequences-layout payload (docs/FORMAT.md, "Sequences layout"): where its
//! fields are and which table modes its groups use, without decoding the literals or the
//! sequences. Written from the specification; table descriptions are measured with the library's
//! public FSE reader.

use sigmalang::codec::fse::Distribution;

/// One group of a sequences payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group {
    /// Payload offset of the modes byte.
    pub at: usize,
    pub modes: u8,
    /// Sequences in the group.
    pub sequences: usize,
    /// Bytes of the group's bitstream.
    pub stream_len: usize,
}

impl Group {
    /// The table mode of field `f` (0 literal length, 1 offset, 2 match length).
    pub fn mode(&self, f: usize) -> u8 {
        (self.modes >> (2 * f)) & 3
    }
}

/// The fields of a sequences payload.
#[derive(Clone, Debug)]
pub struct Walk {
    pub lit_count: usize,
    /// The mode byte of the literal section.
    pub literal_mode: u8,
    pub seq_count: usize,
    pub groups: Vec<Group>,
}

fn u32_at(p: &[u8], at: usize) -> usize {
    u32::from_le_bytes(p[at..at + 4].try_into().unwrap()) as usize
}

fn varint(p: &[u8], at: &mut usize) -> usize {
    let mut v = 0usize;
    let mut shift = 0;
    loop {
        let b = p[*at];
        *at += 1;
        v |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

/// Where the byte section of `count` bytes at `at` ends ("Byte section").
pub fn section_end(p: &[u8], mut at: usize, count: usize) -> usize {
    let mode = p[at];
    at += 1;
    match mode {
        0 => at + count,
        1 | 2 => {
            let max_symbol = usize::from(p[at]);
            at += 1 + max_symbol / 2 + 1;
            let stream_len = varint(p, &mut at);
            if mode == 2 {
                for _ in 0..3 {
                    varint(p, &mut at);
                }
            }
            at + stream_len
        }
        3 => {
            let mut left = count;
            while left > 0 {
                let n = left.min(65_536);
                at = section_end(p, at, n);
                left -= n;
            }
            at
        }
        m => panic!("section mode {m}"),
    }
}

/// Walks a valid sequences payload; panics on anything else.
pub fn walk(p: &[u8]) -> Walk {
    let lit_count = u32_at(p, 0);
    let literal_mode = p[4];
    let mut at = section_end(p, 4, lit_count);
    let seq_count = u32_at(p, at);
    at += 4;
    let mut groups = Vec::new();
    let mut left = seq_count;
    while left > 0 {
        let start = at;
        let modes = p[at];
        at += 1;
        for f in 0..3 {
            let (max_log, symbols) = if f == 1 { (8, 36) } else { (9, 64) };
            match (modes >> (2 * f)) & 3 {
                1 => at += 1,
                2 => at += Distribution::read(&p[at..], max_log, symbols).unwrap().1,
                _ => {}
            }
        }
        let stream_len = u32_at(p, at);
        at += 4 + stream_len;
        let n = left.min(4096);
        groups.push(Group {
            at: start,
            modes,
            sequences: n,
            stream_len,
        });
        left -= n;
    }
    assert_eq!(at, p.len(), "the groups end the payload");
    Walk {
        lit_count,
        literal_mode,
        seq_count,
        groups,
    }
}

/// The payloads of the segments of a single stream `enc` (header 16 bytes, segment headers 36),
/// with their layout flags, up to the index.
pub fn payloads(enc: &[u8]) -> Vec<(u8, &[u8])> {
    let mut at = 16;
    let mut out = Vec::new();
    while enc[at..at + 4] == [0xce, 0xa3, b'S', b'G'] {
        let enc_len = u32_at(enc, at + 16);
        out.push((enc[at + 8], &enc[at + 36..at + 36 + enc_len]));
        at += 36 + enc_len;
    }
    out
}
