//! The test vectors printed in docs/FORMAT.md decode to the documented texts, and this build
//! encodes those texts to exactly those bytes (so the spec and the code cannot drift apart). The
//! committed vectors in tests/vectors keep decoding forever, whatever version wrote them; those of
//! the current version (4) are also reproduced byte for byte by this build. After an intended
//! change of the encoder's output, `SIGMA_WRITE_VECTORS=1 cargo test --test format_vector`
//! rewrites the version-4 vector files (the two streams printed in docs/FORMAT.md, level 3, are
//! then updated by hand, explanation included).

#[path = "util/walk.rs"]
mod walk;

use sigmalang::{Decoder, Encoder, Options};
use std::io::{Read, Write};

const TEXT: &str =
    "ΣLANG test vector: abcabcabcabcabc, zzzzzzzzzzzzzzzz, glyph glyph glyph glyphs!\n";

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");

/// The hex between `<!-- NAME-begin -->` and `<!-- NAME-end -->` in docs/FORMAT.md.
fn vector_from_spec(name: &str) -> Vec<u8> {
    let spec =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FORMAT.md")).unwrap();
    let start = spec
        .find(&format!("<!-- {name}-begin -->"))
        .expect("begin marker");
    let end = spec
        .find(&format!("<!-- {name}-end -->"))
        .expect("end marker");
    let hex: String = spec[start..end]
        .lines()
        .filter(|l| !l.starts_with("<!--") && !l.starts_with("```"))
        .collect::<Vec<_>>()
        .join("");
    let hex: String = hex.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn encode(input: &[u8], level: u8, segment_size: u32) -> Vec<u8> {
    let o = Options::new().level(level).segment_size(segment_size);
    let mut enc = Encoder::new(Vec::new(), &o).unwrap();
    enc.write_all(input).unwrap();
    enc.finish().unwrap()
}

/// Reads the committed version-4 vector `name` after checking that this build writes exactly
/// `fresh` for it. With `SIGMA_WRITE_VECTORS=1` in the environment it writes `fresh` there first:
/// the way to renew the version-4 vectors after an intended change of the encoder's output
/// (which then also needs the spec's test vectors checked by hand).
fn reproduced(name: &str, fresh: Vec<u8>) -> Vec<u8> {
    let path = format!("{DIR}/{name}");
    if std::env::var_os("SIGMA_WRITE_VECTORS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let vector = std::fs::read(&path).unwrap();
    assert!(
        fresh == vector,
        "{name}: encoder output changed (SIGMA_WRITE_VECTORS=1 rewrites the version-4 vectors)"
    );
    vector
}

fn decode(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Decoder::new(v).read_to_end(&mut out).unwrap();
    out
}

#[test]
fn spec_vector_decodes_to_the_documented_text() {
    let v = vector_from_spec("test-vector");
    assert_eq!(v.len(), 188);
    assert_eq!(v[4], 4, "format version");
    // 81 bytes: the plain glyph stream is smaller than the sequences layout.
    assert_eq!(v[16 + 8], 0, "layout flags");
    assert_eq!(String::from_utf8(decode(&v)).unwrap(), TEXT);
}

#[test]
fn encoder_reproduces_the_spec_vector() {
    assert_eq!(
        encode(TEXT.as_bytes(), 3, 4096),
        vector_from_spec("test-vector")
    );
}

/// The second vector of docs/FORMAT.md: 24 lines `row NN: sigma glyph delta segment index
/// footer`, NN from 00 to 23, at level 3 with 4096-byte segments.
fn rows_text() -> Vec<u8> {
    (0..24)
        .flat_map(|i| format!("row {i:02}: sigma glyph delta segment index footer\n").into_bytes())
        .collect()
}

/// The sequences-layout vector of docs/FORMAT.md decodes to its text and is the layout and the
/// fields the specification explains. An earlier format-4 build wrote it; this build's level-3
/// parser finds another parse of the text (tests/vectors/v4-level3.sigma pins what it writes).
#[test]
fn spec_sequences_vector_decodes_and_reproduces() {
    let v = vector_from_spec("test-vector-2");
    let text = rows_text();
    assert_eq!(text.len(), 1128);
    assert_eq!(v.len(), 257);
    assert_eq!(v[4], 4, "format version");
    assert_eq!(decode(&v), text);
    let p = walk::payloads(&v);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].0, 8, "SEQUENCES layout");
    let w = walk::walk(p[0].1);
    assert_eq!((w.lit_count, w.literal_mode, w.seq_count), (70, 0, 24));
    assert_eq!(w.groups.len(), 1);
    assert_eq!(w.groups[0].modes, 0x2a, "three described tables");
    assert_eq!(w.groups[0].stream_len, 19);
}

