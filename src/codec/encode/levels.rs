//! The levels: which match finder and parse each level uses, and with which tables.

/// A level's settings.
#[derive(Clone, Copy, Debug)]
pub(super) struct Params {
    /// log2 of the entries of the first table: the fast parsers' 4-byte table, the rows' slots
    /// in all, the chains' heads.
    pub(super) hash_log: u32,
    /// Levels 4–9: how many earlier positions a search looks at (in a row or down a chain);
    /// 0 = the single-probe fast parsers.
    pub(super) depth: u32,
    /// log2 of the chain window (positions remembered by the chain).
    pub(super) chain_log: u32,
    /// Lazy matching: how many bytes past a copy a better one is looked for (0 = greedy).
    pub(super) lazy: u32,
    /// Skip acceleration: step grows by one every `1 << accel` literals without a match.
    pub(super) accel: u32,
    /// Entropy-code the glyph fields (streams layout) when that is smaller.
    pub(super) entropy: bool,
    /// Fast levels: log2 of a second table of 8-byte hashes, probed first for long matches
    /// (0 = none).
    pub(super) long_log: u32,
    /// Tree depth of a second, optimal parse under the prices of the first ([`super::optimal`]);
    /// 0 = none.
    pub(super) optimal: u32,
    /// Optimal levels: log2 of the binary trees' window (positions remembered by the trees).
    pub(super) tree_log: u32,
    /// Optimal levels: log2 of the table of 3-byte hashes ([`super::short`]); 0 = none.
    pub(super) short_log: u32,
    /// Optimal levels: how far back a 3-byte copy of a new distance is looked for.
    pub(super) short_dist: usize,
    /// Fast levels: the shortest copy of a new distance (a table match) that is taken, 5 or 6
    /// bytes. Shorter ones cost nearly what they save, split the literal runs around them and
    /// make decoding slower: every glyph costs the decoder about as much as a dozen bytes of copy.
    pub(super) min_new: usize,
    /// Fast levels: how far the search steps past a table match that makes a copy shorter than
    /// `min_new` bytes.
    pub(super) short_step: usize,
    /// Fast levels: how many bytes the hash of the 4-byte table covers (5 or 6). Positions that
    /// share only four bytes then rarely meet in the table, so fewer of its matches are too short
    /// to take: fewer mispredicted branches, and at level 1 a higher ratio as well
    /// (docs/perf-log.md, fifteenth session). Levels 5–7: how many bytes the rows' hash covers.
    pub(super) hash_len: usize,
    /// Levels 5–7: the lazy parse finds its candidates in rows ([`super::row`]) of `1 << hash_log`
    /// slots in all, hashing `hash_len` bytes, rather than in hash chains.
    pub(super) rows: bool,
    /// Lazy parse: how many slots of the offset stack are tried at each position.
    pub(super) rep_probes: usize,
}

/// The settings every level starts from: a single-probe fast parser with a table of `2^hash_log`
/// entries, skip acceleration `accel`, and the entropy stage from level 2 on.
const fn base(
    level: u8,
    hash_log: u32,
    depth: u32,
    chain_log: u32,
    lazy: u32,
    accel: u32,
) -> Params {
    Params {
        hash_log,
        depth,
        chain_log,
        lazy,
        accel,
        entropy: level >= 2,
        long_log: 0,
        optimal: 0,
        tree_log: 0,
        short_log: 0,
        short_dist: 0,
        min_new: 5,
        short_step: 3,
        hash_len: 5,
        rows: false,
        rep_probes: 4,
    }
}

/// Level 1 (a constant: its parse is built with these settings fixed, [`super::fast::parse`]).
/// Copies of a new distance from 6 bytes: 17–19% fewer glyphs, decoding 12–19% faster, for
/// 1.1–1.6% of ratio on binaries and mixed data (docs/perf-log.md, optimizations log). Skipping
/// speeds up every 16 misses (`accel` 4): mixed.tar encodes 3–4% faster (level with `lz4 -1`),
/// bin.tar 6%, for 0.6% and 1.0% of ratio, still above `lz4 -1`'s on every corpus file
/// (docs/perf-log.md, eighteenth session).
pub(super) const LEVEL_1: Params = Params {
    min_new: 6,
    hash_len: 6,
    ..base(1, 14, 0, 0, 0, 4)
};

/// Level 3, the default (a constant like [`LEVEL_1`]). A 4-byte table of 2^13 entries (64 KiB)
/// beside the long table: against 2^12, 0.5% smaller output of the whole Linux tarball for under
/// 1% more time; 2^14 gains 0.9% for 4% (docs/perf-log.md, fifteenth session).
pub(super) const LEVEL_3: Params = Params {
    long_log: 17,
    short_step: 1,
    ..base(3, 13, 0, 0, 0, 6)
};

pub(super) fn params(level: u8) -> Params {
    let p = |hash_log, depth, chain_log, lazy, accel| {
        base(level, hash_log, depth, chain_log, lazy, accel)
    };
    let rows = |hash_log, depth, lazy, accel| Params {
        rows: true,
        rep_probes: 1,
        ..p(hash_log, depth, 0, lazy, accel)
    };
    match level {
        0..=1 => LEVEL_1,
        // Level 2 is level 3's parser with a long table half the size (in the L2 cache with the
        // first), faster skipping and a 3-byte step past short table matches: 5–10% faster than
        // level 3, 2–3.5% larger (docs/perf-log.md, optimizations log).
        2 => Params {
            long_log: 16,
            ..p(12, 0, 0, 0, 5)
        },
        3 => LEVEL_3,
        // Level 3's parse with tables 8 and 2 times larger (zstd's `dfast` class, where `zstd
        // -3` and `-4` are): on the whole Linux tarball at `pzstd -4`'s ratio and speed, where
        // the rows' greedy parse 4 deep cost more than `pzstd -5` for less (docs/perf-log.md,
        // sixteenth session).
        4 => Params {
            long_log: 18,
            short_step: 1,
            ..p(16, 0, 0, 0, 6)
        },
        // Levels 5–7: the lazy parse over rows of 16 positions (zstd's greedy and lazy class),
        // hashing 5 bytes, with the repeat offset as the only slot of the offset stack tried at
        // each position (docs/perf-log.md, sixteenth session).
        5 => rows(19, 8, 0, 9),
        6 => rows(19, 16, 1, 10),
        7 => rows(19, 16, 2, 12),
        // Levels 8–9: a light lazy parse of the segment's first MiB for the first prices (its
        // chain window is small: it only has to get the statistics right), then the optimal
        // parse, whose binary trees reach 2 and 8 MiB back, with 3-byte copies up to 64 KiB back
        // (PERFORMANCE.md, "Optimal parsing").
        8 => Params {
            optimal: 16,
            tree_log: 21,
            short_log: 15,
            short_dist: 1 << 16,
            ..p(18, 8, 19, 1, 16)
        },
        _ => Params {
            optimal: 64,
            tree_log: 23,
            short_log: 15,
            short_dist: 1 << 16,
            ..p(18, 16, 20, 1, 20)
        },
    }
}
