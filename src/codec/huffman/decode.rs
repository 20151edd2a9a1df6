//! The byte-section decoder: every field checked, then the codes through a 2048-entry table,
//! four bitstreams side by side in mode 2.

use super::*;

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
#[multiversion::multiversion(targets("x86_64+avx2+bmi1+bmi2+lzcnt+popcnt"))]
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
