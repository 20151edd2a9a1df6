//! The byte-section encoder: histograms, the choice of mode (raw, one or four bitstreams,
//! blocks) and the packing of codes.

use super::*;

/// The encoder's reusable memory: the per-chunk histograms of [`Counts`]. One per match finder, so
/// coding a segment allocates nothing once it has seen a segment as long.
#[derive(Default)]
pub(crate) struct Scratch {
    chunks: Vec<[u32; 256]>,
}

/// Heap bytes of a [`Scratch`] that has coded sections of up to `n` bytes.
pub(crate) fn scratch_bytes(n: usize) -> usize {
    n / Counts::CHUNK * std::mem::size_of::<[u32; 256]>()
}

/// Appends the byte section for `lits` to `out`: in blocks when their own codes pay for their
/// tables, else one section, Huffman-coded when that is smaller than raw.
pub(crate) fn encode(lits: &[u8], scratch: &mut Scratch, out: &mut Vec<u8>) {
    let counts = Counts::new(lits, &mut scratch.chunks);
    if lits.len() > BLOCK && blocks_pay(&counts) {
        out.push(3);
        for start in (0..lits.len()).step_by(BLOCK) {
            encode_one(&counts, start..lits.len().min(start + BLOCK), out);
        }
        return;
    }
    encode_one(&counts, 0..lits.len(), out);
}

/// A section's bytes with their histograms per [`Counts::CHUNK`] bytes, taken once: the blocks
/// and bitstreams the encoder weighs are sums of them (plus their unaligned ends), so no byte is
/// counted twice.
pub(super) struct Counts<'a> {
    lits: &'a [u8],
    chunks: &'a [[u32; 256]],
}

impl<'a> Counts<'a> {
    /// A quarter of a block: a whole block's bitstreams are whole chunks.
    pub(super) const CHUNK: usize = BLOCK / 4;

    /// Counts `lits` into `chunks` (cleared first).
    pub(super) fn new(lits: &'a [u8], chunks: &'a mut Vec<[u32; 256]>) -> Counts<'a> {
        chunks.clear();
        chunks.extend(lits.chunks_exact(Self::CHUNK).map(histogram));
        Counts { lits, chunks }
    }

    /// The histogram of `lits[r]`.
    pub(super) fn of(&self, r: std::ops::Range<usize>) -> [u32; 256] {
        // The whole chunks inside `r`.
        let (a, b) = (r.start.div_ceil(Self::CHUNK), r.end / Self::CHUNK);
        if a >= b {
            return histogram(&self.lits[r]);
        }
        let mut h = histogram(&self.lits[r.start..a * Self::CHUNK]);
        let tail = histogram(&self.lits[b * Self::CHUNK..r.end]);
        for c in std::iter::once(&tail).chain(&self.chunks[a..b]) {
            for (x, &y) in h.iter_mut().zip(c) {
                *x += y;
            }
        }
        h
    }
}

/// Whether coding the section in [`BLOCK`]s with a code each is estimated smaller than one code for
/// all.
fn blocks_pay(counts: &Counts<'_>) -> bool {
    let n = counts.lits.len();
    let mut all = [0u64; 256];
    let mut blocked = 1;
    for start in (0..n).step_by(BLOCK) {
        let h = counts.of(start..n.min(start + BLOCK));
        add(&mut all, &h);
        blocked += estimate(&h.map(u64::from));
    }
    // Blocks cost a table each and decode slower than one section (they may Huffman-code what one
    // section would store raw): they must save more than 1/64 of the section.
    let single = estimate(&all);
    blocked + single / 64 < single
}

/// About the bytes of a byte section with these symbol counts: the coded bits and the code's table,
/// or the raw bytes when coding does not [`pays`].
fn estimate(freq: &[u64; 256]) -> u64 {
    let count: u64 = freq.iter().sum();
    let lens = code_lengths(freq);
    let bits: u64 = (0..256).map(|s| freq[s] * u64::from(lens[s])).sum();
    let max_sym = (0..256).rev().find(|&s| lens[s] > 0).unwrap_or(0) as u64;
    let header = 2
        + (max_sym + 2) / 2
        + if count >= FOUR_STREAMS_FROM as u64 {
            8
        } else {
            3
        };
    let coded = bits.div_ceil(8) + header;
    if pays(coded, count) {
        coded
    } else {
        count + 1
    }
}

/// Whether `count` bytes are Huffman-coded in `coded` bytes rather than stored raw: only when that
/// saves more than 1/32 of them. A raw section decodes as a copy; a Huffman one at about a byte per
/// nanosecond, which is most of a level-3 decode's time on binaries: offset bytes that Huffman
/// shrank by 1–2% cost 3% of the decode speed (measured in docs/perf-log.md).
fn pays(coded: u64, count: u64) -> bool {
    coded + count / 32 < count
}

