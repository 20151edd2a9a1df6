//! Deterministic test data, shared by the integration tests (`tests/util`) and the fuzz crate
//! (`fuzz/src/lib.rs` includes this file), so both build inputs the same way.

// ---------------------------------------------------------------------------------------------
// Deterministic data
// ---------------------------------------------------------------------------------------------

/// A tiny xorshift64* generator: deterministic, dependency-free test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // Mix the seed so that small seeds do not give similar streams; never zero.
        let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xd1b5_4a32_d192_ed03;
        if s == 0 {
            s = 1;
        }
        Rng(s)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-ish in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn byte(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// `len` incompressible bytes.
pub fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut v = vec![0u8; len];
    Rng::new(seed).fill(&mut v);
    v
}

const WORDS: &[&str] = &[
    "the",
    "segment",
    "glyph",
    "stream",
    "of",
    "and",
    "a",
    "to",
    "in",
    "is",
    "encoded",
    "file",
    "header",
    "footer",
    "index",
    "parallel",
    "window",
    "thread",
    "compression",
    "ΣLANG",
    "data",
    "byte",
    "offset",
    "checksum",
    "reference",
    "delta",
    "composite",
    "primitive",
    "level",
    "with",
];

/// Text-like data: words from a small vocabulary, punctuation, newlines and whole repeated lines,
/// so it compresses well at every level.
pub fn text(len: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let mut out = Vec::with_capacity(len + 64);
    let mut lines: Vec<(usize, usize)> = Vec::new();
    while out.len() < len {
        if !lines.is_empty() && r.below(5) == 0 {
            // Repeat an earlier line verbatim.
            let (s, e) = lines[r.below(lines.len())];
            out.extend_from_within(s..e);
            continue;
        }
        let start = out.len();
        let words = 3 + r.below(12);
        for w in 0..words {
            if w > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(WORDS[r.below(WORDS.len())].as_bytes());
            if r.below(10) == 0 {
                out.push(b',');
            }
        }
        out.extend_from_slice(b".\n");
        lines.push((start, out.len()));
    }
    out.truncate(len);
    out
}

/// Binary-like data: fixed-size little-endian records with counters, small integers, a few random
/// fields and zero padding (partly compressible, like tables or executables).
pub fn binary(len: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let mut out = Vec::with_capacity(len + 32);
    let mut counter = r.next_u64() as u32;
    while out.len() < len {
        counter = counter.wrapping_add(1 + r.below(3) as u32);
        out.extend_from_slice(&counter.to_le_bytes());
        out.extend_from_slice(&(r.below(300) as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        if r.below(4) == 0 {
            out.extend_from_slice(&r.next_u64().to_le_bytes());
        } else {
            out.extend_from_slice(&[0xff; 8]);
        }
    }
    out.truncate(len);
    out
}

/// Runs of repeated bytes and short repeated patterns of random lengths.
pub fn runs(len: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let mut out = Vec::with_capacity(len + 300);
    while out.len() < len {
        let n = 1 + r.below(200);
        let period = 1 + r.below(4);
        let pattern: Vec<u8> = (0..period).map(|_| r.byte()).collect();
        for i in 0..n {
            out.push(pattern[i % period]);
        }
    }
    out.truncate(len);
    out
}

/// A mix of every kind above, switching kind every `chunk` bytes (so with `chunk` equal to the
/// segment size some segments are coded and the random ones are stored).
pub fn mixed(len: usize, chunk: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut k = 0u64;
    while out.len() < len {
        let n = chunk.min(len - out.len());
        let s = seed.wrapping_add(k * 7919);
        let part = match k % 4 {
            0 => text(n, s),
            1 => random(n, s),
            2 => binary(n, s),
            _ => runs(n, s),
        };
        out.extend_from_slice(&part);
        k += 1;
    }
    out
}

/// Text with one byte in twelve replaced by a random one: compresses, but slowly at high levels
/// (for tests that must interrupt an encode in the middle).
pub fn hard(len: usize, seed: u64) -> Vec<u8> {
    let mut out = text(len, seed);
    let mut r = Rng::new(seed ^ 0x5eed_5eed);
    for b in out.iter_mut() {
        if r.below(12) == 0 {
            *b = r.byte();
        }
    }
    out
}
