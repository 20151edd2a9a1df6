//! The sequences layout of format version 4 end to end: what the encoder writes at every level
//! decodes back, every table mode is used where the data calls for it, and damaged payloads are
//! errors, never panics. Hand-made hostile payloads with their exact errors are in
//! [`hostile`], hand-made payloads of several groups with chosen tables in [`groups`].

mod groups;
mod hostile;

use super::{Field, GROUP};
use crate::codec::fse::Distribution;
use crate::codec::{decode_payload, encode_payload, huffman, lcg_bytes, Layout, MatchFinder};

// --- data ---------------------------------------------------------------------------------------

/// A xorshift generator started at `seed` (nonzero).
fn xorshift(seed: u32) -> impl FnMut() -> u32 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    }
}

/// `n` bytes of words.
fn text(n: usize, seed: u32) -> Vec<u8> {
    let words = [
        "sigma ",
        "glyph ",
        "segment ",
        "index ",
        "footer ",
        "delta ",
        "the ",
        "of ",
        "and ",
        "sequence ",
        "literal ",
        "offset ",
    ];
    let mut r = xorshift(seed);
    let mut out = Vec::with_capacity(n + 16);
    while out.len() < n {
        let x = r();
        out.extend_from_slice(words[x as usize % words.len()].as_bytes());
        if x >> 27 == 0 {
            out.extend_from_slice(format!("{}.\n", x % 997).as_bytes());
        }
    }
    out.truncate(n);
    out
}

/// `n` bytes of log lines: numbers and words, many short copies (about one sequence per 13
/// bytes, so 60 000 bytes make more than one group).
fn log_lines(n: usize, seed: u32) -> Vec<u8> {
    let verbs = ["wrote", "read", "verified", "skipped", "joined", "salvaged"];
    let mut r = xorshift(seed);
    let mut out = Vec::with_capacity(n + 100);
    while out.len() < n {
        let x = r();
        let line = format!(
            "2024-05-{:02} {:02}:{:02} node{} {} segment {} in {} ms\n",
            1 + x % 28,
            (x >> 5) % 24,
            (x >> 10) % 60,
            (x >> 16) % 16,
            verbs[(x >> 20) as usize % verbs.len()],
            r() % 5000,
            r() % 900 + 10,
        );
        out.extend_from_slice(line.as_bytes());
    }
    out.truncate(n);
    out
}

/// Binary-like records: a little-endian counter, a type byte from a few and a fixed-point value
/// that changes slowly.
fn records(n: usize) -> Vec<u8> {
    let mut r = xorshift(17);
    let mut out = Vec::with_capacity(n + 16);
    let mut value = 1_000_000u32;
    let mut i = 0u32;
    while out.len() < n {
        out.extend_from_slice(&i.to_le_bytes());
        out.push([0x01, 0x02, 0x10, 0x80][(r() % 4) as usize]);
        value = value.wrapping_add(r() % 64);
        out.extend_from_slice(&value.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0xff]);
        i += 1;
    }
    out.truncate(n);
    out
}

/// Runs of single bytes and of short patterns.
fn runs(n: usize) -> Vec<u8> {
    let mut r = xorshift(23);
    let mut out = Vec::with_capacity(n + 300);
    while out.len() < n {
        let x = r();
        let period = 1 + (x % 4) as usize;
        let pattern: Vec<u8> = (0..period)
            .map(|k| b'a' + ((x >> (8 + 3 * k)) % 8) as u8)
            .collect();
        let len = 5 + (x >> 24) as usize % 200;
        out.extend(pattern.iter().cycle().take(len));
    }
    out.truncate(n);
    out
}

/// `n` bytes over 32 letters in which no 3 bytes occur twice: nothing to copy, but 5 bits a
/// byte for a Huffman code.
fn no_repeats(n: usize, seed: u32) -> Vec<u8> {
    let mut r = xorshift(seed);
    let mut seen = std::collections::HashSet::new();
    let mut v: Vec<u8> = vec![b'A', b'B'];
    while v.len() < n {
        let k = v.len();
        loop {
            let c = b'A' + (r() % 32) as u8;
            if seen.insert([v[k - 2], v[k - 1], c]) {
                v.push(c);
                break;
            }
        }
    }
    v.truncate(n);
    v
}

// --- a walker over the layout -------------------------------------------------------------------

