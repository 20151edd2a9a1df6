//! Levels 8–9: the 3-byte copies of a new distance, for the optimal parse ([`super::optimal`]).
//!
//! Format version 4's shortest copy of every kind is 3 bytes, but the binary trees are keyed by a
//! 4-byte hash, so they never report a copy that shares only 3 bytes with the current position. A
//! small table keyed by a hash of 3 bytes remembers the newest position of each: its copy, when
//! near enough, is one more candidate, and the prices decide whether it pays (a near one often
//! does, in place of three literals; a far one rarely does, its distance costing more bits than
//! the literals).

use super::{common, MatchFinder, EMPTY};

/// The table slot of the 3 bytes at `i`.
#[inline(always)]
fn slot(input: &[u8], i: usize, log: u32) -> usize {
    let v = u32::from_le_bytes([input[i], input[i + 1], input[i + 2], 0]);
    (v.wrapping_mul(506_832_829) >> (32 - log)) as usize
}

/// The newest earlier position `c` whose first 3 bytes equal those at `i`, at most the level's
/// `short_dist` bytes back, with the length of its copy (at least 3, not reading past `n`); `i`
/// takes its place in the table. Positions must arrive in increasing order (each at most once).
#[inline(always)]
pub(super) fn find(
    input: &[u8],
    i: usize,
    n: usize,
    mf: &mut MatchFinder,
) -> Option<(usize, usize)> {
    let h = slot(input, i, mf.params.short_log);
    let c = mf.short[h];
    mf.short[h] = i as u32;
    if c == EMPTY {
        return None;
    }
    let c = c as usize;
    if c >= i || i - c > mf.params.short_dist {
        return None;
    }
    let len = common(input, c, i, n);
    (len >= 3).then_some((c, len))
}

/// Enters position `i` into the table without looking for a copy.
#[inline(always)]
pub(super) fn insert(input: &[u8], i: usize, mf: &mut MatchFinder) {
    mf.short[slot(input, i, mf.params.short_log)] = i as u32;
}

#[cfg(test)]
mod tests {
    use super::super::{encode_payload, MatchFinder};
    use crate::codec::decode_payload;
    use crate::codec::sequences::NEW_CODE;

    /// The table reports the newest earlier position with the same first 3 bytes, with its full
    /// length, and nothing beyond its reach.
    #[test]
    fn finds_the_newest_3_byte_copy_in_reach() {
        let mut mf = MatchFinder::new(9);
        mf.reset();
        let data = b"abcXabcYabcdZZabcdQ--------".to_vec();
        let n = data.len();
        let mut found = Vec::new();
        for i in 0..n - 3 {
            found.push(super::find(&data, i, n, &mut mf));
        }
        assert_eq!(found[4], Some((0, 3)), "abcY after abcX");
        assert_eq!(found[8], Some((4, 3)), "the newest abc");
        assert_eq!(found[14], Some((8, 4)), "abcd, 4 bytes");
        assert_eq!(found[1], None);
        mf.reset();
        mf.params.short_dist = 3;
        for (i, f) in found.iter_mut().enumerate() {
            *f = super::find(&data, i, n, &mut mf);
        }
        assert_eq!(found[4], None, "4 bytes back, out of reach");
    }

    /// Noise over 64 byte values (6 bits a literal) where, every 20 bytes or so, 3 bytes repeat
    /// from a few dozen bytes back and the fourth differs: a copy of 3 bytes at a near new
    /// distance pays there, and level 9 writes such copies and gets smaller with them.
    #[test]
    fn near_3_byte_copies_are_written_where_they_pay() {
        let alphabet: Vec<u8> = (b'0'..b'0' + 64).collect();
        let mut data = crate::codec::lcg_bytes(7, 60_000, &alphabet);
        let mut x = 1u32;
        let mut i = 100;
        while i + 4 < data.len() {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let d = 8 + (x >> 16) as usize % 56;
            data.copy_within(i - d..i - d + 3, i);
            data[i + 3] = data[i - d + 3] ^ 1;
            i += 16 + (x >> 24) as usize % 8;
        }
        let size = |short: bool| {
            let mut mf = MatchFinder::new(9);
            if !short {
                mf.params.short_log = 0;
            }
            let mut out = Vec::new();
            let layout = encode_payload(&data, &mut mf, &mut out).expect("compressible");
            let mut dec = Vec::new();
            decode_payload(&out, layout, &mut dec, data.len()).unwrap();
            assert!(dec == data);
            let new3 = mf
                .collector
                .seqs
                .iter()
                .filter(|q| q.match_len == 3 && q.offset >= u32::from(NEW_CODE))
                .count();
            (out.len(), new3)
        };
        let (with, new3) = size(true);
        let (without, _) = size(false);
        assert!(new3 > 1000, "{new3} copies of 3 bytes at a new distance");
        assert!(
            with < without,
            "{with} with 3-byte copies, {without} without"
        );
    }
}
