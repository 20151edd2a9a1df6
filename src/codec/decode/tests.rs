//! The decoder against a byte-at-a-time model of `docs/FORMAT.md`'s glyph table, on random
//! glyph sequences written by hand here (not by the encoder), so that sequences this encoder
//! never writes — runs after runs, runs at the end, every slot, every length and varint size —
//! take the decoder's fast and general paths alike.
use super::*;
use crate::codec::Layout;

/// One glyph's fields, in the five streams of the streams layout.
#[derive(Default)]
struct Streams5 {
    tags: Vec<u8>,
    lens: Vec<u8>,
    los: Vec<u8>,
    his: Vec<u8>,
    lits: Vec<u8>,
}

struct Gen {
    x: u64,
    /// The expected output, built by the model.
    out: Vec<u8>,
    reps: [usize; 4],
    plain: Vec<u8>,
    st: Streams5,
}

impl Gen {
    fn next(&mut self) -> u64 {
        self.x ^= self.x << 13;
        self.x ^= self.x >> 7;
        self.x ^= self.x << 17;
        self.x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A length of at least `min` with its field: short ones in the tag (`field < max`),
    /// longer ones as `max` and a varint.
    fn length(&mut self, min: usize, max: u8) -> (usize, u8, Option<u64>) {
        let len = match self.below(4) {
            0 => min + self.below(u64::from(max)) as usize,
            1 => min + usize::from(max) + self.below(300) as usize,
            _ => min + self.below(24) as usize,
        };
        let field = (len - min).min(usize::from(max)) as u8;
        let extra = (field == max).then(|| (len - min - usize::from(max)) as u64);
        (len, field, extra)
    }
    fn literals(&mut self, n: usize) {
        let bytes: Vec<u8> = (0..n).map(|_| self.next() as u8).collect();
        if n < 64 {
            self.tag(n as u8);
        } else {
            self.tag(0);
            self.len_varint((n - 64) as u64);
        }
        self.plain.extend_from_slice(&bytes);
        self.st.lits.extend_from_slice(&bytes);
        self.out.extend_from_slice(&bytes);
    }
    fn tag(&mut self, t: u8) {
        self.plain.push(t);
        self.st.tags.push(t);
    }
    fn len_varint(&mut self, v: u64) {
        varint::put(&mut self.plain, v);
        varint::put(&mut self.st.lens, v);
    }
    fn copy(&mut self, dist: usize, len: usize) {
        for _ in 0..len {
            let b = self.out[self.out.len() - dist];
            self.out.push(b);
        }
    }
    fn reference(&mut self, dist: usize) {
        let (len, field, extra) = self.length(MIN_REF, 63);
        let (hi, lo) = ((dist - 1) >> 8, (dist - 1) as u8);
        self.tag(0x40 | field);
        self.plain.push(lo);
        self.st.los.push(lo);
        if let Some(e) = extra {
            self.len_varint(e);
        }
        varint::put(&mut self.plain, hi as u64);
        varint::put(&mut self.st.his, hi as u64);
        self.copy(dist, len);
        push_offset(&mut self.reps, dist);
    }
    fn delta(&mut self, slot: usize) {
        let (len, field, extra) = self.length(MIN_DELTA, 15);
        self.tag(0x80 | (slot as u8) << 4 | field);
        if let Some(e) = extra {
            self.len_varint(e);
        }
        self.copy(self.reps[slot], len);
        use_slot(&mut self.reps, slot);
    }
    fn composite(&mut self, period: usize) {
        let (len, field, extra) = self.length(MIN_RUN, 15);
        self.tag(0xc0 | ((period - 1) as u8) << 4 | field);
        if let Some(e) = extra {
            self.len_varint(e);
        }
        let pattern: Vec<u8> = (0..period).map(|_| self.next() as u8).collect();
        self.plain.extend_from_slice(&pattern);
        self.st.lits.extend_from_slice(&pattern);
        self.out.extend((0..len).map(|i| pattern[i % period]));
    }
    /// A random glyph that is valid at this point.
    fn glyph(&mut self) {
        let op = self.out.len();
        match self.below(10) {
            0..=2 => {
                let n = if self.below(8) == 0 {
                    1 + self.below(200) as usize
                } else {
                    1 + self.below(20) as usize
                };
                self.literals(n);
            }
            3..=5 => {
                // Distances of one-, two- and three-byte high varints where the output
                // allows, and the shortest ones (overlapping copies).
                let max = match self.below(4) {
                    0 => 20,
                    1 => 1 << 15,
                    _ => op,
                };
                let dist = 1 + self.below(max.min(op) as u64) as usize;
                self.reference(dist);
            }
            6..=8 => {
                let slot = self.below(4) as usize;
                if self.reps[slot] <= op {
                    self.delta(slot);
                }
            }
            _ => {
                let period = 1 + self.below(4) as usize;
                self.composite(period);
            }
        }
    }
}

fn raw_section(v: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    out.push(0);
    out.extend_from_slice(v);
}

/// The streams layout's payload of `g`'s glyphs, every section raw.
fn streams_payload(g: &Gen) -> Vec<u8> {
    let st = &g.st;
    let mut payload = Vec::new();
    for v in [&st.tags, &st.lens, &st.los, &st.his, &st.lits] {
        raw_section(v, &mut payload);
    }
    payload
}

fn check(g: &Gen) {
    let mut dec = Vec::new();
    decompress(&g.plain, &mut dec, g.out.len()).unwrap();
    assert!(dec == g.out, "plain layout differs from the model");
    dec.clear();
    decode_payload(&streams_payload(g), Layout::Streams, &mut dec, g.out.len()).unwrap();
    assert!(dec == g.out, "streams layout differs from the model");
}

fn generator(seed: u64) -> Gen {
    Gen {
        x: seed | 1,
        out: Vec::new(),
        reps: INITIAL_OFFSETS,
        plain: Vec::new(),
        st: Streams5::default(),
    }
}

/// `lits` literals, then `glyphs` random glyphs, from the generator seeded with `seed`.
fn short_stream(seed: u64, lits: usize, glyphs: u64) -> Gen {
    let mut g = generator(seed);
    g.literals(lits);
    for _ in 0..glyphs {
        g.glyph();
    }
    g
}

/// Also the test to run under Miri (`cargo +nightly miri test --lib random_glyph`), which
/// checks the decoder's `unsafe` chunk moves: there it runs fewer, shorter sequences.
#[test]
fn random_glyph_sequences_decode_as_the_model_says() {
    let (seeds, glyphs) = if cfg!(miri) { (6, 300) } else { (40, 2000) };
    for seed in 1..=seeds {
        let mut g = generator(seed * 0x9e37_79b9);
        g.literals(16 + seed as usize);
        for _ in 0..glyphs {
            g.glyph();
        }
        check(&g);
    }
}

/// Thousands of short streams (a few glyphs, tens to hundreds of bytes), so that every
/// glyph kind ends at every distance from the end of the output and of the literals: the
/// bounds that decide between the wild 16-byte chunk moves (`unsafe`, checked once per step)
/// and the exact copies are crossed in every way. The `debug_assert!`s of the chunk moves are
/// on in tests.
#[test]
fn short_streams_decode_at_every_end() {
    let seeds = if cfg!(miri) { 300 } else { 5000 };
    for seed in 1..=seeds {
        check(&short_stream(
            seed * 0x2545_f491,
            1 + seed as usize % 40,
            seed % 8,
        ));
    }
}

/// Glyphs that write more or fewer bytes than the segment's declared length are an error,
/// whichever glyph crosses the end and by however much: never a panic, and no output left.
/// A copy that ends up to 48 bytes past the end is the case the copies' single test
/// (`wild`) must refuse.
#[test]
fn glyphs_past_or_short_of_the_declared_length_are_errors() {
    let seeds = if cfg!(miri) { 30 } else { 600 };
    for seed in 1..=seeds {
        let g = short_stream(seed * 0x6c07_8965, 1 + seed as usize % 40, 1 + seed % 6);
        let payload = streams_payload(&g);
        let n = g.out.len();
        for raw_len in (n.saturating_sub(48)..n + 48).filter(|&l| l != n) {
            let mut dec = vec![0xaa; 7];
            assert!(decompress(&g.plain, &mut dec, raw_len).is_err());
            assert!(dec.is_empty(), "plain layout left output");
            dec.push(0xaa);
            assert!(decode_payload(&payload, Layout::Streams, &mut dec, raw_len).is_err());
            assert!(dec.is_empty(), "streams layout left output");
        }
    }
}

#[test]
fn distances_past_two_varint_bytes_decode() {
    // A REFERENCE reaching back 2^22 + 5 bytes has a three-byte high varint.
    let mut g = generator(7);
    while g.out.len() < (1 << 22) + 100 {
        g.literals(30_000);
    }
    g.reference((1 << 22) + 5);
    g.delta(0);
    g.reference(1 << 22);
    check(&g);
}
