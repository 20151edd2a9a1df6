//! The `fse` fuzz target's check (`check_fse` in `fuzz/src/lib.rs`) on its seeds, on
//! deterministic damage of them (every truncation, byte flips, spliced random bytes), and on any
//! saved inputs under `fuzz/regressions/fse/`, so it runs with every `cargo test` and not only
//! under `cargo fuzz`.

#[path = "../fuzz/src/lib.rs"]
mod fuzz;

use std::panic::{catch_unwind, AssertUnwindSafe};

fn check(input: &[u8], what: &str) {
    if catch_unwind(AssertUnwindSafe(|| fuzz::check_fse(input))).is_err() {
        let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
        panic!("check_fse fails on {what}: {hex}");
    }
}

#[test]
fn seeds_pass() {
    let seeds = fuzz::seeds("fse");
    assert!(seeds.len() >= 8, "{} seeds", seeds.len());
    for (k, s) in seeds.iter().enumerate() {
        check(s, &format!("seed {k}"));
    }
    // The seeds that carry a table description and a stream coded with it (all but the last
    // three, which are plain data) get past the reader, so the fuzzer starts from valid tables.
    let valid = seeds
        .iter()
        .filter(|s| sigmalang::codec::fse::Distribution::read(&s[1..], 12, 256).is_ok())
        .count();
    assert!(valid >= seeds.len() - 3, "{valid} of {} seeds", seeds.len());
}

/// Each seed cut at every length, with every flags byte, and with bytes flipped or replaced by
/// random ones: the reader and decoder meet descriptions and streams damaged in every place.
#[test]
fn damaged_seeds_pass() {
    let mut rng = fuzz::Rng::new(2024);
    for (k, seed) in fuzz::seeds("fse").iter().enumerate() {
        for cut in 0..seed.len() {
            check(&seed[..cut], &format!("seed {k} cut at {cut}"));
        }
        for flags in 0..=255u8 {
            let mut s = seed.clone();
            s[0] = flags;
            check(&s, &format!("seed {k} with flags {flags:#x}"));
        }
        for round in 0..300 {
            let mut s = seed.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(s.len());
                if round % 2 == 0 {
                    s[at] ^= 1 << rng.below(8);
                } else {
                    s[at] = rng.byte();
                }
            }
            check(&s, &format!("seed {k} damaged in round {round}"));
        }
    }
}

#[test]
fn random_inputs_pass() {
    let mut rng = fuzz::Rng::new(77);
    for len in 0..2000 {
        let mut s = vec![0u8; len % 200];
        rng.fill(&mut s);
        check(&s, &format!("random input {len}"));
    }
}

#[test]
fn saved_fuzz_inputs_pass() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/fse");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_file() && !name.starts_with('.') && !name.ends_with(".md") {
            check(&std::fs::read(&path).unwrap(), &name);
        }
    }
}
