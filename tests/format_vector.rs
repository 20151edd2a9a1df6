//! The test vector printed in docs/FORMAT.md decodes to the documented text, and this build
//! encodes that text to exactly those bytes (so the spec and the code cannot drift apart).

use sigmalang::{Decoder, Encoder, Options};
use std::io::{Read, Write};

const TEXT: &str =
    "ΣLANG test vector: abcabcabcabcabc, zzzzzzzzzzzzzzzz, glyph glyph glyph glyphs!\n";

fn vector_from_spec() -> Vec<u8> {
    let spec =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FORMAT.md")).unwrap();
    let start = spec
        .find("<!-- test-vector-begin -->")
        .expect("begin marker");
    let end = spec.find("<!-- test-vector-end -->").expect("end marker");
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

#[test]
fn spec_vector_decodes_to_the_documented_text() {
    let v = vector_from_spec();
    assert_eq!(v.len(), 188);
    let mut out = String::new();
    Decoder::new(&v[..]).read_to_string(&mut out).unwrap();
    assert_eq!(out, TEXT);
}

#[test]
fn encoder_reproduces_the_spec_vector() {
    let mut enc = Encoder::new(Vec::new(), &Options::new().level(3).segment_size(4096)).unwrap();
    enc.write_all(TEXT.as_bytes()).unwrap();
    assert_eq!(enc.finish().unwrap(), vector_from_spec());
}

/// tests/vectors/levelN.sigma: tests/vectors/input.txt encoded at each level with 4 KiB segments
/// (level 1 uses the plain layout, levels ≥ 2 the streams layout; see docs/FORMAT.md). Each must
/// decode to the input, and this build must still produce exactly those bytes.
#[test]
fn per_level_vectors_decode_and_reproduce() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");
    let input = std::fs::read(format!("{dir}/input.txt")).unwrap();
    for level in 1..=9u8 {
        let vector = std::fs::read(format!("{dir}/level{level}.sigma")).unwrap();
        let mut out = Vec::new();
        Decoder::new(&vector[..]).read_to_end(&mut out).unwrap();
        assert!(out == input, "level {level} vector decodes wrong");
        assert_eq!(vector[4], 3, "level {level}: format version");
        let flags = vector[16 + 8];
        assert_eq!(
            flags,
            if level >= 2 { 4 } else { 0 },
            "level {level}: layout flags"
        );
        let mut enc =
            Encoder::new(Vec::new(), &Options::new().level(level).segment_size(4096)).unwrap();
        enc.write_all(&input).unwrap();
        assert!(
            enc.finish().unwrap() == vector,
            "level {level}: encoder output changed"
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

/// tests/vectors/blocks-level3.sigma: [`two_alphabets`] at level 3 with 256 KiB segments. Its
/// literal section (138 810 bytes, the last of the five) is in mode 3: three blocks of mode 2.
/// Decodes to the input, and this build reproduces it.
#[test]
fn blocked_section_vector_decodes_and_reproduces() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/blocks-level3.sigma"
    );
    let input = two_alphabets();
    let vector = std::fs::read(path).unwrap();
    assert_eq!(vector[4], 3, "format version");
    let mut out = Vec::new();
    Decoder::new(&vector[..]).read_to_end(&mut out).unwrap();
    assert!(out == input, "vector decodes wrong");
    let mut enc =
        Encoder::new(Vec::new(), &Options::new().level(3).segment_size(256 << 10)).unwrap();
    enc.write_all(&input).unwrap();
    assert!(enc.finish().unwrap() == vector, "encoder output changed");
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

/// tests/vectors/words-level3.sigma: [`words`] at level 3 with 64 KiB segments — long enough for
/// byte sections in mode 2 (four bitstreams). Decodes to the words, and this build reproduces it.
#[test]
fn four_bitstream_vector_decodes_and_reproduces() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/words-level3.sigma"
    );
    let input = words();
    let mut enc = Encoder::new(Vec::new(), &Options::new().level(3).segment_size(65536)).unwrap();
    enc.write_all(&input).unwrap();
    let fresh = enc.finish().unwrap();
    let vector = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    Decoder::new(&vector[..]).read_to_end(&mut out).unwrap();
    assert!(out == input, "vector decodes wrong");
    // One segment, streams layout; the first section (tags) uses mode 2.
    assert_eq!(vector[16 + 8], 4, "streams layout flag");
    let tags = u32::from_le_bytes(vector[16 + 36..16 + 40].try_into().unwrap());
    assert!(tags >= 4096, "{tags} tags");
    assert_eq!(vector[16 + 40], 2, "tags section mode");
    assert!(fresh == vector, "encoder output changed");
}
