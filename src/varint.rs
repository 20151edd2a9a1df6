//! LEB128 unsigned varints (7 bits per byte, least significant group first, high bit = more).
//!
//! Glyph streams never need more than [`MAX_LEN`] bytes: every length and distance is below 2^35.

/// Longest varint accepted by the decoder (5 bytes = 35 bits).
pub const MAX_LEN: usize = 5;

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

/// Reads the varint at `input[*ip..]` and advances `ip` past it; the errors name `*ip`.
#[inline(always)]
pub fn read(input: &[u8], ip: &mut usize) -> Result<u64, crate::error::CodecError> {
    use crate::error::CodecError;
    let at = *ip;
    // Fast path: a one-byte varint.
    if let Some(&b) = input.get(at) {
        if b < 0x80 {
            *ip += 1;
            return Ok(u64::from(b));
        }
    }
    match get(input.get(at..).unwrap_or(&[])) {
        Varint::Done(v, n) => {
            *ip += n;
            Ok(v)
        }
        Varint::Incomplete => Err(CodecError::Truncated { at }),
        Varint::Malformed => Err(CodecError::BadVarint { at }),
    }
}

/// Outcome of [`get`].
#[derive(Debug, PartialEq, Eq)]
pub enum Varint {
    /// A value and the number of bytes it took.
    Done(u64, usize),
    /// The input ended inside the varint.
    Incomplete,
    /// More than [`MAX_LEN`] bytes.
    Malformed,
}

/// Reads a varint from the start of `buf`.
#[inline]
pub fn get(buf: &[u8]) -> Varint {
    let mut v: u64 = 0;
    for i in 0..MAX_LEN {
        let Some(&b) = buf.get(i) else {
            return Varint::Incomplete;
        };
        v |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Varint::Done(v, i + 1);
        }
    }
    Varint::Malformed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_edges() {
        for v in [0u64, 1, 127, 128, 16383, 16384, (1 << 35) - 1] {
            let mut b = Vec::new();
            put(&mut b, v);
            assert_eq!(get(&b), Varint::Done(v, b.len()));
            for cut in 0..b.len() {
                assert_eq!(get(&b[..cut]), Varint::Incomplete);
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
            Varint::Malformed
        );
    }
}
