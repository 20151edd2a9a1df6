//! Canonical Huffman coding of byte sections (the entropy stage; levels ≥ 2).
//!
//! Byte section layout (docs/FORMAT.md, "Byte section"):
//!
//! | field          | size              | meaning                                                   |
//! |----------------|-------------------|-----------------------------------------------------------|
//! | mode           | 1                 | 0 = raw: `count` bytes follow; 1 = Huffman; 2 = Huffman, four bitstreams; 3 = blocks |
//! | max_symbol     | 1                 | (Huffman) symbols `0..=max_symbol` have a length below      |
//! | lengths        | ⌈(max_symbol+1)/2⌉ | 4-bit code lengths, symbol 2k in the low nibble; 0 = absent, 1..=11 |
//! | stream_len     | varint            | bytes of bitstream(s)                                       |
//! | sizes          | 3 varints         | (mode 2) bytes of bitstreams 0–2; bitstream 3 is the rest   |
//! | bitstream      | stream_len        | codes packed least-significant bit first; padding bits 0    |
//!
//! Mode 3 is nothing but a byte section of mode 0–2 per block of [`BLOCK`] bytes (format version 3
//! and later).
//!
//! Codes are canonical: sorted by (length, symbol), each code the previous plus one, shifted left
//! when the length grows. Code bits are emitted most significant first into an LSB-first stream,
//! i.e. the code is bit-reversed before packing. The lengths must satisfy Kraft (Σ 2^-len ≤ 1).

use crate::error::CodecError;
use crate::varint;

/// Longest code.
pub const MAX_BITS: u32 = 11;
const TABLE: usize = 1 << MAX_BITS;

/// Code lengths for the given symbol counts, limited to [`MAX_BITS`]. Symbols with count 0 get 0.
pub(crate) fn code_lengths(freq: &[u64; 256]) -> [u8; 256] {
    let mut lens = [0u8; 256];
    // The symbols present, by (weight, symbol): keys are distinct, so an unstable sort (which
    // needs no scratch allocation) gives the one order.
    let mut leaves = [0usize; 256];
    let mut n = 0;
    for s in (0..256).filter(|&s| freq[s] > 0) {
        leaves[n] = s;
        n += 1;
    }
    let leaves = &mut leaves[..n];
    match n {
        0 => return lens,
        1 => {
            lens[leaves[0]] = 1;
            return lens;
        }
        _ => {}
    }
    // Huffman tree by the two-queue method: leaves sorted by (weight, symbol), inner nodes (256
    // and up) made in order of nondecreasing weight; each step joins the two lightest fronts, a
    // leaf before an inner node of the same weight.
    leaves.sort_unstable_by_key(|&s| (freq[s], s));
    let leaves = &*leaves;
    let mut weight = [0u64; 512];
    for &s in leaves {
        weight[s] = freq[s];
    }
    let mut parent = [0usize; 512];
    let (mut li, mut ni, mut next) = (0, 256, 256);
    for _ in 1..n {
        let mut lightest = || {
            if li < n && (ni == next || weight[leaves[li]] <= weight[ni]) {
                li += 1;
                leaves[li - 1]
            } else {
                ni += 1;
                ni - 1
            }
        };
        let (a, b) = (lightest(), lightest());
        weight[next] = weight[a] + weight[b];
        parent[a] = next;
        parent[b] = next;
        next += 1;
    }
    let root = next - 1;
    for &s in leaves {
        let mut d = 0;
        let mut n = s;
        while n != root {
            n = parent[n];
            d += 1;
        }
        lens[s] = d.min(MAX_BITS as usize) as u8;
    }
    // Clamping may break Kraft's inequality: lengthen the rarest symbols that can still grow
    // until the code fits again.
    let by_rarity = leaves;
    let mut k = kraft(&lens);
    while k > TABLE as u64 {
        for &s in by_rarity {
            if lens[s] < MAX_BITS as u8 {
                k -= 1u64 << (MAX_BITS - u32::from(lens[s]) - 1);
                lens[s] += 1;
                if k <= TABLE as u64 {
                    break;
                }
            }
        }
    }
    // The lengthening may overshoot and leave code space unused. Give it to the most frequent
    // symbols that can take it: the code is then complete (Kraft's sum exactly 1; the slack is a
    // multiple of the longest code's share, so one pass fills it), which a decoder can decode
    // without looking for bit patterns that match no code.
    for &s in by_rarity.iter().rev() {
        while lens[s] > 1 && k + (1u64 << (MAX_BITS - u32::from(lens[s]))) <= TABLE as u64 {
            k += 1u64 << (MAX_BITS - u32::from(lens[s]));
            lens[s] -= 1;
        }
    }
    debug_assert!(k == TABLE as u64);
    lens
}

/// Kraft sum of the code lengths, scaled so that a complete code sums to 2^MAX_BITS.
fn kraft(lens: &[u8; 256]) -> u64 {
    lens.iter()
        .filter(|&&l| l > 0)
        .map(|&l| 1u64 << (MAX_BITS - u32::from(l)))
        .sum()
}