/// Where the fields of a sequences payload are.
#[derive(Debug)]
struct Walk {
    lit_count: usize,
    /// Payload offset of `seq_count`.
    seq_count_at: usize,
    seq_count: usize,
    groups: Vec<GroupAt>,
}

#[derive(Debug)]
struct GroupAt {
    /// Payload offset of the modes byte.
    at: usize,
    modes: u8,
    /// Payload offset of `stream_len`.
    len_at: usize,
    stream: std::ops::Range<usize>,
}

impl GroupAt {
    fn mode(&self, f: Field) -> u8 {
        (self.modes >> (2 * f as u8)) & 3
    }
}

/// Walks a valid sequences payload (panics on anything else).
fn walk(p: &[u8]) -> Walk {
    let u32_at = |at: usize| u32::from_le_bytes(p[at..at + 4].try_into().unwrap()) as usize;
    let lit_count = u32_at(0);
    let mut lits = Vec::new();
    let used = huffman::decode(&p[4..], lit_count, &mut lits, 4, 3).unwrap();
    let seq_count_at = 4 + used;
    let seq_count = u32_at(seq_count_at);
    let mut at = seq_count_at + 4;
    let mut groups = Vec::new();
    for _ in 0..seq_count.div_ceil(GROUP) {
        let start = at;
        let modes = p[at];
        at += 1;
        for f in Field::ALL {
            match (modes >> (2 * f as u8)) & 3 {
                1 => at += 1,
                2 => {
                    at += Distribution::read(&p[at..], f.max_log(), f.symbols())
                        .unwrap()
                        .1
                }
                _ => {}
            }
        }
        let len = u32_at(at);
        groups.push(GroupAt {
            at: start,
            modes,
            len_at: at,
            stream: at + 4..at + 4 + len,
        });
        at += 4 + len;
    }
    assert_eq!(at, p.len(), "the last group ends the payload");
    Walk {
        lit_count,
        seq_count_at,
        seq_count,
        groups,
    }
}

// --- round trips --------------------------------------------------------------------------------

/// Encodes `data` at `level` as this build writes a segment, checks that the payload decodes back
/// exactly, and returns its layout and bytes.
fn roundtrip(data: &[u8], level: u8) -> (Option<Layout>, Vec<u8>) {
    let mut enc = Vec::new();
    let layout = encode_payload(data, &mut MatchFinder::new(level), &mut enc);
    if let Some(layout) = layout {
        assert!(
            enc.len() < data.len(),
            "level {level}: {layout:?} not smaller"
        );
        let mut dec = Vec::new();
        decode_payload(&enc, layout, &mut dec, data.len())
            .unwrap_or_else(|e| panic!("level {level}, {layout:?}: {e}"));
        assert!(dec == data, "level {level}, {layout:?}: decodes wrong");
        if layout == Layout::Sequences {
            walk(&enc);
        }
    }
    (layout, enc)
}

#[test]
fn every_kind_of_data_round_trips_at_every_entropy_level() {
    let random = lcg_bytes(5, 20_000, &(0..=255).collect::<Vec<u8>>());
    let sets: [(&str, Vec<u8>); 5] = [
        ("text", text(30_000, 1)),
        ("records", records(30_000)),
        ("runs", runs(30_000)),
        ("log lines", log_lines(30_000, 2)),
        ("random", random),
    ];
    for level in 2..=9 {
        for (name, data) in &sets {
            let (layout, _) = roundtrip(data, level);
            let want = if *name == "random" {
                None
            } else {
                Some(Layout::Sequences)
            };
            assert_eq!(layout, want, "{name} at level {level}");
        }
    }
}

/// Segments of 1 to 100 bytes: stored or plain (the sequences layout's counts and lengths cost
/// more than a tiny segment saves), always decoding back; and the same bytes as literals alone
/// in a hand-made sequences payload decode too.
#[test]
fn tiny_inputs_round_trip() {
    let mut layouts = std::collections::BTreeSet::new();
    for level in 2..=9 {
        for n in 1..=100 {
            for data in [text(n, n as u32), b"ab".repeat(n)[..n].to_vec(), vec![0; n]] {
                layouts.insert(format!("{:?}", roundtrip(&data, level).0));
            }
        }
    }
    assert!(
        layouts.contains("None") && layouts.contains("Some(Plain)"),
        "{layouts:?}"
    );
    for n in 1..=100u32 {
        let data = text(n as usize, n);
        let p = [&n.to_le_bytes()[..], &[0], &data, &0u32.to_le_bytes()].concat();
        let mut dec = Vec::new();
        decode_payload(&p, Layout::Sequences, &mut dec, n as usize).unwrap();
        assert_eq!(dec, data);
    }
}

