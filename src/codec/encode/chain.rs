//! Levels 5–9: the lazy parse, over the rows of [`super::row`] (levels 5–7) or hash chains
//! (levels 8–9, which use this parse for their first pass, [`super::optimal`] for the second).

use super::{classify, common, hash, read_u32, Emit, Kind, Match, MatchFinder, EMPTY};
use crate::codec::INITIAL_OFFSETS;

/// Where the lazy parse finds earlier positions with the same first bytes.
pub(super) trait Finder {
    /// Remembers position `i`, which is not remembered yet.
    fn link(input: &[u8], i: usize, mf: &mut MatchFinder);
    /// Remembers position `i`, once (positions must arrive in increasing order).
    #[inline(always)]
    fn insert(input: &[u8], i: usize, mf: &mut MatchFinder) {
        if i >= mf.next {
            Self::link(input, i, mf);
            mf.next = i + 1;
        }
    }
    /// Remembers `i` and visits the remembered positions before it that may start a copy,
    /// newest first, up to `depth` of them. `visit(c, len)` sees each candidate position `c`
    /// whose copy is longer than `floor` bytes (at least 4) and returns the new floor, or `None`
    /// to stop.
    fn walk(
        input: &[u8],
        i: usize,
        n: usize,
        mf: &mut MatchFinder,
        depth: u32,
        floor: usize,
        visit: impl FnMut(usize, usize) -> Option<usize>,
    );
}

/// Hands `visit` the candidate `c` for position `i` (whose first four bytes are `cur`) if its
/// copy is longer than `floor` bytes: the floor `visit` returns, or `None` to stop; `floor` itself
/// for a shorter copy.
#[inline(always)]
pub(super) fn offer(
    input: &[u8],
    i: usize,
    n: usize,
    c: usize,
    cur: u32,
    floor: usize,
    visit: &mut impl FnMut(usize, usize) -> Option<usize>,
) -> Option<usize> {
    // Only a candidate that matches at the current floor's last byte can be longer.
    if floor < n - i && input[c + floor] == input[i + floor] && read_u32(input, c) == cur {
        let len = 4 + common(input, c + 4, i + 4, n);
        if len > floor {
            return visit(c, len);
        }
    }
    Some(floor)
}

/// Hash chains: each position links to the previous one with the same hash, inside a window of
/// `1 << chain_log` positions.
pub(super) struct Chains;

/// Parses `input` (at least 16 bytes; the finder reset) with the level's finder `F` and lazy
/// matching into `e`; `false` as soon as the output would not be smaller than `input`.
#[inline]
#[multiversion::multiversion(targets("x86_64+avx2+bmi1+bmi2+lzcnt+popcnt"))]
pub(super) fn parse<E: Emit, F: Finder>(
    input: &[u8],
    mf: &mut MatchFinder,
    e: E,
    base: usize,
) -> bool {
    let n = input.len();
    let p = mf.params;
    let mut e = e;
    let mut reps = INITIAL_OFFSETS;
    // Matches may start up to `n - 8` so every probe can read 8 bytes; the tail goes out as literals.
    let limit = n - 8;
    let mut anchor = 0usize;
    let mut i = 1usize;
    while i < limit {
        let mut m = find::<F>(input, i, n, &reps, mf);
        // The repeat offset one byte on: where a copy from it stopped at a changed byte, it
        // usually goes on after that byte, and beats a copy from elsewhere that starts at it.
        if p.lazy == 0 && i + 1 < limit {
            let r = rep_match(input, i + 1, n, &reps, 0);
            if r.len > 0 && (m.gain() <= 0 || r.score() > m.score() + 4) {
                i += 1;
                F::insert(input, i, mf);
                m = r;
            }
        }
        if m.gain() <= 0 {
            let step = 1 + ((i - anchor) >> p.accel);
            insert_skipped::<F>(input, i, step, limit, mf);
            i += step;
            continue;
        }
        // Lazy matching: a match up to `lazy` bytes later wins when it scores better by a margin
        // that grows with the literals it leaves behind; after a switch the look-ahead starts again.
        let mut ahead = 1;
        while ahead <= p.lazy as usize && i + ahead < limit {
            let m1 = find::<F>(input, i + ahead, n, &reps, mf);
            if m1.gain() > 0 && m1.score() > m.score() + 3 * ahead as isize + 1 {
                m = m1;
                i += ahead;
                ahead = 1;
            } else {
                ahead += 1;
            }
        }
        e.literals(input, anchor, i);
        e.copy(m, input, i, &mut reps);
        if e.hopeless(base, n) {
            return false;
        }
        insert_match::<F>(input, i, m.len, limit, mf);
        i += m.len;
        anchor = i;
    }
    e.literals(input, anchor, n);
    !e.hopeless(base, n)
}

