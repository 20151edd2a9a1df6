//! Levels 5–7: the row match finder. Each hash of a position's first bytes picks a row of 16
//! slots holding the newest 16 positions with that hash, and beside each an 8-bit tag (more bits
//! of the same hash). A search compares the probe's tag with all 16 at once and reads the input
//! only at slots whose tag is equal, newest first: one cache line of positions per probe, where a
//! hash chain costs a read per step. A position stays, at any distance in the segment, until 16
//! newer ones with its hash have pushed it out.

use super::chain::{offer, Finder};
use super::{hash_prefix, read_u64, MatchFinder};

/// Slots per row.
const ROW: usize = 16;

/// One row's positions, a cache line; `u32::MAX` is an empty slot (never before a position).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Slots([u32; ROW]);

const EMPTY_SLOTS: Slots = Slots([u32::MAX; ROW]);

/// One row's tags, byte `k` for slot `k`.
#[derive(Clone, Copy, Default)]
#[repr(C, align(16))]
struct Tags([u8; ROW]);

/// The rows of a level with `1 << log` slots (`log` ≥ 4), or none (`log` 0).
#[derive(Default)]
pub(super) struct Rows {
    slots: Vec<Slots>,
    tags: Vec<Tags>,
    /// The slot of each row's newest position; the next insertion goes into the slot before it.
    heads: Vec<u8>,
    /// log2 of the number of rows.
    row_log: u32,
}

impl Rows {
    pub(super) fn new(log: u32) -> Rows {
        if log == 0 {
            return Rows::default();
        }
        let row_log = log - ROW.trailing_zeros();
        let rows = 1 << row_log;
        Rows {
            slots: vec![EMPTY_SLOTS; rows],
            tags: vec![Tags::default(); rows],
            heads: vec![0; rows],
            row_log,
        }
    }

    /// Heap bytes of the rows of `1 << log` slots.
    pub(super) fn bytes(log: u32) -> usize {
        if log == 0 {
            0
        } else {
            ((4 + 1) << log) + (1 << (log - ROW.trailing_zeros()))
        }
    }

    pub(super) fn reset(&mut self) {
        self.slots.fill(EMPTY_SLOTS);
        self.tags.fill(Tags::default());
        self.heads.fill(0);
    }

    /// The row and the tag of the position whose bytes (from it on, little-endian) are `v8`,
    /// hashing the first `len` of them.
    #[inline(always)]
    fn slot(&self, v8: u64, len: usize) -> (usize, u8) {
        let h = hash_prefix(v8, len);
        let row = (h >> (64 - self.row_log)) as usize;
        let tag = (h >> (56 - self.row_log)) as u8;
        (row, tag)
    }

    /// Enters position `i` into `row` with `tag`, as its newest; the oldest of the row drops out.
    #[inline(always)]
    fn push(&mut self, row: usize, tag: u8, i: usize) {
        let head = (usize::from(self.heads[row]) + ROW - 1) % ROW;
        self.heads[row] = head as u8;
        self.slots[row].0[head] = i as u32;
        self.tags[row].0[head] = tag;
    }

    /// The slots of `row` whose tag is `tag`, as bit `j` for the `j`th newest, and the slot of
    /// the newest.
    #[inline(always)]
    fn matching(&self, row: usize, tag: u8) -> (u32, usize) {
        let head = usize::from(self.heads[row]);
        let found = equal_bytes(&self.tags[row].0, tag);
        (u32::from(found.rotate_right(head as u32)), head)
    }
}

/// Bit `k` set where byte `k` of `row` is `b`. Written as a loop over the bytes, which the
/// compiler turns into one vector compare and a mask move.
#[inline(always)]
fn equal_bytes(row: &[u8; ROW], b: u8) -> u16 {
    row.iter()
        .enumerate()
        .fold(0, |m, (k, &r)| m | u16::from(r == b) << k)
}

impl Finder for Rows {
    #[inline(always)]
    fn link(input: &[u8], i: usize, mf: &mut MatchFinder) {
        let (row, tag) = mf.rows.slot(read_u64(input, i), mf.params.hash_len);
        mf.rows.push(row, tag, i);
    }

    #[inline(always)]
    fn walk(
        input: &[u8],
        i: usize,
        n: usize,
        mf: &mut MatchFinder,
        mut depth: u32,
        mut floor: usize,
        mut visit: impl FnMut(usize, usize) -> Option<usize>,
    ) {
        let v8 = read_u64(input, i);
        let cur = v8 as u32;
        let (row, tag) = mf.rows.slot(v8, mf.params.hash_len);
        let (mut found, head) = mf.rows.matching(row, tag);
        while found != 0 && depth > 0 {
            let k = (found.trailing_zeros() as usize + head) % ROW;
            found &= found - 1;
            let c = mf.rows.slots[row].0[k] as usize;
            // Empty slots, and `i` itself when a lazy step looked here before.
            if c >= i {
                continue;
            }
            depth -= 1;
            match offer(input, i, n, c, cur, floor, &mut visit) {
                Some(f) => floor = f,
                None => break,
            }
        }
        if i >= mf.next {
            mf.rows.push(row, tag, i);
            mf.next = i + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row's slots with `tag`, as slot indices, newest first.
    fn matching_slots(rows: &Rows, row: usize, tag: u8) -> Vec<usize> {
        let (mut found, head) = rows.matching(row, tag);
        let mut v = Vec::new();
        while found != 0 {
            v.push((found.trailing_zeros() as usize + head) % ROW);
            found &= found - 1;
        }
        v
    }

    #[test]
    fn a_row_finds_its_positions_with_a_tag_newest_first_and_keeps_the_newest_16() {
        let mut rows = Rows::new(8);
        assert_eq!(rows.slots.len(), 16);
        // Tags that differ from 7 in one bit each, in every bit, beside the 7s: a byte compare
        // that borrowed or carried between bytes would count them.
        let tags = [
            7u8, 6, 7, 0x87, 5, 7, 3, 0x47, 7, 0x17, 7, 0x27, 7, 0x0f, 7, 7, 7, 0xff,
        ];
        for (i, &t) in tags.iter().enumerate() {
            rows.push(1, t, 100 + i);
        }
        // Positions 100 and 101 (tags 7 and 6) have dropped out; the row holds 102..=117.
        let found: Vec<u32> = matching_slots(&rows, 1, 7)
            .iter()
            .map(|&k| rows.slots[1].0[k])
            .collect();
        assert_eq!(found, [116, 115, 114, 112, 110, 108, 105, 102]);
        assert_eq!(
            matching_slots(&rows, 1, 0x87)
                .iter()
                .map(|&k| rows.slots[1].0[k])
                .collect::<Vec<_>>(),
            [103]
        );
        assert!(matching_slots(&rows, 1, 6).is_empty());
        // Other rows are untouched: every slot empty, every tag 0.
        assert_eq!(matching_slots(&rows, 0, 0).len(), 16);
        assert!(rows.slots[0].0.iter().all(|&p| p == u32::MAX));
    }
}