/// Canonical codes (not reversed) for the given lengths: in order of (length, symbol), each code
/// the previous plus one, shifted left when the length grows. Built from the count of codes per
/// length (the first code of each length), with no sort.
fn canonical(lens: &[u8; 256]) -> [u16; 256] {
    let mut per_len = [0u32; MAX_BITS as usize + 1];
    for &l in lens.iter().filter(|&&l| l > 0) {
        per_len[usize::from(l)] += 1;
    }
    let mut next = [0u32; MAX_BITS as usize + 1];
    let mut code = 0u32;
    for l in 1..=MAX_BITS as usize {
        code = (code + per_len[l - 1]) << 1;
        next[l] = code;
    }
    let mut codes = [0u16; 256];
    for (c, &l) in codes.iter_mut().zip(lens) {
        if l > 0 {
            *c = next[usize::from(l)] as u16;
            next[usize::from(l)] += 1;
        }
    }
    codes
}

/// A decoding table entry is `(symbol << 8) | length`: the length sits in the low six bits, so a
/// shift by the whole entry (shift counts are taken modulo 64) consumes the code, and the symbol is
/// the high byte.
const LEN_BITS: u16 = 63;
/// The entry for a bit pattern that starts no code: length 0 (consumes nothing) and a flag bit
/// above the length, so OR-ing a batch of entries tells whether one was invalid.
const NO_CODE: u16 = 0x40;

/// The decoding table entry of `symbol` with a code of `len` bits.
fn entry(symbol: u8, len: u8) -> u16 {
    (u16::from(symbol) << 8) | u16::from(len)
}

/// The code length of a decoding table entry: 0 for a pattern that starts no code.
#[inline(always)]
fn code_len(e: u16) -> u32 {
    u32::from(e & LEN_BITS)
}

/// The symbol of a decoding table entry.
#[inline(always)]
fn symbol(e: u16) -> u8 {
    (e >> 8) as u8
}

fn reverse(code: u16, len: u8) -> u32 {
    (u32::from(code).reverse_bits()) >> (32 - u32::from(len))
}

/// Sections of at least this many bytes are coded as four bitstreams (mode 2), which decode in
/// parallel; shorter ones as one (mode 1), saving the three stream lengths.
const FOUR_STREAMS_FROM: usize = 4096;

/// The four quarters mode 2 splits `count` symbols into: the first three hold ⌈count/4⌉ each, the
/// last the rest (possibly none).
fn quarters(count: usize) -> [std::ops::Range<usize>; 4] {
    let q = count.div_ceil(4);
    let at = |j: usize| (j * q).min(count);
    [at(0)..at(1), at(1)..at(2), at(2)..at(3), at(3)..count]
}

/// Sections of more than this many bytes may be coded in blocks of this many (mode 3), each with
/// its own code, so the code follows data whose statistics change along the segment.
pub(crate) const BLOCK: usize = 1 << 16;

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
struct Counts<'a> {
    lits: &'a [u8],
    chunks: &'a [[u32; 256]],
}

impl<'a> Counts<'a> {
    /// A quarter of a block: a whole block's bitstreams are whole chunks.
    const CHUNK: usize = BLOCK / 4;

    /// Counts `lits` into `chunks` (cleared first).
    fn new(lits: &'a [u8], chunks: &'a mut Vec<[u32; 256]>) -> Counts<'a> {
        chunks.clear();
        chunks.extend(lits.chunks_exact(Self::CHUNK).map(histogram));
        Counts { lits, chunks }
    }

    /// The histogram of `lits[r]`.
    fn of(&self, r: std::ops::Range<usize>) -> [u32; 256] {
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

/// Reads one bitstream least significant bit first, `n` bits buffered in `acc`. Bits of `acc` above
/// `n` are the next stream bits or zero, so refilling may OR whole words in.
struct Bits<'a> {
    s: &'a [u8],
    sp: usize,
    acc: u64,
    n: u32,
}

impl<'a> Bits<'a> {
    fn new(s: &'a [u8]) -> Bits<'a> {
        Bits {
            s,
            sp: 0,
            acc: 0,
            n: 0,
        }
    }
    /// A reader of `s` positioned `bit` bits in (`bit <= 8 * s.len()`).
    fn at(s: &'a [u8], bit: usize) -> Bits<'a> {
        let mut b = Bits::new(s);
        b.sp = bit / 8;
        if !bit.is_multiple_of(8) {
            b.acc = u64::from(s[b.sp] >> (bit % 8));
            b.n = 8 - (bit % 8) as u32;
            b.sp += 1;
        }
        b
    }
    /// Tops the buffer up to at least 56 bits with one 8-byte read; `false` (nothing read) near the
    /// end of the stream.
    #[inline(always)]
    fn refill(&mut self) -> bool {
        let Some(w) = self.s.get(self.sp..self.sp + 8) else {
            return false;
        };
        self.acc |= u64::from_le_bytes(w.try_into().unwrap()) << self.n;
        self.sp += ((63 - self.n) / 8) as usize;
        self.n |= 56;
        true
    }
    /// The table entry of the next code, consumed. An entry of length 0 (no code) consumes nothing.
    #[inline(always)]
    fn next(&mut self, table: &[u16; TABLE]) -> u16 {
        let e = table[(self.acc & (TABLE as u64 - 1)) as usize];
        let l = code_len(e);
        self.acc >>= l;
        self.n -= l;
        e
    }
}

/// A byte section that could not be decoded: which field, where (a payload offset: the field's
/// first byte, or the offending byte in it) and what is wrong. The enclosing layout names the
/// section ([`CodecError::BadSection`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SectionError {
    pub field: String,
    pub at: usize,
    pub what: String,
}

impl SectionError {
    fn new(field: impl Into<String>, at: usize, what: impl Into<String>) -> SectionError {
        SectionError {
            field: field.into(),
            at,
            what: what.into(),
        }
    }

