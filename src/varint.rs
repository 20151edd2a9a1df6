//! LEB128 unsigned varints (7 bits per byte, least significant group first, high bit = more).
//!
//! A decoder accepts only the one shortest encoding of a value of at most [`MAX_VALUE`]
//! (docs/FORMAT.md, "Varints"): at most [`MAX_LEN`] bytes, no zero-padding (a last byte of 0 after
//! another byte), and a fifth byte of at most `0x0f`. Every length and distance of a glyph stream,
//! and every bitstream length of a byte section, is far below that.

/// Longest varint accepted by the decoder (5 bytes).
pub const MAX_LEN: usize = 5;

/// Largest value a varint may hold: 2^32 − 1.
pub const MAX_VALUE: u64 = u32::MAX as u64;

/// Appends `v` to `out`.
#[inline]
pub fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes [`put`] writes for `v`.
#[inline(always)]
pub fn len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Why a varint was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The input ended inside the varint.
    Incomplete,
    /// Zero-padded: a last byte of 0 after another byte.
    ZeroPadded,
    /// A value above [`MAX_VALUE`].
    TooLarge,
    /// More than [`MAX_LEN`] bytes.
    TooLong,
}

impl Error {
    /// The rule broken, in words.
    pub fn what(self) -> &'static str {
        match self {
            Error::Incomplete => "cut short by the end of its input",
            Error::ZeroPadded => "zero-padded (a varint is the shortest encoding of its value)",
            Error::TooLarge => "value above 2^32 - 1",
            Error::TooLong => "longer than 5 bytes",
        }
    }
}

/// Reads the varint at `input[*ip..]` and advances `ip` past it (not on error).
#[inline(always)]
pub fn read(input: &[u8], ip: &mut usize) -> Result<u64, Error> {
    let at = *ip;
    // Fast path: a one-byte varint.
    if let Some(&b) = input.get(at) {
        if b < 0x80 {
            *ip += 1;
            return Ok(u64::from(b));
        }
    }
    let (v, n) = get(input.get(at..).unwrap_or(&[]))?;
    *ip += n;
    Ok(v)
}

/// Reads a varint from the start of `buf`: its value and the bytes it took.
#[inline]
pub fn get(buf: &[u8]) -> Result<(u64, usize), Error> {
    let mut v: u64 = 0;
    for i in 0..MAX_LEN {
        let Some(&b) = buf.get(i) else {
            return Err(Error::Incomplete);
        };
        v |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            if b == 0 && i > 0 {
                return Err(Error::ZeroPadded);
            }
            if v > MAX_VALUE {
                return Err(Error::TooLarge);
            }
            return Ok((v, i + 1));
        }
    }
    Err(Error::TooLong)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_edges() {
        for v in [
            0u64,
            1,
            127,
            128,
            16383,
            16384,
            (1 << 28) - 1,
            1 << 28,
            MAX_VALUE,
        ] {
            let mut b = Vec::new();
            put(&mut b, v);
            assert_eq!(get(&b), Ok((v, b.len())));
            for cut in 0..b.len() {
                assert_eq!(get(&b[..cut]), Err(Error::Incomplete));
            }
        }
    }

    #[test]
    fn len_matches_put() {
        for v in [
            0u64,
            1,
            127,
            128,
            16383,
            16384,
            (1 << 21) - 1,
            1 << 21,
            u64::MAX,
        ] {
            let mut b = Vec::new();
            put(&mut b, v);
            assert_eq!(len(v), b.len(), "{v}");
        }
    }

    #[test]
    fn too_long_is_malformed() {
        assert_eq!(
            get(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
            Err(Error::TooLong)
        );
    }

    #[test]
    fn zero_padding_and_values_above_32_bits_are_malformed() {
        // 5 as two, three and five bytes; 0 as two bytes.
        for b in [
            &[0x85, 0x00][..],
            &[0x85, 0x80, 0x00],
            &[0x85, 0x80, 0x80, 0x80, 0x00],
            &[0x80, 0x00],
        ] {
            assert_eq!(get(b), Err(Error::ZeroPadded), "{b:02x?}");
        }
        // 2^32 and the largest five-byte value.
        assert_eq!(get(&[0x80, 0x80, 0x80, 0x80, 0x10]), Err(Error::TooLarge));
        assert_eq!(get(&[0xff, 0xff, 0xff, 0xff, 0x7f]), Err(Error::TooLarge));
        let mut b = Vec::new();
        put(&mut b, MAX_VALUE);
        assert_eq!(b, [0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(read(&b, &mut 0), Ok(MAX_VALUE));
        let mut ip = 0;
        assert_eq!(read(&[0x85, 0x00], &mut ip), Err(Error::ZeroPadded));
        assert_eq!(ip, 0);
    }
}
