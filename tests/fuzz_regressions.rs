//! Replays every saved fuzz input under `fuzz/regressions/<target>/` through the same check its
//! fuzz target runs (`fuzz/src/lib.rs`, included here as a module), so a crash found once stays
//! fixed. Passes with no saved inputs; see `fuzz/README.md` for how inputs get there.

#[path = "../fuzz/src/lib.rs"]
mod fuzz;

use std::fs;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 6] = [
    ("container", fuzz::check_container),
    ("fse", fuzz::check_fse),
    ("glyph", fuzz::check_glyph),
    ("sequences", fuzz::sequences::check_sequences),
    ("split", fuzz::check_split),
    ("trailer", fuzz::check_trailer),
];

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Not inputs: dot files (`.gitkeep`) and notes.
fn is_input(name: &str) -> bool {
    !name.starts_with('.') && !name.ends_with(".md")
}

#[test]
fn replay_saved_fuzz_inputs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut failures = Vec::new();
    let mut replayed = 0;
    if let Ok(dirs) = fs::read_dir(&root) {
        for d in dirs {
            let d = d.unwrap();
            let name = d.file_name().to_string_lossy().into_owned();
            if !is_input(&name) {
                continue;
            }
            assert!(
                TARGETS.iter().any(|(t, _)| *t == name),
                "fuzz/regressions/{name}: not a fuzz target ({:?})",
                TARGETS.map(|t| t.0)
            );
        }
    }
    for (target, check) in TARGETS {
        let Ok(entries) = fs::read_dir(root.join(target)) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for path in files {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !path.is_file() || !is_input(&name) {
                continue;
            }
            let data = fs::read(&path).unwrap();
            replayed += 1;
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{target}/{name}: {msg}\n  input: {}", hex(&data)));
            }
        }
    }
    eprintln!("replayed {replayed} saved fuzz inputs");
    assert!(
        failures.is_empty(),
        "{} saved fuzz inputs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The targets' seed inputs pass their checks, and the streams the `container` target splices
/// decode exactly when left whole: the checks themselves have no false alarms on valid data.
#[test]
fn seeds_pass_their_checks() {
    for (target, check) in TARGETS {
        let seeds = fuzz::seeds(target);
        assert!(!seeds.is_empty(), "{target}: no seeds");
        for s in seeds {
            check(&s);
        }
    }
    for s in fuzz::container_streams() {
        let mut out = Vec::new();
        sigmalang::Decoder::new(&s.encoded[..])
            .read_to_end(&mut out)
            .unwrap();
        assert!(out == s.data);
    }
    // The streams the `container` target splices are this build's: format version 4, with
    // segments in the sequences layout among them.
    let sequences = fuzz::container_streams()
        .iter()
        .filter(|s| s.encoded[4] == sigmalang::format::VERSION)
        .flat_map(|s| segment_flags(&s.encoded))
        .filter(|&f| f == sigmalang::format::FLAG_SEQUENCES)
        .count();
    assert!(sequences >= 2, "{sequences} sequences-layout segments");
}

/// The `container` oracle's second answer: a stream is taken to decode to something other than
/// its original only when its footers declare exactly that content (the fuzzer forged the empty
/// stream of docs/FORMAT.md, "Footer"); any other output, a byte changed, cut or added, is not.
#[test]
fn only_the_declared_content_passes_for_other_content() {
    let empty = fuzz::encode(b"", 3);
    assert_eq!(empty.len(), 72);
    assert!(fuzz::is_declared_content(&empty, b""));
    assert!(!fuzz::is_declared_content(&empty, b"x"));
    let s = &fuzz::container_streams()[0];
    assert!(fuzz::is_declared_content(&s.encoded, &s.data));
    let mut changed = s.data.clone();
    changed[5000] ^= 1;
    assert!(!fuzz::is_declared_content(&s.encoded, &changed));
    assert!(!fuzz::is_declared_content(
        &s.encoded,
        &s.data[..s.data.len() - 1]
    ));
    assert!(!fuzz::is_declared_content(
        &s.encoded,
        &[&s.data[..], b"x"].concat()
    ));
    assert!(!fuzz::is_declared_content(&s.encoded, b""));
    // Concatenated streams declare their contents in order; bytes after a footer declare nothing.
    let small = &fuzz::container_streams()[2];
    let both = [&s.encoded[..], &small.encoded[..]].concat();
    assert!(fuzz::is_declared_content(
        &both,
        &[&s.data[..], &small.data[..]].concat()
    ));
    assert!(!fuzz::is_declared_content(
        &both,
        &[&small.data[..], &s.data[..]].concat()
    ));
    assert!(!fuzz::is_declared_content(
        &[&s.encoded[..], b"x"].concat(),
        &s.data
    ));
    // A stream cut before its footer declares nothing.
    assert!(!fuzz::is_declared_content(
        &s.encoded[..s.encoded.len() - 1],
        &s.data
    ));
}

/// The layout flags of each segment of a one-stream file.
fn segment_flags(stream: &[u8]) -> Vec<u8> {
    let mut flags = Vec::new();
    let mut at = sigmalang::format::FILE_HEADER_LEN;
    while stream[at..at + 4] == sigmalang::format::SEGMENT_MAGIC {
        flags.push(stream[at + 8]);
        let enc_len = u32::from_le_bytes(stream[at + 16..at + 20].try_into().unwrap());
        at += sigmalang::format::SEGMENT_HEADER_LEN + enc_len as usize;
    }
    flags
}

/// The reference glyph decoder agrees with the specification's test vector (docs/FORMAT.md).
#[test]
fn reference_decoder_reads_the_format_test_vector() {
    let payload = [
        &[0x17][..],
        "ΣLANG test vector: abc".as_bytes(),
        &[0xe8, b'a', b'b', b'c', 0x03, b',', b' ', b'z', 0x8c, 0x07],
        b", glyph",
        &[0x4e, 0x05, 0x00, 0x03, b's', b'!', b'\n'],
    ]
    .concat();
    let want = "ΣLANG test vector: abcabcabcabcabc, zzzzzzzzzzzzzzzz, glyph glyph glyph glyphs!\n";
    assert_eq!(payload.len(), 48);
    let got = fuzz::reference_decompress(&payload, want.len()).expect("valid");
    assert_eq!(got, want.as_bytes());
    let mut out = Vec::new();
    sigmalang::codec::decompress(&payload, &mut out, want.len()).unwrap();
    assert_eq!(out, want.as_bytes());
}

/// The fix-up of the `container` target's checksum-keeping mode reaches every stream of a
/// concatenation: with every check value of the second stream zeroed, fixing restores a stream
/// that decodes to both inputs.
#[test]
fn stream_check_fixup_reaches_concatenated_streams() {
    let streams = fuzz::container_streams();
    let (a, b) = (&streams[0], &streams[1]);
    let mut both = [a.encoded.clone(), b.encoded.clone()].concat();
    let want = [a.data.clone(), b.data.clone()].concat();
    let base = a.encoded.len();
    let layout = {
        let second = &both[base..];
        let mut at = sigmalang::format::FILE_HEADER_LEN;
        let mut segments = Vec::new();
        while second[at..at + 4] == sigmalang::format::SEGMENT_MAGIC {
            segments.push(base + at);
            let enc_len = u32::from_le_bytes(second[at + 16..at + 20].try_into().unwrap());
            at += sigmalang::format::SEGMENT_HEADER_LEN + enc_len as usize;
        }
        segments
    };
    assert!(!layout.is_empty());
    // The header check, every segment's payload hash and header check, the index check and the
    // footer check of the second stream.
    both[base + 12..base + 16].fill(0);
    for &s in &layout {
        both[s + 28..s + 36].fill(0);
    }
    let footer = both.len() - sigmalang::format::FOOTER_LEN;
    both[footer - 4..footer].fill(0);
    both[footer + 36..].fill(0);
    let mut out = Vec::new();
    assert!(sigmalang::Decoder::new(&both[..])
        .read_to_end(&mut out)
        .is_err());
    fuzz::fix_stream_checks(&mut both);
    let mut out = Vec::new();
    sigmalang::Decoder::new(&both[..])
        .read_to_end(&mut out)
        .unwrap();
    assert!(out == want);
}
