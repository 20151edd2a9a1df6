//! The seed corpus: valid starting points for each target ([`seeds`]) and their writing into an
//! empty corpus directory ([`write_seed_corpus`]).

use super::fse::fse_seeds;
use super::{binary, container_streams, random, runs, sequences, text, v1_split_payload};
use sigmalang::codec::{self, MatchFinder};

/// Valid starting points for each target: whole encoded streams (as a tail after prefix 0, so
/// the fuzzer can mutate any byte of them), cut streams, and valid glyph streams.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    match target {
        "container" => {
            for (i, s) in container_streams().iter().enumerate() {
                let i = i as u8;
                let full = s.encoded.len() as u16;
                for flags in [i, i | 4, i | 4 | 8 | 64] {
                    out.push([&[flags, 0, 0][..], &s.encoded].concat());
                }
                out.push([i, full as u8, (full >> 8) as u8].to_vec());
                let half = full / 2;
                let mut v = vec![i, half as u8, (half >> 8) as u8];
                v.extend_from_slice(&s.encoded[usize::from(half)..]);
                out.push(v);
            }
        }
        "glyph" => {
            let samples = [
                text(300, 7),
                runs(2000, 8),
                binary(1000, 9),
                random(100, 10),
            ];
            for (k, d) in samples.iter().enumerate() {
                let level = [1u8, 3, 9, 5][k];
                let mut enc = Vec::new();
                if codec::compress(d, &mut MatchFinder::new(level), &mut enc) {
                    let n = d.len() as u16;
                    out.push([&n.to_le_bytes()[..], &enc].concat());
                }
                out.push(d.clone());
            }
        }
        "split" => {
            for (k, d) in [text(3000, 11), text(600, 12), binary(2000, 13)]
                .iter()
                .enumerate()
            {
                let mut enc = Vec::new();
                if let Some(codec::Layout::Streams) =
                    codec::encode_payload(d, &mut MatchFinder::new(3), &mut enc)
                {
                    let n = d.len() as u16;
                    out.push([&n.to_le_bytes()[..], &[k as u8][..], &enc].concat());
                }
                out.push([&[0u8, 0, 0][..], d].concat());
            }
            let (payload, n) = v1_split_payload();
            out.push([&(n as u16).to_le_bytes()[..], &[1u8][..], payload].concat());
        }
        "trailer" => {
            for s in container_streams() {
                out.push([&[0u8][..], &s.encoded].concat());
                out.push([&[1u8][..], &s.encoded].concat());
            }
        }
        "fse" => out = fse_seeds(),
        "sequences" => out = sequences::sequences_seeds(),
        _ => {}
    }
    out
}

/// Called from a target's `init`: if the corpus directory libFuzzer was given (its first
/// positional argument) is missing or empty, writes [`seeds`] into it before libFuzzer reads it.
pub fn write_seed_corpus(target: &str) {
    let Some(dir) = std::env::args().skip(1).find(|a| !a.starts_with('-')) else {
        return;
    };
    let dir = std::path::Path::new(&dir);
    if dir.is_file() {
        return; // running single inputs, not fuzzing
    }
    let empty = std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_none());
    if !empty {
        return;
    }
    let _ = std::fs::create_dir_all(dir);
    for (k, s) in seeds(target).iter().enumerate() {
        let _ = std::fs::write(dir.join(format!("seed-{k:02}")), s);
    }
}
