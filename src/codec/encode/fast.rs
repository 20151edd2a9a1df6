//! Levels 1–4: the fast parsers (lz4, zstd-fast and zstd-dfast class).

use super::levels::{LEVEL_1, LEVEL_3};
use super::{
    classify, common, common_back, hash8, hash_prefix, read_u16, read_u32, read_u64, tagged, Emit,
    MatchFinder, Tagging,
};
use crate::codec::INITIAL_OFFSETS;

/// Levels 1–4: one probe of the repeat offset (one byte on) and one of the hash table per
/// position (levels 2–4: and one of the 8-byte table before it), with skip acceleration over
/// incompressible stretches and backward extension of every match found. A table match must make
/// a copy of `min_new` bytes (5 or 6, counting the bytes before it that backward extension
/// takes); past a shorter one the search steps `short_step` bytes. The table's index hashes the
/// first `hash_len` bytes, its entry keeps the first four. `LONG`: whether the level has
/// the table of 8-byte hashes (`long_log > 0`), a constant so that level 1's loop carries none of
/// its code; those levels also try the second repeat offset right after each copy. `LEVEL`: 1 or
/// 3 for those levels' settings as constants, 0 for the finder's.
#[inline]
#[multiversion::multiversion(targets("x86_64+avx2+bmi1+bmi2+lzcnt+popcnt"))]
pub(super) fn parse<E: Emit, const LONG: bool, const LEVEL: u8>(
    input: &[u8],
    mf: &mut MatchFinder,
    mut e: E,
    base: usize,
) -> bool {
    // Levels 1 and 3 are built with their settings as constants (shifts and masks by immediates,
    // fewer registers: 3% fewer instructions at level 1, 2% at level 3); levels 2 and 4 read them.
    let p = match LEVEL {
        1 => LEVEL_1,
        3 => LEVEL_3,
        _ => mf.params,
    };
    debug_assert_eq!(
        (p.hash_log, p.long_log),
        (mf.params.hash_log, mf.params.long_log)
    );
    debug_assert_eq!(LONG, p.long_log > 0);
    let n = input.len();
    let limit = n - 8;
    let log = p.hash_log;
    let accel = p.accel;
    let table = &mut mf.tagged[..];
    let long = &mut mf.long[..];
    let long_log = p.long_log;
    let short_step = p.short_step;
    let min_new = p.min_new;
    let hash_len = p.hash_len;
    let tg = Tagging::new(n);
    let mut reps = INITIAL_OFFSETS;
    let mut anchor = 0usize;
    let mut i = 1usize;
    'outer: while i < limit {
        // Search: advance until a 4-byte match is found at the repeat offset or in the table.
        let mut misses = 0usize;
        let (mut start, mut src) = loop {
            let cur8 = read_u64(input, i);
            let cur = cur8 as u32;
            // The repeat offset one byte on: after a copy ends at a changed byte, the same
            // distance often goes on after it.
            let r = reps[0];
            if r <= i && read_u32(input, i + 1 - r) == (cur8 >> 8) as u32 {
                i += 1;
                break (i, i - r);
            }
            let h = key(cur8, log, hash_len);
            let entry = table[h];
            table[h] = tagged(cur, i);
            if LONG {
                let (hl, tag8) = tg.slot(hash8(cur8), long_log);
                let le = long[hl];
                long[hl] = tag8 | i as u32;
                if let Some(c) = tg.candidate(le, tag8, i) {
                    if read_u64(input, c) == cur8 {
                        break (i, c);
                    }
                }
            }
            // Equal tags are equal bytes: the table holds the bytes at the position it names.
            let c = (entry & 0xffff_ffff) as usize;
            if c < i && (entry >> 32) as u32 == cur {
                // A copy of at least `min_new` bytes: the four plus up to two more forwards, and
                // what backward extension adds over the pending literals (up to two bytes).
                let x = read_u16(input, c + 4) ^ read_u16(input, i + 4);
                let fwd = 4 + usize::from(x & 0xff == 0) + usize::from(x == 0);
                let back = common_back(input, c, i, (i - anchor).min(c).min(2));
                if fwd + back >= min_new {
                    // A longer copy one byte on, from the 8-byte table, wins over this one.
                    if LONG && i + 1 < limit {
                        let j = i + 1;
                        let cur8 = read_u64(input, j);
                        let (hl, tag8) = tg.slot(hash8(cur8), long_log);
                        let le = long[hl];
                        long[hl] = tag8 | j as u32;
                        if let Some(c1) = tg.candidate(le, tag8, j) {
                            if read_u64(input, c1) == cur8
                                && 8 + common(input, c1 + 8, j + 8, n)
                                    > 4 + common(input, c + 4, i + 4, n)
                            {
                                i = j;
                                break (j, c1);
                            }
                        }
                    }
                    break (i, c);
                }
                i += short_step;
            } else {
                i += 1 + (misses >> accel);
                misses += 1;
            }
            if i >= limit {
                break 'outer;
            }
        };
        // Extend backwards over the pending literals, then forwards.
        let back = common_back(input, src, start, (start - anchor).min(src));
        start -= back;
        src -= back;
        let len = (i - start) + 4 + common(input, i - (start - src) + 4, i + 4, n);
        let m = classify(len, start - src, &reps);
        if !e.pays(&m) {
            i += 1;
            continue;
        }
        e.literals(input, anchor, start);
        e.copy(m, input, start, &mut reps);
        if e.hopeless(base, n) {
            return false;
        }
        i = start + len;
        anchor = i;
        if i < limit {
            // Remember positions inside the match for the data that follows: the last two, and
            // at levels 2–4 also the one two bytes after its start.
            // A function, not a closure: a closure is not inlined into the AVX2/BMI2 build of
            // this parse, and its calls cost 12% of level 3's instructions.
            let keys = (log, hash_len, long_log, tg);
            if LONG && start + 2 < i - 2 {
                remember::<LONG>(input, start + 2, table, long, keys);
            }
            remember::<LONG>(input, i - 2, table, long, keys);
            remember::<LONG>(input, i - 1, table, long, keys);
            // Levels 2–4: the second repeat offset right after the copy, with no literals
            // between (data that alternates between two sources). Level 1 leaves it out: 7% more
            // instructions for 0.5% of size on most data.
            while LONG && i < limit {
                let r = reps[1];
                if r > i || read_u32(input, i - r) != read_u32(input, i) {
                    break;
                }
                let len = 4 + common(input, i - r + 4, i + 4, n);
                let m = classify(len, r, &reps);
                if !e.pays(&m) {
                    break;
                }
                e.copy(m, input, i, &mut reps);
                if e.hopeless(base, n) {
                    return false;
                }
                remember::<LONG>(input, i, table, long, keys);
                i += len;
                anchor = i;
            }
        }
    }
    e.literals(input, anchor, n);
    !e.hopeless(base, n)
}

/// Enters position `j` of `input` in the 4-byte table (and with `LONG` in the 8-byte table).
#[inline(always)]
fn remember<const LONG: bool>(
    input: &[u8],
    j: usize,
    table: &mut [u64],
    long: &mut [u32],
    (log, hash_len, long_log, tg): (u32, usize, u32, Tagging),
) {
    let v8 = read_u64(input, j);
    table[key(v8, log, hash_len)] = tagged(v8 as u32, j);
    if LONG {
        let (hl, tag8) = tg.slot(hash8(v8), long_log);
        long[hl] = tag8 | j as u32;
    }
}

/// The 4-byte table's index of the bytes `v8` (little-endian): a hash of the first `hash_len` of
/// them, so that a table match nearly always makes a copy long enough to take.
#[inline(always)]
fn key(v8: u64, log: u32, hash_len: usize) -> usize {
    (hash_prefix(v8, hash_len) >> (64 - log)) as usize
}
