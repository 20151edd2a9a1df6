//! `scripts/reference_decoder.py`, the Python decoder written from docs/FORMAT.md alone, decodes
//! every committed vector (all format versions), the specification's own test vector and fresh
//! files of this build at every level byte for byte, and rejects corrupt input with exit status 1
//! and one message line. Each run of it checks every checksum the format defines, so this test is
//! also the proof that the specification is enough to read what this build writes.
//!
//! Needs `python3` (3.9 or later) on the PATH; the test fails with a message saying so without it.

use sigmalang::{Decoder, Encoder, Options};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn script() -> PathBuf {
    Path::new(ROOT).join("scripts/reference_decoder.py")
}

/// Fails the test with a clear message when python3 is missing or older than 3.9.
fn require_python() {
    let status = Command::new("python3")
        .args(["-c", "import sys; sys.exit(sys.version_info < (3, 9))"])
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(_) => {
            panic!("python3 is older than 3.9; scripts/reference_decoder.py needs 3.9 or later")
        }
        Err(e) => panic!(
            "cannot run python3 ({e}): this test runs scripts/reference_decoder.py and needs \
             Python 3.9 or later on the PATH"
        ),
    }
}

/// What one run of the reference decoder gave.
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

/// Runs the reference decoder on the file at `path`.
fn reference_decode(path: &Path) -> Run {
    let out = Command::new("python3")
        .arg(script())
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 {}: {e}", script().display()));
    Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What a case must give: these bytes, or a rejection.
enum Want {
    Decodes(Vec<u8>),
    Rejected,
}

struct Case {
    name: String,
    path: PathBuf,
    want: Want,
}

/// Runs every case (two at a time) and fails with the list of those that went wrong.
fn check(cases: Vec<Case>) {
    require_python();
    let problems: Vec<String> = std::thread::scope(|s| {
        let (a, b): (Vec<_>, Vec<_>) = cases.iter().enumerate().partition(|(i, _)| i % 2 == 0);
        let run = |half: Vec<(usize, &Case)>| {
            half.into_iter()
                .filter_map(|(_, c)| problem(c, &reference_decode(&c.path)))
                .collect::<Vec<_>>()
        };
        let other = s.spawn(move || run(b));
        let mut problems = run(a);
        problems.extend(other.join().unwrap());
        problems
    });
    assert!(
        problems.is_empty(),
        "{} of {} cases went wrong:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
}

fn problem(c: &Case, r: &Run) -> Option<String> {
    match &c.want {
        Want::Decodes(data) => {
            if r.code != Some(0) {
                Some(format!(
                    "{}: exit {:?}: {}",
                    c.name,
                    r.code,
                    r.stderr.trim_end()
                ))
            } else if r.stdout != *data {
                Some(format!(
                    "{}: decoded {} bytes that differ from the original's {}",
                    c.name,
                    r.stdout.len(),
                    data.len()
                ))
            } else {
                None
            }
        }
        Want::Rejected => {
            let line = r.stderr.trim_end();
            let one_message = line.lines().count() == 1
                && line.starts_with("reference_decoder: ")
                && line.contains(" at byte ");
            if r.code != Some(1) || !r.stdout.is_empty() || !one_message {
                Some(format!(
                    "{}: want exit 1, no output and one message line; got exit {:?}, {} bytes \
                     out, stderr {line:?}",
                    c.name,
                    r.code,
                    r.stdout.len()
                ))
            } else {
                None
            }
        }
    }
}

fn library_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Decoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

fn encode(data: &[u8], level: u8, segment_size: u32) -> Vec<u8> {
    let mut enc = Encoder::new(
        Vec::new(),
        &Options::new().level(level).segment_size(segment_size),
    )
    .unwrap();
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// Pseudo-random bytes (xorshift), the same for a given seed.
fn random(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// Text-like bytes that every glyph kind finds something in: words, runs, repeats at many
/// distances and a few stray bytes.
fn words(n: usize, seed: u32) -> Vec<u8> {
    const WORDS: [&str; 10] = [
        "segment ",
        "glyph ",
        "index ",
        "Σ-bank ",
        "delta ",
        "footer ",
        "zzzzzzzzzzzzzz",
        "abcabcabcabc",
        "\n",
        "0123456789",
    ];
    let r = random(n, seed);
    let mut out = Vec::with_capacity(n + 16);
    let mut i = 0;
    while out.len() < n {
        let pick = r[i % r.len()] as usize;
        if pick < 240 {
            out.extend_from_slice(WORDS[pick % WORDS.len()].as_bytes());
        } else {
            out.push(r[(i + 1) % r.len()]);
        }
        i += 1;
    }
    out.truncate(n);
    out
}

/// The hex between the markers `<!-- NAME-begin -->` and `<!-- NAME-end -->` of
/// docs/FORMAT.md.
fn spec_vector(name: &str) -> Vec<u8> {
    let spec = std::fs::read_to_string(Path::new(ROOT).join("docs/FORMAT.md")).unwrap();
    let start = spec
        .find(&format!("<!-- {name}-begin -->"))
        .expect("begin marker");
    let end = spec
        .find(&format!("<!-- {name}-end -->"))
        .expect("end marker");
    let hex: Vec<u8> = spec[start..end]
        .lines()
        .filter(|l| !l.starts_with("<!--") && !l.starts_with("```"))
        .flat_map(|l| l.bytes().filter(u8::is_ascii_hexdigit))
        .collect();
    hex.chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

/// The layout flags of each segment of a one-stream file (docs/FORMAT.md, "Segment header").
fn segment_flags(stream: &[u8]) -> Vec<u8> {
    let mut flags = Vec::new();
    let mut at = 16;
    while stream[at..at + 4] == [0xce, 0xa3, 0x53, 0x47] {
        flags.push(stream[at + 8]);
        at += 36 + u32::from_le_bytes(stream[at + 16..at + 20].try_into().unwrap()) as usize;
    }
    flags
}

/// Writes `bytes` to `dir/name` and returns the case.
fn file_case(dir: &Path, name: &str, bytes: &[u8], want: Want) -> Case {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    Case {
        name: name.to_string(),
        path,
        want,
    }
}

/// Every `.sigma` file in tests/vectors: versions 1 to 4, the plain, split, streams and sequences
/// layouts, byte-section modes 0 to 3, the four FSE table modes. levelN.sigma and v4-levelN.sigma are tests/vectors/input.txt; the others are compared
/// with what the library decodes them to.
#[test]
fn decodes_every_committed_vector() {
    let dir = Path::new(ROOT).join("tests/vectors");
    let input = std::fs::read(dir.join("input.txt")).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".sigma"))
        .collect();
    names.sort();
    // At least these, one per version, layout and section mode; new vectors are picked up too.
    let known = [
        "level1",
        "level3",
        "level9",
        "v1-split-level3",
        "v2-level3",
        "words-level3",
        "blocks-level3",
        "v4-level1",
        "v4-level2",
        "v4-level3",
        "v4-level9",
        "v4-groups-level3",
        "v4-modes-level3",
    ];
    for k in known {
        assert!(
            names.contains(&format!("{k}.sigma")),
            "{k}.sigma missing: {names:?}"
        );
    }
    let cases = names
        .into_iter()
        .map(|name| {
            let path = dir.join(&name);
            let want = if name.starts_with("level") || name.starts_with("v4-level") {
                input.clone()
            } else {
                library_decode(&std::fs::read(&path).unwrap())
            };
            Case {
                name,
                path,
                want: Want::Decodes(want),
            }
        })
        .collect();
    check(cases);
}

/// The streams printed in docs/FORMAT.md, "Test vector": the 188-byte one (plain layout) and
/// the 257-byte one of "A sequences-layout vector".
#[test]
fn decodes_the_spec_test_vectors() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "ΣLANG test vector: abcabcabcabcabc, zzzzzzzzzzzzzzzz, glyph glyph glyph glyphs!\n";
    let rows: Vec<u8> = (0..24)
        .flat_map(|i| format!("row {i:02}: sigma glyph delta segment index footer\n").into_bytes())
        .collect();
    check(vec![
        file_case(
            tmp.path(),
            "spec-vector.sigma",
            &spec_vector("test-vector"),
            Want::Decodes(text.as_bytes().to_vec()),
        ),
        file_case(
            tmp.path(),
            "spec-vector-2.sigma",
            &spec_vector("test-vector-2"),
            Want::Decodes(rows),
        ),
    ]);
}

/// Files this build writes now: every level with 4 KiB segments over several segments (a short
/// last one, and a STORED one from random bytes in the middle), an empty input, a lone STORED
/// segment, and streams back to back (an empty one between them).
#[test]
fn decodes_fresh_files_of_every_level() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cases = Vec::new();
    for level in 1..=9u8 {
        let mut data = words(8192, level as u32);
        data.extend(random(4096, 77 + level as u32));
        data.extend(words(5000 + 300 * level as usize, 100 + level as u32));
        let enc = encode(&data, level, 4096);
        let flags = segment_flags(&enc);
        assert_eq!(flags.len(), 5, "level {level}: segments");
        assert_eq!(
            flags[2], 1,
            "level {level}: the random segment is expected STORED"
        );
        let name = format!("fresh-level{level}.sigma");
        cases.push(file_case(tmp.path(), &name, &enc, Want::Decodes(data)));
    }

    let empty = encode(&[], 3, 4096);
    assert_eq!(empty.len(), 72);
    cases.push(file_case(
        tmp.path(),
        "empty.sigma",
        &empty,
        Want::Decodes(Vec::new()),
    ));

    let noise = random(3000, 5);
    let stored = encode(&noise, 5, 4096);
    assert_eq!(
        segment_flags(&stored),
        [1],
        "random bytes are expected STORED"
    );
    cases.push(file_case(
        tmp.path(),
        "stored.sigma",
        &stored,
        Want::Decodes(noise.clone()),
    ));

    let first = words(6000, 8);
    let second = words(7000, 9);
    let mut cat = encode(&first, 1, 4096);
    cat.extend(encode(&[], 9, 8192));
    cat.extend(encode(&second, 9, 65536));
    cat.extend(&stored);
    let want = [first, second, noise].concat();
    cases.push(file_case(
        tmp.path(),
        "concatenated.sigma",
        &cat,
        Want::Decodes(want),
    ));
    check(cases);
}

/// Damaged files: exit status 1, nothing on stdout, one line on stderr naming a byte.
#[test]
fn rejects_corrupt_input() {
    let tmp = tempfile::tempdir().unwrap();
    let data = words(12000, 3);
    let good = encode(&data, 3, 4096);
    let enc_len0 = u32::from_le_bytes(good[16 + 16..16 + 20].try_into().unwrap()) as usize;
    let after_segment0 = 16 + 36 + enc_len0;
    let mut cases = Vec::new();
    let mut add = |name: &str, bytes: Vec<u8>| {
        assert_ne!(bytes, good);
        cases.push(file_case(tmp.path(), name, &bytes, Want::Rejected));
    };

    for at in [16 + 36, 16 + 36 + enc_len0 / 2, after_segment0 - 1] {
        let mut b = good.clone();
        b[at] ^= 0x10;
        add(&format!("payload-byte-{at}-flipped.sigma"), b);
    }
    let mut b = good.clone();
    b[16 + 20] ^= 1; // raw_hash, under the header's check value
    add("segment-header-flipped.sigma", b);
    let n = good.len();
    let mut b = good.clone();
    b[n - 10] ^= 1; // the footer's stream_hash
    add("footer-flipped.sigma", b);

    for cut in [0, 3, 15, 16, after_segment0, n - 40 - 8, n - 40, n - 1] {
        add(&format!("truncated-at-{cut}.sigma"), good[..cut].to_vec());
    }
    add("trailing-byte.sigma", [&good[..], b"x"].concat());
    add(
        "trailing-partial-magic.sigma",
        [&good[..], &[0xce, 0xa3, 0x4c][..]].concat(),
    );
    add(
        "trailing-truncated-stream.sigma",
        [&good[..], &good[..30]].concat(),
    );
    add(
        "not-sigma.sigma",
        b"this is not a sigma stream at all".to_vec(),
    );
    check(cases);
}