/// Appends one byte section (mode 0, 1 or 2) for the bytes `range` of `counts`.
#[multiversion::multiversion(targets("x86_64+avx2+bmi1+bmi2+lzcnt+popcnt"))]
fn encode_one(counts: &Counts<'_>, range: std::ops::Range<usize>, out: &mut Vec<u8>) {
    let lits = &counts.lits[range.clone()];
    let four = lits.len() >= FOUR_STREAMS_FROM;
    // The symbols of each bitstream: one, or one per quarter (the first `parts` of these).
    let (ranges, parts) = if four {
        (quarters(lits.len()), 4)
    } else {
        ([0..lits.len(), 0..0, 0..0, 0..0], 1)
    };
    let ranges = &ranges[..parts];
    // A histogram per bitstream gives both the code lengths (their sum) and each bitstream's size.
    let mut hists = [[0u32; 256]; 4];
    let mut freq = [0u64; 256];
    for (h, r) in hists.iter_mut().zip(ranges) {
        *h = counts.of(range.start + r.start..range.start + r.end);
        add(&mut freq, h);
    }
    let lens = code_lengths(&freq);
    let max_sym = (0..256).rev().find(|&s| lens[s] > 0);
    let mut sizes = [0u64; 4];
    for (size, h) in sizes.iter_mut().zip(&hists[..parts]) {
        let bits: u64 = (0..256).map(|s| u64::from(h[s]) * u64::from(lens[s])).sum();
        *size = bits.div_ceil(8);
    }
    let sizes = &sizes[..parts];
    let total: u64 = sizes.iter().sum();
    let table_len = max_sym.map_or(0, |m| 2 + (m + 2) / 2) as u64;
    let lens_len: u64 = sizes[..parts - 1]
        .iter()
        .map(|&b| varint::len(b) as u64)
        .sum();
    let huff_len = table_len + varint::len(total) as u64 + lens_len + total;
    let Some(max_sym) = max_sym.filter(|_| pays(huff_len, lits.len() as u64)) else {
        out.push(0);
        out.extend_from_slice(lits);
        return;
    };
    out.push(if four { 2 } else { 1 });
    out.push(max_sym as u8);
    for pair in 0..max_sym / 2 + 1 {
        let lo = lens[2 * pair];
        let hi = if 2 * pair < max_sym {
            lens[2 * pair + 1]
        } else {
            0
        };
        out.push(lo | (hi << 4));
    }
    varint::put(out, total);
    for &b in &sizes[..parts - 1] {
        varint::put(out, b);
    }
    let codes = canonical(&lens);
    // Each symbol's code, bit-reversed (streams are read least significant bit first), and length.
    let mut code = [(0u64, 0u32); 256];
    for s in 0..256 {
        if lens[s] > 0 {
            code[s] = (u64::from(reverse(codes[s], lens[s])), u32::from(lens[s]));
        }
    }
    for (r, &size) in ranges.iter().zip(sizes) {
        pack(&lits[r.clone()], &code, size as usize, out);
    }
}

/// Adds the counts of `h` to `all`.
fn add(all: &mut [u64; 256], h: &[u32; 256]) {
    for (a, &c) in all.iter_mut().zip(h) {
        *a += u64::from(c);
    }
}

/// Counts the bytes of `part`, in four interleaved tables so that runs of one byte value do not
/// wait on their own previous increment.
#[multiversion::multiversion(targets("x86_64+avx2+bmi1+bmi2+lzcnt+popcnt"))]
pub(crate) fn histogram(part: &[u8]) -> [u32; 256] {
    let mut h = [[0u32; 256]; 4];
    let mut quads = part.chunks_exact(4);
    for q in &mut quads {
        h[0][usize::from(q[0])] += 1;
        h[1][usize::from(q[1])] += 1;
        h[2][usize::from(q[2])] += 1;
        h[3][usize::from(q[3])] += 1;
    }
    for &b in quads.remainder() {
        h[0][usize::from(b)] += 1;
    }
    let mut sum = h[0];
    for t in &h[1..] {
        for (a, &c) in sum.iter_mut().zip(t) {
            *a += c;
        }
    }
    sum
}

/// Appends the bitstream of `part`, which is `size` bytes long, to `out`. Four codes (at most 44
/// bits, plus up to 7 pending) are gathered between stores; each store writes a whole 8-byte word
/// and keeps the bits of the last partial byte pending, so there is no data-dependent branch.
#[multiversion::multiversion(targets("x86_64+avx2+bmi1+bmi2+lzcnt+popcnt"))]
fn pack(part: &[u8], code: &[(u64, u32); 256], size: usize, out: &mut Vec<u8>) {
    let start = out.len();
    // Room for the last word stored past the end; cut off below.
    out.resize(start + size + 8, 0);
    let mut pos = start;
    let mut acc: u64 = 0;
    let mut n: u32 = 0;
    let mut store = |acc: &mut u64, n: &mut u32| {
        out[pos..pos + 8].copy_from_slice(&acc.to_le_bytes());
        let whole = *n / 8;
        pos += whole as usize;
        // `whole` may be 8 (a full word), where a single shift by 64 would overflow.
        *acc = (*acc >> (whole * 4)) >> (whole * 4);
        *n -= whole * 8;
    };
    let mut quads = part.chunks_exact(4);
    for q in &mut quads {
        for &b in q {
            let (c, l) = code[usize::from(b)];
            acc |= c << n;
            n += l;
        }
        store(&mut acc, &mut n);
    }
    for &b in quads.remainder() {
        let (c, l) = code[usize::from(b)];
        acc |= c << n;
        n += l;
        store(&mut acc, &mut n);
    }
    if n > 0 {
        store(&mut acc, &mut (n + 7));
    }
    debug_assert_eq!(pos - start, size);
    out.truncate(start + size);
}