/// tests/vectors/levelN.sigma: tests/vectors/input.txt encoded at each level with 4 KiB segments
/// by a version-3 build (level 1 in the plain layout, levels ≥ 2 in the streams layout). Each
/// must still decode to the input.
#[test]
fn version_3_per_level_vectors_still_decode() {
    let input = std::fs::read(format!("{DIR}/input.txt")).unwrap();
    for level in 1..=9u8 {
        let vector = std::fs::read(format!("{DIR}/level{level}.sigma")).unwrap();
        assert_eq!(vector[4], 3, "level {level}: format version");
        let flags = vector[16 + 8];
        assert_eq!(
            flags,
            if level >= 2 { 4 } else { 0 },
            "level {level}: layout flags"
        );
        assert!(
            decode(&vector) == input,
            "level {level} vector decodes wrong"
        );
    }
}

/// tests/vectors/v4-levelN.sigma: the same input at each level as this build (format version 4)
/// writes it: level 1 in the plain layout, levels ≥ 2 in the sequences layout. Each decodes to
/// the input, and this build still produces exactly those bytes.
#[test]
fn version_4_per_level_vectors_decode_and_reproduce() {
    let input = std::fs::read(format!("{DIR}/input.txt")).unwrap();
    for level in 1..=9u8 {
        let name = format!("v4-level{level}.sigma");
        let vector = reproduced(&name, encode(&input, level, 4096));
        assert_eq!(vector[4], 4, "level {level}: format version");
        let flags = vector[16 + 8];
        assert_eq!(
            flags,
            if level >= 2 { 8 } else { 0 },
            "level {level}: layout flags"
        );
        assert!(
            decode(&vector) == input,
            "level {level} vector decodes wrong"
        );
    }
}

/// Decodes tests/vectors/`name` (input.txt at level 3, written by an older build with format
/// `version` and segment layout `flags`) through the streaming decoder and through the file
/// (indexed) path: archives written then must keep decoding.
fn old_vector_still_decodes(name: &str, version: u8, flags: u8) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");
    let input = std::fs::read(format!("{dir}/input.txt")).unwrap();
    let path = format!("{dir}/{name}");
    let vector = std::fs::read(&path).unwrap();
    assert_eq!(vector[4], version, "format version");
    assert_eq!(vector[16 + 8], flags, "layout flags");
    let mut out = Vec::new();
    Decoder::new(&vector[..]).read_to_end(&mut out).unwrap();
    assert!(out == input);
    let mut out = Vec::new();
    let f = std::fs::File::open(&path).unwrap();
    sigmalang::decode(sigmalang::Source::File(&f), &mut out, &Options::new(), None).unwrap();
    assert!(out == input);
}

/// tests/vectors/v1-split-level3.sigma: version 1, split layout (glyphs with the literals in one
/// Huffman section).
#[test]
fn version_1_split_vector_still_decodes() {
    old_vector_still_decodes("v1-split-level3.sigma", 1, 2);
}

/// tests/vectors/v2-level3.sigma: version 2, streams layout without blocked sections.
#[test]
fn version_2_vector_still_decodes() {
    old_vector_still_decodes("v2-level3.sigma", 2, 4);
}

/// 140 000 bytes: 70 000 drawn from 16 letters, then 70 000 from 16 high byte values. One code
/// for all needs 5 bits a byte, a code per block 4 bits in most blocks.
fn two_alphabets() -> Vec<u8> {
    let mut x = 0x9e37_79b9u32;
    (0..140_000u32)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let base = if i < 70_000 { b'a' } else { 0xc0 };
            base + (x >> 28) as u8
        })
        .collect()
}

