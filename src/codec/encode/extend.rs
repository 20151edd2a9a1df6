//! How far a match extends: the equal bytes after two positions and before them.

use super::read_u64;

/// Length of the common prefix of `b[a..]` and `b[i..]` (a < i), not reading past `end`.
#[inline(always)]
pub(super) fn common(b: &[u8], a: usize, i: usize, end: usize) -> usize {
    let mut l = 0;
    while i + l + 8 <= end {
        let x = read_u64(b, a + l) ^ read_u64(b, i + l);
        if x != 0 {
            return l + (x.trailing_zeros() / 8) as usize;
        }
        l += 8;
    }
    while i + l < end && b[a + l] == b[i + l] {
        l += 1;
    }
    l
}

/// How many bytes just before `a` and just before `i` are equal (`a < i`), at most `max` (`max <=
/// a`). One 8-byte comparison answers most calls without a branch on each byte.
#[inline(always)]
pub(super) fn common_back(b: &[u8], a: usize, i: usize, max: usize) -> usize {
    let mut k = 0;
    if a >= 8 {
        let x = read_u64(b, a - 8) ^ read_u64(b, i - 8);
        k = (x.leading_zeros() / 8) as usize;
        if k < 8 || max <= 8 {
            return k.min(max);
        }
    }
    while k < max && b[a - 1 - k] == b[i - 1 - k] {
        k += 1;
    }
    k
}