    /// The error as a [`CodecError`] of the section named `section`.
    pub(crate) fn in_section(self, section: &'static str) -> CodecError {
        CodecError::BadSection {
            section,
            field: self.field,
            at: self.at,
            what: self.what,
        }
    }
}

/// The error for a section field that the payload cuts short: `need` bytes at `at`, `left` there.
fn cut(field: &str, at: usize, need: impl std::fmt::Display, left: usize) -> SectionError {
    SectionError::new(
        field,
        at,
        format!("cut short: needs {need} bytes, the payload has {left}"),
    )
}

/// A field's name in errors: `field` itself, or `block j field` inside a section of blocks. Only
/// built for an error: decoding a valid section allocates nothing.
#[cold]
fn field_name(block: Option<usize>, field: &str) -> String {
    match block {
        Some(j) => format!("block {j} {field}"),
        None => field.to_string(),
    }
}

/// Decodes symbols into `out[k..]` from `b`, then checks that the codes filled the bitstream
/// exactly (its padding bits zero). `at` is the bitstream's offset in the payload; `block` and
/// `stream` (mode 2's bitstream number) name it in errors.
fn finish(
    b: &mut Bits<'_>,
    table: &[u16; TABLE],
    out: &mut [u8],
    mut k: usize,
    at: usize,
    (block, stream): (Option<usize>, Option<usize>),
) -> Result<(), SectionError> {
    let name = || match stream {
        Some(j) => field_name(block, &format!("bitstream {j}")),
        None => field_name(block, "bitstream"),
    };
    let no_code = |off: usize| SectionError::new(name(), at + off, "bit pattern matches no code");
    // Five codes per refill (5 × 11 ≤ 56 bits) with no further checks; an invalid pattern
    // (length 0) consumes nothing and is caught per batch.
    const BATCH: usize = 5;
    while k + BATCH <= out.len() && b.refill() {
        let w: &mut [u8; BATCH] = (&mut out[k..k + BATCH]).try_into().unwrap();
        let mut seen = 0u16;
        for slot in w {
            let e = b.next(table);
            seen |= e;
            *slot = symbol(e);
        }
        if seen & NO_CODE != 0 {
            return Err(no_code((b.sp * 8 - b.n as usize) / 8));
        }
        k += BATCH;
    }
    // The rest, a byte at a time near the end of the stream.
    for i in k..out.len() {
        while b.n <= 56 && b.sp < b.s.len() {
            b.acc |= u64::from(b.s[b.sp]) << b.n;
            b.sp += 1;
            b.n += 8;
        }
        let e = table[(b.acc & (TABLE as u64 - 1)) as usize];
        let l = code_len(e);
        let bit = b.sp * 8 - b.n as usize;
        if l == 0 {
            return Err(no_code(bit / 8));
        }
        if l > b.n {
            return Err(SectionError::new(
                name(),
                at,
                format!(
                    "its {} bytes end inside the code of byte {i} of {}",
                    b.s.len(),
                    out.len()
                ),
            ));
        }
        out[i] = symbol(e);
        b.acc >>= l;
        b.n -= l;
    }
    let consumed = b.sp as u64 * 8 - u64::from(b.n);
    if consumed.div_ceil(8) != b.s.len() as u64 {
        return Err(SectionError::new(
            name(),
            at,
            format!(
                "{} bytes, but its codes end after {}",
                b.s.len(),
                consumed.div_ceil(8)
            ),
        ));
    }
    let pad = (8 - consumed % 8) % 8;
    if pad > 0 && b.s[b.s.len() - 1] >> (8 - pad) != 0 {
        return Err(SectionError::new(
            name(),
            at + b.s.len() - 1,
            "padding bits after the last code set",
        ));
    }
    Ok(())
}

/// Decodes a byte section of `count` bytes at the start of `input` into `out` (replaced; its
/// contents are unspecified after an error). Returns the bytes of `input` it occupied. `at` is the
/// section's offset in the payload, for errors; `max_mode` the highest mode the layout allows (1
/// in the split layout, written only by version 1; 3 in the streams layout).
pub(crate) fn decode(
    input: &[u8],
    count: usize,
    out: &mut Vec<u8>,
    at: usize,
    max_mode: u8,
) -> Result<usize, SectionError> {
    // Every code is at least one bit and a raw byte is eight: a count the input cannot hold is an
    // error before anything is allocated for it.
    if count as u64 > input.len() as u64 * 8 {
        return Err(SectionError::new(
            "count",
            at,
            format!(
                "{count} bytes cannot fit in the {} bytes left in the payload",
                input.len()
            ),
        ));
    }
    let Some(&mode) = input.first() else {
        return Err(cut("mode byte", at, 1, 0));
    };
    check_mode(mode, count, max_mode, "mode byte", at)?;
    // Every byte is written below: reuse what the buffer held (the decoder's scratch keeps its
    // length between segments) instead of zeroing it per section.
    out.resize(count, 0);
    if mode != 3 {
        return decode_into(input, out, at, None);
    }
    // Mode 3: a section of modes 0–2 per block.
    let mut ip = 1;
    for (j, block) in out.chunks_mut(BLOCK).enumerate() {
        let rest = input.get(ip..).unwrap_or(&[]);
        let Some(&mode) = rest.first() else {
            return Err(cut(&field_name(Some(j), "mode byte"), at + ip, 1, 0));
        };
        if mode == 3 {
            return Err(SectionError::new(
                field_name(Some(j), "mode byte"),
                at + ip,
                "mode 3 inside a section of blocks",
            ));
        }
        ip += decode_into(rest, block, at + ip, Some(j))?;
    }
    Ok(ip)
}

/// Checks a section's mode byte against the modes the layout allows and the rule that an empty
/// section is mode 0.
fn check_mode(
    mode: u8,
    count: usize,
    max_mode: u8,
    field: &str,
    at: usize,
) -> Result<(), SectionError> {
    let what = if mode > 3 {
        format!("reserved mode {mode}")
    } else if mode > max_mode {
        format!(
            "mode {mode} ({}) is not allowed in the split layout (format version 1 has modes 0 and 1)",
            ["raw", "Huffman", "four bitstreams", "blocks"][usize::from(mode)]
        )
    } else if count == 0 && mode != 0 {
        format!("mode {mode} for an empty section (an empty section is mode 0)")
    } else {
        return Ok(());
    };
    Err(SectionError::new(field, at, what))
}

/// Decodes a byte section of mode 0, 1 or 2 into `out`, whose length is the symbol count (at
/// least 1; the mode has been checked). `block` is its block number in mode 3, for errors.
#[inline(always)]
fn decode_into(
    input: &[u8],
    out: &mut [u8],
    at: usize,
    block: Option<usize>,
) -> Result<usize, SectionError> {
    let count = out.len();
    let field = |f: &str| field_name(block, f);
    let bad = |f: &str, off: usize, what: &str| SectionError::new(field(f), at + off, what);
    let varint_at = |f: &str, ip: &mut usize| {
        let start = *ip;
        varint::read(input, ip).map_err(|e| match e {
            varint::Error::Incomplete => SectionError::new(
                field(f),
                at + start,
                "varint cut short by the end of the payload",
            ),
            e => SectionError::new(
                field(f),
                at + start,
                format!("malformed varint: {}", e.what()),
            ),
        })
    };
    let mode = input[0];
    if mode == 0 {
        let Some(raw) = input.get(1..1 + count) else {
            return Err(cut(&field("raw bytes"), at + 1, count, input.len() - 1));
        };
        out.copy_from_slice(raw);
        return Ok(1 + count);
    }
    let Some(&max_sym) = input.get(1) else {
        return Err(cut(&field("max_symbol"), at + 1, 1, 0));
    };
    let max_sym = usize::from(max_sym);
    let nbytes = max_sym / 2 + 1;
    let Some(packed) = input.get(2..2 + nbytes) else {
        return Err(cut(&field("code lengths"), at + 2, nbytes, input.len() - 2));
    };
    let mut lens = [0u8; 256];
    for s in 0..=max_sym {
        let l = if s % 2 == 0 {
            packed[s / 2] & 15
        } else {
            packed[s / 2] >> 4
        };
        if u32::from(l) > MAX_BITS {
            return Err(bad(
                "code lengths",
                2 + s / 2,
                &format!("byte value {s} has code length {l} (at most 11)"),
            ));
        }
        lens[s] = l;
    }
    if max_sym % 2 == 0 && packed[nbytes - 1] >> 4 != 0 {
        return Err(bad(
            "code lengths",
            1 + nbytes,
            "unused last high nibble set",
        ));
    }
    let kraft = kraft(&lens);
    if kraft == 0 {
        return Err(bad("code lengths", 2, "no byte value has a code"));
    }
    if kraft > TABLE as u64 {
        return Err(bad("code lengths", 2, "violate Kraft's inequality"));
    }
    let mut ip = 2 + nbytes;
    let len_at = ip;
    let stream_len = varint_at("stream_len", &mut ip)?;
    // Mode 2: the lengths of the first three of four bitstreams; the fourth is the rest.
    let mut sizes = [0u64; 3];
    if mode == 2 {
        let sizes_at = ip;
        for size in &mut sizes {
            *size = varint_at("sizes", &mut ip)?;
        }
        let sum = sizes.iter().sum::<u64>();
        if sum > stream_len {
            return Err(bad(
                "sizes",
                sizes_at,
                &format!("bitstreams 0-2 take {sum} bytes, more than stream_len {stream_len}"),
            ));
        }
    }
    let Some(stream) = usize::try_from(stream_len)
        .ok()
        .and_then(|l| input.get(ip..ip.checked_add(l)?))
    else {
        return Err(cut(
            &field("bitstream"),
            at + ip,
            stream_len,
            input.len() - ip,
        ));
    };
    // A code is at least one bit: more symbols than bits cannot be right (and would otherwise let
    // a tiny stream demand a large buffer).
    if count as u64 > stream.len() as u64 * 8 {
        return Err(bad(
            "stream_len",
            len_at,
            &format!("{count} bytes cannot be coded in {} bytes", stream.len()),
        ));
    }
    // Decoding table indexed by the next MAX_BITS stream bits: [`entry`] of each code.
    let codes = canonical(&lens);
    let mut table = [NO_CODE; TABLE];
    for s in 0..256 {
        let l = lens[s];
        if l == 0 {
            continue;
        }
        let r = reverse(codes[s], l) as usize;
        let e = entry(s as u8, l);
        let mut j = r;
        while j < TABLE {
            table[j] = e;
            j += 1 << l;
        }
    }
    if mode == 1 {
        finish(
            &mut Bits::new(stream),
            &table,
            out,
            0,
            at + ip,
            (block, None),
        )?;
        return Ok(ip + stream.len());
    }
    // Four bitstreams, one per quarter of the symbols, decoded in an interleaved loop so the four
    // dependency chains (lookup, shift, next lookup) overlap; each is then finished on its own.
    // In the loop a bitstream is only a bit position in the whole of `stream` and a bit buffer
    // (two registers, not five: the loop then keeps all four in registers). A refill may read
    // bytes of the next bitstream; they are never consumed unless the codes overrun their own
    // bitstream, which is an error below.
    let ends = [
        sizes[0] as usize,
        (sizes[0] + sizes[1]) as usize,
        (sizes[0] + sizes[1] + sizes[2]) as usize,
        stream.len(),
    ];
    let starts = [0, ends[0], ends[1], ends[2]];
    let mut pos = starts.map(|s| s * 8);
    let q = quarters(count);
    let common = q[3].len();
    let (o0, r) = out.split_at_mut(q[1].start);
    let (o1, r) = r.split_at_mut(q[1].len());
    let (o2, o3) = r.split_at_mut(q[2].len());
    let mut outs = [o0, o1, o2, o3];
    // A complete code (Kraft's sum exactly 1) maps every bit pattern to a code: its loop need not
    // look for patterns that match none.
    let k = if kraft == TABLE as u64 {
        interleaved::<false>(stream, &table, &mut pos, &mut outs, common)
    } else {
        interleaved::<true>(stream, &table, &mut pos, &mut outs, common)
    }
    .ok_or_else(|| bad("bitstream", ip, "bit pattern matches no code"))?;
    for j in 0..4 {
        let (s, e) = (starts[j], ends[j]);
        if pos[j] > e * 8 {
            return Err(SectionError::new(
                field(&format!("bitstream {j}")),
                at + ip + s,
                format!("its codes run past its end ({} bytes)", e - s),
            ));
        }
        let mut b = Bits::at(&stream[s..e], pos[j] - s * 8);
        finish(&mut b, &table, outs[j], k, at + ip + s, (block, Some(j)))?;
    }
    Ok(ip + stream.len())
}

/// The four bitstreams' interleaved loop: decodes the first symbols of each quarter into `outs`,
/// five per bitstream and round while every bitstream has 8 bytes to read at its position `pos`
/// (advanced past the codes used), and returns how many per quarter (at most `common`). With
/// `CHECKED`, `None` when a bit pattern matches no code; without, the table must have none.
#[inline(always)]
fn interleaved<const CHECKED: bool>(
    stream: &[u8],
    table: &[u16; TABLE],
    pos: &mut [usize; 4],
    outs: &mut [&mut [u8]; 4],
    common: usize,
) -> Option<usize> {
    // Five codes of at most 11 bits per refill. Bit 63 of the buffer is set as a sentinel (the
    // refill leaves at least 57 stream bits below it, and no more than 55 are consumed): after the
    // round, the sentinel has moved down by the bits consumed, which its leading zeros count, so
    // positions advance once per round and not once per symbol.
    const BATCH: usize = 5;
    const SENTINEL: u64 = 1 << 63;
    let mut k = 0;
    while k + BATCH <= common {
        let mut acc = [0u64; 4];
        for j in 0..4 {
            // Near the end of the stream the rest is left to [`finish`].
            let Some(w) = stream.get(pos[j] / 8..pos[j] / 8 + 8) else {
                return Some(k);
            };
            acc[j] = (u64::from_le_bytes(w.try_into().unwrap()) >> (pos[j] % 8)) | SENTINEL;
        }
        // One bounds check per bitstream and round, not per symbol.
        let [o0, o1, o2, o3] = outs;
        let w: [&mut [u8; BATCH]; 4] = [
            (&mut o0[k..k + BATCH]).try_into().unwrap(),
            (&mut o1[k..k + BATCH]).try_into().unwrap(),
            (&mut o2[k..k + BATCH]).try_into().unwrap(),
            (&mut o3[k..k + BATCH]).try_into().unwrap(),
        ];
        let mut seen = 0u16;
        // Symbol-major, so that the four streams' lookups follow each other.
        #[allow(clippy::needless_range_loop)]
        for slot in 0..BATCH {
            for j in 0..4 {
                let e = table[(acc[j] & (TABLE as u64 - 1)) as usize];
                acc[j] >>= code_len(e);
                if CHECKED {
                    seen |= e;
                }
                w[j][slot] = symbol(e);
            }
        }
        if CHECKED && seen & NO_CODE != 0 {
            return None;
        }
        for j in 0..4 {
            pos[j] += acc[j].leading_zeros() as usize;
        }
        k += BATCH;
    }
    Some(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(lits: &[u8]) -> usize {
        let mut sec = Vec::new();
        encode(lits, &mut Scratch::default(), &mut sec);
        let mut out = Vec::new();
        let used = decode(&sec, lits.len(), &mut out, 0, 3).unwrap();
        assert_eq!(used, sec.len());
        assert_eq!(out, lits);
        sec.len()
    }

    /// A code that saves under 1/32 of a section is not worth its decode time: 240 equally
    /// frequent values (codes of 7 and 8 bits, 0.8% saved) stay raw; 128 (7 bits, 12.5% saved)
    /// are coded.
    #[test]
    fn huffman_only_when_it_saves_a_thirty_second() {
        let near_uniform: Vec<u8> = (0..240u8).cycle().take(60_000).collect();
        let mut sec = Vec::new();
        encode(&near_uniform, &mut Scratch::default(), &mut sec);
        assert_eq!(sec[0], 0, "raw");
        assert_eq!(roundtrip(&near_uniform), near_uniform.len() + 1);
        let seven_bits: Vec<u8> = (0..128u8).cycle().take(60_000).collect();
        let mut sec = Vec::new();
        encode(&seven_bits, &mut Scratch::default(), &mut sec);
        assert_eq!(sec[0], 2, "four bitstreams");
        assert!(roundtrip(&seven_bits) < seven_bits.len() * 7 / 8 + 100);
    }

    /// The limit of 11 bits forces rare symbols deeper than a Huffman tree would put them; the
    /// lengths must still form a complete code (Kraft's sum exactly 1) whenever two or more
    /// symbols occur, so the decoder's unchecked loop is the one that runs.
    #[test]
    fn limited_codes_are_complete() {
        let mut freq = [0u64; 256];
        // Fibonacci weights: an unlimited tree would be 40 levels deep.
        let (mut a, mut b) = (1u64, 1u64);
        for f in freq.iter_mut().take(40) {
            *f = a;
            (a, b) = (b, a + b);
        }
        let mut cases = vec![freq];
        let mut x = 12345u64;
        for n in [2usize, 3, 17, 200, 256] {
            for _ in 0..50 {
                let mut f = [0u64; 256];
                for v in f.iter_mut().take(n) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // Skewed: counts spread over many powers of two.
                    *v = 1 + (((x >> 8) & 0xffff) >> (x % 24));
                }
                cases.push(f);
            }
        }
        for f in &cases {
            let lens = code_lengths(f);
            assert!(lens.iter().all(|&l| u32::from(l) <= MAX_BITS));
            assert_eq!(kraft(&lens), TABLE as u64, "{lens:?}");
        }
    }

    /// A hand-made four-bitstream section with an incomplete code ('a' = 0, 'b' = 10; the
    /// pattern 11 starts no code) decodes where its codes are valid, and a pattern that starts no
    /// code is an error both in the interleaved loop and in the per-bitstream tail.
    #[test]
    fn incomplete_codes_decode_and_their_gaps_are_errors() {
        fn pack(bits: &[u8]) -> Vec<u8> {
            let mut v = vec![0u8; bits.len().div_ceil(8)];
            for (i, &b) in bits.iter().enumerate() {
                v[i / 8] |= b << (i % 8);
            }
            v
        }
        let quarter = |bad: Option<usize>| -> Vec<u8> {
            let mut bits = Vec::new();
            for i in 0..100 {
                if bad == Some(i) {
                    bits.extend([1, 1]);
                } else if i % 2 == 0 {
                    bits.push(0); // 'a'
                } else {
                    bits.extend([1, 0]); // 'b'
                }
            }
            pack(&bits)
        };
        let section = |bad: Option<(usize, usize)>| -> Vec<u8> {
            let streams: Vec<Vec<u8>> = (0..4)
                .map(|j| quarter(bad.filter(|b| b.0 == j).map(|b| b.1)))
                .collect();
            let total: usize = streams.iter().map(Vec::len).sum();
            let mut lens = [0u8; 50];
            lens[48] = 1 << 4; // 'a' (97): the high nibble of byte 48
            lens[49] = 2; // 'b' (98): the low nibble of byte 49
            let mut sec = vec![2, b'b'];
            sec.extend(lens);
            for v in [total, streams[0].len(), streams[1].len(), streams[2].len()] {
                sec.push(u8::try_from(v).unwrap());
            }
            for s in &streams {
                sec.extend(s);
            }
            sec
        };
        let want: Vec<u8> = (0..400)
            .map(|i| if i % 2 == 0 { b'a' } else { b'b' })
            .collect();
        let mut out = Vec::new();
        let sec = section(None);
        assert_eq!(decode(&sec, 400, &mut out, 0, 3).unwrap(), sec.len());
        assert_eq!(out, want);
        // Symbol 30 of a quarter is inside the interleaved loop; 98 is in the tail.
        for bad in [(0, 30), (2, 30), (3, 98), (1, 0)] {
            let err = decode(&section(Some(bad)), 400, &mut out, 0, 3).unwrap_err();
            assert!(err.what.contains("no code"), "{bad:?}: {err:?}");
        }
    }

    #[test]
    fn roundtrips() {
        roundtrip(b"");
        roundtrip(b"a");
        roundtrip(&[7u8; 1000]);
        let text = b"the quick brown fox jumps over the lazy dog ".repeat(50);
        assert!(roundtrip(&text) < text.len() * 6 / 10);
        let all: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        roundtrip(&all);
        // Skewed counts that force the 11-bit limit (Fibonacci-like frequencies).
        let mut skew = Vec::new();
        let (mut a, mut b) = (1usize, 1usize);
        for s in 0..30u8 {
            skew.extend(std::iter::repeat_n(s, a));
            (a, b) = (b, a + b);
            if a > 200_000 {
                break;
            }
        }
        roundtrip(&skew);
    }

    /// Long sections use four bitstreams, short ones one; every count around the quarter
    /// boundaries (including quarters that are empty) round-trips.
    #[test]
    fn four_streams_from_4096_bytes() {
        let text = b"the quick brown fox jumps over the lazy dog ".repeat(200);
        for n in [4095, 4096, 4097, 4098, 4099, 4100, 8191] {
            let mut sec = Vec::new();
            encode(&text[..n], &mut Scratch::default(), &mut sec);
            assert_eq!(
                sec[0],
                if n >= FOUR_STREAMS_FROM { 2 } else { 1 },
                "n = {n}"
            );
            roundtrip(&text[..n]);
        }
        for n in 0..12 {
            assert_eq!(quarters(n).iter().map(|r| r.len()).sum::<usize>(), n);
        }
    }

    #[test]
    fn hostile_four_stream_sections_are_errors() {
        let text = b"the quick brown fox jumps over the lazy dog ".repeat(200);
        let mut sec = Vec::new();
        encode(&text, &mut Scratch::default(), &mut sec);
        assert_eq!(sec[0], 2);
        let mut out = Vec::new();
        // Every flip is an error or exactly `count` bytes; every cut is an error.
        for at in 0..sec.len() {
            let mut bad = sec.clone();
            bad[at] ^= 0x41;
            if decode(&bad, text.len(), &mut out, 0, 3).is_ok() {
                assert_eq!(out.len(), text.len());
            }
        }
        for cut in 0..sec.len() {
            assert!(decode(&sec[..cut], text.len(), &mut out, 0, 3).is_err());
        }
        // Stream lengths summing past the total: mode 2, one symbol of length 1, total 1 byte,
        // first three streams 1 byte each.
        assert!(decode(&[2, 0, 0x01, 1, 1, 1, 1, 0], 1, &mut out, 0, 3).is_err());
    }

    /// Histograms summed from per-chunk counts equal direct counts for ranges of every kind: inside
    /// one chunk, across boundaries, aligned, the whole section and empty.
    #[test]
    fn range_counts_match_direct_counts() {
        let n = 5 * Counts::CHUNK + 123;
        let mut x = 7u32;
        let data: Vec<u8> = (0..n)
            .map(|i| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 24) as u8 & if i < n / 2 { 0x0f } else { 0xff }
            })
            .collect();
        let mut chunks = Vec::new();
        let counts = Counts::new(&data, &mut chunks);
        let c = Counts::CHUNK;
        for (a, b) in [
            (0, n),
            (0, 0),
            (5, 17),
            (c - 1, c + 1),
            (c, 3 * c),
            (c + 7, 4 * c - 3),
            (3, 5 * c),
            (2 * c, n),
            (n - 10, n),
        ] {
            assert_eq!(counts.of(a..b), histogram(&data[a..b]), "{a}..{b}");
        }
    }

    /// A boundary between two of the four bitstreams moved by a few bytes (the total kept): the
    /// interleaved loop reads across boundaries, so a bitstream whose codes run into the next one
    /// must still be an error, as must one with bytes left over.
    #[test]
    fn moved_bitstream_boundaries_are_errors() {
        let data = crate::codec::lcg_bytes(99, 40_000, b"etaoinshrdlu");
        let mut sec = Vec::new();
        encode(&data, &mut Scratch::default(), &mut sec);
        assert_eq!(sec[0], 2);
        // The header: mode, max symbol, packed lengths, then the total and three sizes.
        let mut ip = 2 + usize::from(sec[1]) / 2 + 1;
        let head = ip;
        let mut fields = [0u64; 4];
        for f in &mut fields {
            *f = varint::read(&sec, &mut ip).unwrap();
        }
        let body = &sec[ip..];
        let mut out = Vec::new();
        for j in 0..3 {
            for delta in [-200i64, -21, -3, -1, 1, 3, 21, 200] {
                let mut f = fields;
                f[1 + j] = (f[1 + j] as i64 + delta) as u64;
                if j < 2 {
                    f[2 + j] = (f[2 + j] as i64 - delta) as u64;
                }
                let mut bad = sec[..head].to_vec();
                for v in f {
                    varint::put(&mut bad, v);
                }
                bad.extend_from_slice(body);
                assert!(
                    decode(&bad, data.len(), &mut out, 0, 3).is_err(),
                    "bitstream {j} moved by {delta}"
                );
            }
        }
        assert!(decode(&sec, data.len(), &mut out, 0, 3).is_ok());
        assert!(out == data);
    }

    #[test]
    fn hostile_sections_are_errors() {
        let mut out = Vec::new();
        assert!(decode(&[], 1, &mut out, 0, 3).is_err());
        assert!(decode(&[3], 1, &mut out, 0, 3).is_err());
        assert!(decode(&[1, 0, 0x0c], 1, &mut out, 0, 3).is_err()); // length 12
        assert!(decode(&[1, 1, 0x11, 0], 1, &mut out, 0, 3).is_err()); // no stream bytes for 1 literal
        assert!(decode(&[1, 3, 0x11, 0x11, 1, 0], 1000, &mut out, 0, 3).is_err()); // more literals than bits
        assert!(decode(&[1, 255, 0x11], 1, &mut out, 0, 3).is_err()); // table cut short
    }

    /// Bytes from 16 values, then from 16 others: one code needs 5 bits a byte, a code per block 4.
    fn two_alphabets(n: usize) -> Vec<u8> {
        let mut x = 0x2545_f491u32;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (if i < n / 2 { b'a' } else { 0xc0 }) + (x >> 28) as u8
            })
            .collect()
    }

    #[test]
    fn sections_whose_statistics_change_are_coded_in_blocks() {
        // Two and a half blocks: the last one short, the middle one mixing both alphabets.
        let lits = two_alphabets(BLOCK * 5 / 2);
        let mut sec = Vec::new();
        encode(&lits, &mut Scratch::default(), &mut sec);
        assert_eq!(sec[0], 3, "mode 3");
        assert!(sec.len() < lits.len() * 9 / 16, "{} bytes", sec.len());
        assert_eq!(roundtrip(&lits), sec.len());
        // Same statistics throughout: one section, and no blocks at or below one block's size.
        let mut x = 7u32;
        let uniform: Vec<u8> = (0..BLOCK * 3)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                b'a' + (x >> 28) as u8
            })
            .collect();
        sec.clear();
        encode(&uniform, &mut Scratch::default(), &mut sec);
        assert_ne!(sec[0], 3);
        sec.clear();
        encode(&two_alphabets(BLOCK), &mut Scratch::default(), &mut sec);
        assert_ne!(sec[0], 3);
        roundtrip(&uniform);
    }

    #[test]
    fn hostile_blocked_sections_are_errors() {
        let lits = two_alphabets(BLOCK * 2);
        let mut sec = Vec::new();
        encode(&lits, &mut Scratch::default(), &mut sec);
        assert_eq!(sec[0], 3);
        let mut out = Vec::new();
        // Every cut is an error; so is a count the blocks do not match (the last block's bitstream
        // then ends early or has codes left over).
        for cut in (0..sec.len()).step_by(97).chain([sec.len() - 1]) {
            assert!(
                decode(&sec[..cut], lits.len(), &mut out, 0, 3).is_err(),
                "cut {cut}"
            );
        }
        assert!(decode(&sec, lits.len() + 1, &mut out, 0, 3).is_err());
        assert!(decode(&sec, lits.len() - 1, &mut out, 0, 3).is_err());
        // A block in mode 3 is an error, not a recursion.
        let mut nested = vec![3, 3];
        nested.extend_from_slice(&sec[1..]);
        assert!(decode(&nested, lits.len(), &mut out, 0, 3).is_err());
        // An empty section is mode 0 (mode 3 with no blocks is an error); a count beyond 8 bits per
        // input byte is an error before anything is allocated.
        assert_eq!(decode(&[0], 0, &mut out, 0, 3).unwrap(), 1);
        assert!(decode(&[3], 0, &mut out, 0, 3).is_err());
        assert!(decode(&[3, 0], usize::MAX / 2, &mut out, 0, 3).is_err());
    }
}