/// tests/vectors/blocks-level3.sigma: [`two_alphabets`] at level 3 with 256 KiB segments, as a
/// version-3 build wrote it. Its literal section (138 810 bytes, the last of the five) is in mode
/// 3: three blocks of mode 2. Still decodes to the input.
#[test]
fn version_3_blocked_section_vector_still_decodes() {
    let vector = std::fs::read(format!("{DIR}/blocks-level3.sigma")).unwrap();
    assert_eq!(vector[4], 3, "format version");
    assert_eq!(vector[16 + 8], 4, "streams layout flag");
    assert!(decode(&vector) == two_alphabets(), "vector decodes wrong");
}

/// 48 000 bytes of pseudo-random words (a fixed generator, so the vector below never changes).
fn words() -> Vec<u8> {
    let list = [
        "segment ",
        "glyph ",
        "index ",
        "Σ-bank ",
        "delta ",
        "footer ",
        "stream ",
        "header ",
        "offset ",
        "varint ",
        "reference ",
        "composite ",
        "primitive ",
        "the ",
        "of ",
        "and ",
    ];
    let mut x = 0x2545_f491u32;
    let mut out = Vec::new();
    while out.len() < 48_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.extend_from_slice(list[(x & 15) as usize].as_bytes());
        if x >> 28 == 0 {
            out.extend_from_slice(format!("{}\n", x % 1000).as_bytes());
        }
    }
    out.truncate(48_000);
    out
}

/// tests/vectors/words-level3.sigma: [`words`] at level 3 with 64 KiB segments, as a version-3
/// build wrote it — long enough for byte sections in mode 2 (four bitstreams). Still decodes to
/// the words.
#[test]
fn version_3_four_bitstream_vector_still_decodes() {
    let vector = std::fs::read(format!("{DIR}/words-level3.sigma")).unwrap();
    assert!(decode(&vector) == words(), "vector decodes wrong");
    // One segment, streams layout; the first section (tags) uses mode 2.
    assert_eq!(vector[4], 3, "format version");
    assert_eq!(vector[16 + 8], 4, "streams layout flag");
    let tags = u32::from_le_bytes(vector[16 + 36..16 + 40].try_into().unwrap());
    assert!(tags >= 4096, "{tags} tags");
    assert_eq!(vector[16 + 40], 2, "tags section mode");
}

/// 200 000 bytes of log lines (a fixed generator, so the vector below never changes): dates,
/// node numbers, words and numbers, many short copies.
fn log_lines() -> Vec<u8> {
    let verbs = [
        "wrote", "read", "verified", "skipped", "joined", "salvaged", "scanned", "indexed",
    ];
    let levels = ["INFO", "WARN", "DEBUG", "ERROR"];
    let mut x = 0x1234_5678u32;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    let mut out = Vec::new();
    while out.len() < 200_000 {
        let r = next();
        let line = format!(
            "2024-05-{:02} {:02}:{:02}:{:02} node{} {} {} segment {} of {} in {} ms\n",
            1 + r % 28,
            (r >> 5) % 24,
            (r >> 10) % 60,
            (r >> 16) % 60,
            (r >> 22) % 16,
            levels[(r >> 26) as usize % 4],
            verbs[(r >> 28) as usize % 8],
            next() % 5000,
            5000,
            next() % 900 + 10,
        );
        out.extend_from_slice(line.as_bytes());
    }
    out.truncate(200_000);
    out
}