/// Segments of up to 1024 bytes are tried in both layouts: each is used where it is smaller.
#[test]
fn small_segments_take_the_smaller_layout() {
    let mut layouts = std::collections::BTreeSet::new();
    for n in [300, 600, 1000, 1024] {
        for data in [log_lines(n, 1), text(n, 2), runs(n)] {
            for level in 2..=9 {
                let (layout, _) = roundtrip(&data, level);
                layouts.insert(format!("{layout:?}"));
            }
        }
    }
    assert!(
        layouts.contains("Some(Plain)") && layouts.contains("Some(Sequences)"),
        "{layouts:?}"
    );
}

/// A sequence with more extra bits than fit beside its state updates in one write: a literal run
/// of 200 000 bytes (17 extra bits), then a copy of 60 000 bytes (15) from 200 000 bytes back
/// (17). The writer puts such fields in parts, in the same order.
#[test]
fn sequences_with_long_fields_round_trip() {
    let block = lcg_bytes(9, 200_000, &(0..=255).collect::<Vec<u8>>());
    let data = [
        &text(5_000, 4)[..],
        &block,
        &block[..60_000],
        &text(5_000, 5),
    ]
    .concat();
    for level in 2..=9 {
        assert_eq!(
            roundtrip(&data, level).0,
            Some(Layout::Sequences),
            "level {level}"
        );
    }
}

/// More than 4096 sequences: several groups, every one decoded.
#[test]
fn segments_of_several_groups_round_trip() {
    let data = log_lines(120_000, 3);
    for level in 2..=9 {
        let (layout, enc) = roundtrip(&data, level);
        assert_eq!(layout, Some(Layout::Sequences), "level {level}");
        let w = walk(&enc);
        assert!(
            w.seq_count > GROUP,
            "level {level}: {} sequences",
            w.seq_count
        );
        assert_eq!(w.groups.len(), w.seq_count.div_ceil(GROUP));
    }
}

/// Data with nothing to copy but a skewed alphabet: literals alone (`seq_count` 0, no group),
/// Huffman-coded.
#[test]
fn literals_alone_round_trip() {
    let data = no_repeats(6000, 3);
    for level in 2..=9 {
        let (layout, enc) = roundtrip(&data, level);
        assert_eq!(layout, Some(Layout::Sequences), "level {level}");
        let w = walk(&enc);
        assert_eq!((w.seq_count, w.lit_count), (0, data.len()), "level {level}");
        assert!(w.groups.is_empty());
        assert_eq!(w.seq_count_at + 4, enc.len(), "nothing after seq_count");
        assert_ne!(enc[4], 0, "the literal section is Huffman-coded");
    }
}

// --- table modes --------------------------------------------------------------------------------

/// The encoder picks each table mode where it pays: predefined for a couple of sequences, single
/// when a field has one code, described for hundreds of varied ones, repeat when a group's
/// statistics are the previous group's.
#[test]
fn the_encoder_uses_every_table_mode() {
    let fox = b"the quick brown fox jumps over the lazy dog. ".repeat(92)[..4096].to_vec();
    let cases: [(&str, Vec<u8>, u8); 4] = [
        ("predefined", fox, 0),
        ("single", b"ab".repeat(2048), 1),
        ("described", text(4096, 11), 2),
        ("repeat", log_lines(200_000, 4), 3),
    ];
    for (name, data, mode) in cases {
        let mut seen = [[false; 4]; 3];
        for level in 2..=9 {
            let (layout, enc) = roundtrip(&data, level);
            assert_eq!(layout, Some(Layout::Sequences), "{name}, level {level}");
            for g in walk(&enc).groups {
                for f in Field::ALL {
                    seen[f as usize][usize::from(g.mode(f))] = true;
                }
            }
        }
        assert!(
            seen.iter().any(|s| s[usize::from(mode)]),
            "{name}: mode {mode} never used: {seen:?}"
        );
        // Repeat is never used in the first group, and single only with one code.
        if mode == 1 {
            let (_, enc) = roundtrip(&data, 3);
            assert_eq!(walk(&enc).groups[0].modes, 0x15);
        }
    }
}