#[inline(always)]
fn insert_skipped<F: Finder>(
    input: &[u8],
    i: usize,
    step: usize,
    limit: usize,
    mf: &mut MatchFinder,
) {
    // `find` already inserted `i`; also remember the skipped positions.
    for j in i + 1..(i + step).min(limit) {
        F::insert(input, j, mf);
    }
}

#[inline(always)]
fn insert_match<F: Finder>(input: &[u8], i: usize, len: usize, limit: usize, mf: &mut MatchFinder) {
    for j in inside_match(i, len, limit) {
        F::insert(input, j, mf);
    }
}

/// The positions inside a copy of `len` bytes at `i` (below `limit`) that the match finders
/// remember: all of them, or only the last 16 of a long copy, which would otherwise fill the
/// tables with one hash.
#[inline(always)]
pub(super) fn inside_match(i: usize, len: usize, limit: usize) -> std::ops::Range<usize> {
    let end = (i + len).min(limit);
    let start = if len > 64 {
        end.saturating_sub(16).max(i + 1)
    } else {
        i + 1
    };
    start..end
}

/// The best copy starting at `i`, offset-stack candidates first, then the finder's. Remembers `i`.
#[inline(always)]
fn find<F: Finder>(
    input: &[u8],
    i: usize,
    n: usize,
    reps: &[usize; 4],
    mf: &mut MatchFinder,
) -> Match {
    let mut best = Match::NONE;
    for s in 0..mf.params.rep_probes {
        let m = rep_match(input, i, n, reps, s);
        if m.len > 0 && (best.len == 0 || m.score() > best.score()) {
            best = m;
        }
    }
    F::walk(input, i, n, mf, mf.params.depth, best.len, |c, len| {
        let m = classify(len, i - c, reps);
        if best.len == 0 || m.score() > best.score() {
            best = m;
            if i + len >= n {
                return None;
            }
        }
        Some(best.len)
    });
    best
}

/// The copy at `i` from offset-stack slot `s` (DELTA), of length 0 if there is none.
#[inline(always)]
fn rep_match(input: &[u8], i: usize, n: usize, reps: &[usize; 4], s: usize) -> Match {
    Match {
        len: rep_len(input, i, n, reps[s]),
        dist: reps[s],
        kind: Kind::Delta(s),
    }
}

/// Length of the copy at `i` from distance `d` if it is at least
/// [`MIN_DELTA`](crate::codec::MIN_DELTA) bytes, else 0.
#[inline(always)]
pub(super) fn rep_len(input: &[u8], i: usize, n: usize, d: usize) -> usize {
    if d <= i && (read_u32(input, i - d) ^ read_u32(input, i)) & 0x00ff_ffff == 0 {
        3 + common(input, i - d + 3, i + 3, n)
    } else {
        0
    }
}

impl Finder for Chains {
    #[inline(always)]
    fn link(input: &[u8], i: usize, mf: &mut MatchFinder) {
        let h = hash(read_u32(input, i), mf.params.hash_log);
        let mask = (1usize << mf.params.chain_log) - 1;
        mf.chain[i & mask] = mf.head[h];
        mf.head[h] = i as u32;
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
        let cur = read_u32(input, i);
        let mask = (1usize << mf.params.chain_log) - 1;
        // Linked now, or when a lazy step looked here before: its predecessors are in the chain.
        Self::insert(input, i, mf);
        let mut cand = mf.chain[i & mask];
        while cand != EMPTY && depth > 0 {
            let c = cand as usize;
            if c >= i {
                break;
            }
            match offer(input, i, n, c, cur, floor, &mut visit) {
                Some(f) => floor = f,
                None => break,
            }
            // The chain slot of a position older than the window may have been reused: the head
            // candidate is checked at any distance, but the chain is followed only inside the window.
            if i - c > mask {
                break;
            }
            let next = mf.chain[c & mask];
            if next >= cand {
                break;
            }
            cand = next;
            depth -= 1;
        }
    }
}