/// tests/vectors/v4-groups-level3.sigma: [`log_lines`] at level 3 with 1 MiB segments, as this
/// build (format version 4) writes it: one segment in the sequences layout whose 15 760
/// sequences fill four groups, with described tables, tables repeated from the previous group,
/// and a literal section in mode 2. Decodes to the input, and this build reproduces it.
#[test]
fn version_4_multi_group_vector_decodes_and_reproduces() {
    let input = log_lines();
    let vector = reproduced("v4-groups-level3.sigma", encode(&input, 3, 1 << 20));
    assert_eq!(vector[4], 4, "format version");
    assert!(decode(&vector) == input, "vector decodes wrong");
    let p = walk::payloads(&vector);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].0, 8, "SEQUENCES layout");
    let w = walk::walk(p[0].1);
    assert_eq!(w.literal_mode, 2, "literal section mode");
    // Four groups: three full ones and the rest.
    assert!(
        (3 * 4096 + 1..=4 * 4096).contains(&w.seq_count),
        "{}",
        w.seq_count
    );
    assert_eq!(w.groups.len(), 4);
    assert_eq!(w.groups[3].sequences, w.seq_count - 3 * 4096);
    let modes: Vec<u8> = (0..3)
        .flat_map(|f| w.groups.iter().map(move |g| g.mode(f)))
        .collect();
    assert!(modes.contains(&2), "a described table: {modes:?}");
    assert!(modes.contains(&3), "a repeated table: {modes:?}");
}

/// A xorshift generator started at `seed`.
fn xorshift(seed: u32) -> impl FnMut() -> u32 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    }
}

/// 4096 bytes over 32 letters in which no 3 bytes occur twice: nothing to copy.
fn no_repeats(seed: u32) -> Vec<u8> {
    let mut r = xorshift(seed);
    let mut seen = std::collections::HashSet::new();
    let mut v: Vec<u8> = vec![b'A', b'B'];
    while v.len() < 4096 {
        let n = v.len();
        loop {
            let c = b'A' + (r() % 32) as u8;
            if seen.insert([v[n - 2], v[n - 1], c]) {
                v.push(c);
                break;
            }
        }
    }
    v
}

/// Five segments of 4096 bytes (the last 1000) that the encoder codes each its own way: a
/// repeated sentence (two sequences), `ab` repeated (one sequence), [`no_repeats`] (no sequence),
/// random words (hundreds of sequences) and random bytes (stored).
fn modes_input() -> Vec<u8> {
    let fox = "the quick brown fox jumps over the lazy dog. ".repeat(92);
    let mut input = fox.as_bytes()[..4096].to_vec();
    input.extend(b"ab".repeat(2048));
    input.extend(no_repeats(3));
    let mut r = xorshift(11);
    let words = [
        "alpha ", "beta ", "gamma ", "delta ", "epsilon ", "zeta ", "eta ", "theta ",
    ];
    let mut u = Vec::new();
    while u.len() < 4096 {
        u.extend_from_slice(words[(r() % 8) as usize].as_bytes());
    }
    u.truncate(4096);
    input.extend(u);
    input.extend((0..1000).map(|_| r() as u8));
    input
}

/// tests/vectors/v4-modes-level3.sigma: [`modes_input`] at level 3 with 4096-byte segments, as
/// this build writes it: predefined tables (segment 0), single-symbol tables (segment 1), a
/// segment of literals alone (`seq_count` 0, literal section in mode 2), described tables
/// (segment 3) and a stored segment. Decodes to the input, and this build reproduces it.
#[test]
fn version_4_table_modes_vector_decodes_and_reproduces() {
    let input = modes_input();
    let vector = reproduced("v4-modes-level3.sigma", encode(&input, 3, 4096));
    assert_eq!(vector[4], 4, "format version");
    assert!(decode(&vector) == input, "vector decodes wrong");
    let p = walk::payloads(&vector);
    let flags: Vec<u8> = p.iter().map(|s| s.0).collect();
    assert_eq!(flags, [8, 8, 8, 8, 1]);
    let w: Vec<walk::Walk> = p[..4].iter().map(|s| walk::walk(s.1)).collect();
    let modes = |k: usize| w[k].groups.iter().map(|g| g.modes).collect::<Vec<u8>>();
    assert_eq!(modes(0), [0x00], "predefined tables");
    assert_eq!(modes(1), [0x15], "single-symbol tables");
    assert_eq!(
        (w[2].seq_count, w[2].lit_count),
        (0, 4096),
        "literals alone"
    );
    assert_eq!(w[2].literal_mode, 2);
    assert_eq!(modes(3), [0x2a], "described tables");
}