#[test]
fn the_first_group_never_repeats() {
    for data in [log_lines(100_000, 5), text(50_000, 6), records(50_000)] {
        for level in 2..=9 {
            let (_, enc) = roundtrip(&data, level);
            let g = &walk(&enc).groups[0];
            for f in Field::ALL {
                assert_ne!(g.mode(f), 3, "level {level}: {}", f.name());
            }
        }
    }
}

// --- damage -------------------------------------------------------------------------------------

/// Every single-byte change (three masks) of `enc` decodes to an error or to exactly `raw_len`
/// bytes, never a panic; every cut and one byte appended are errors.
fn flips_and_cuts_are_handled(enc: &[u8], raw_len: usize) {
    let mut dec = Vec::new();
    let mut bad = enc.to_vec();
    for at in 0..enc.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            bad[at] ^= mask;
            if decode_payload(&bad, Layout::Sequences, &mut dec, raw_len).is_ok() {
                assert_eq!(dec.len(), raw_len, "flip {mask:#04x} at {at}");
            }
            bad[at] ^= mask;
        }
    }
    for cut in 0..enc.len() {
        assert!(
            decode_payload(&enc[..cut], Layout::Sequences, &mut dec, raw_len).is_err(),
            "cut at {cut}"
        );
    }
    let mut long = enc.to_vec();
    long.push(0);
    assert!(decode_payload(&long, Layout::Sequences, &mut dec, raw_len).is_err());
}

#[test]
fn every_flip_and_cut_of_a_sequences_payload_is_handled() {
    for (data, level) in [(text(3000, 8), 3), (records(3000), 9), (runs(3000), 5)] {
        let (layout, enc) = roundtrip(&data, level);
        assert_eq!(layout, Some(Layout::Sequences));
        flips_and_cuts_are_handled(&enc, data.len());
    }
}

/// The same over a payload of two groups, the second repeating tables of the first.
#[test]
fn every_flip_and_cut_of_a_two_group_payload_is_handled() {
    let data = log_lines(70_000, 9);
    let (layout, enc) = roundtrip(&data, 3);
    assert_eq!(layout, Some(Layout::Sequences));
    let w = walk(&enc);
    assert_eq!(w.groups.len(), 2);
    flips_and_cuts_are_handled(&enc, data.len());
    // Errors in the second group name it, at its fields' payload offsets.
    let g = &w.groups[1];
    let mut dec = Vec::new();
    let mut bad = enc.clone();
    bad[g.at] |= 0x80;
    let e = decode_payload(&bad, Layout::Sequences, &mut dec, data.len()).unwrap_err();
    let want = format!("group 1 modes at payload offset {}: reserved bits", g.at);
    assert!(e.to_string().contains(&want), "{e}");
    let mut bad = enc.clone();
    let len = (g.stream.len() as u32 + 1).to_le_bytes();
    bad[g.len_at..g.len_at + 4].copy_from_slice(&len);
    let e = decode_payload(&bad, Layout::Sequences, &mut dec, data.len()).unwrap_err();
    let want = format!("group 1 bitstream length at payload offset {}", g.len_at);
    assert!(e.to_string().contains(&want), "{e}");
    let mut bad = enc.clone();
    bad[g.stream.end - 1] = 0;
    let e = decode_payload(&bad, Layout::Sequences, &mut dec, data.len()).unwrap_err();
    let want = format!(
        "group 1 bitstream at payload offset {}: FSE bitstream ends in a zero byte",
        g.stream.start
    );
    assert!(e.to_string().contains(&want), "{e}");
}

/// A valid payload decoded with a `raw_len` other than its own is an error, whatever it is.
#[test]
fn a_wrong_raw_len_is_an_error() {
    let data = text(5000, 12);
    let (_, enc) = roundtrip(&data, 3);
    let mut dec = Vec::new();
    for raw_len in [
        0,
        1,
        data.len() / 2,
        data.len() - 1,
        data.len() + 1,
        2 * data.len(),
    ] {
        assert!(
            decode_payload(&enc, Layout::Sequences, &mut dec, raw_len).is_err(),
            "raw_len {raw_len}"
        );
    }
}
