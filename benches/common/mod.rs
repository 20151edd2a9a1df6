//! Inputs shared by the criterion benches: real files from this machine, or deterministic
//! generated text where a directory is missing or too small.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

/// Input size from `SIGMA_BENCH_BYTES`, or `default`.
pub fn input_len(default: usize) -> usize {
    std::env::var("SIGMA_BENCH_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(default)
}

/// Regular files under `dir` (recursively, no symlinks) in path order.
pub fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            files_under(&e.path(), out);
        } else if ft.is_file() {
            out.push(e.path());
        }
    }
}

/// The first `len` bytes of the files under `dir` concatenated, or `None` if there are fewer.
pub fn concat_files(dir: &str, len: usize) -> Option<Vec<u8>> {
    let mut paths = Vec::new();
    files_under(Path::new(dir), &mut paths);
    let mut data = Vec::with_capacity(len);
    for p in paths {
        if data.len() >= len {
            break;
        }
        if let Ok(bytes) = fs::read(&p) {
            data.extend_from_slice(&bytes[..bytes.len().min(len - data.len())]);
        }
    }
    (data.len() >= len).then_some(data)
}

/// Deterministic English-like text with a skewed word distribution (xorshift, fixed seed).
pub fn generated_text(len: usize, seed: u64) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "the",
        "of",
        "segment",
        "and",
        "to",
        "a",
        "in",
        "glyph",
        "is",
        "stream",
        "for",
        "that",
        "parallel",
        "with",
        "encoder",
        "as",
        "window",
        "on",
        "memory",
        "be",
        "offset",
        "by",
        "decode",
        "this",
        "reference",
        "at",
        "thread",
        "from",
        "checksum",
        "or",
        "index",
        "error",
    ];
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = Vec::with_capacity(len + 16);
    let mut line = 0;
    while out.len() < len {
        let r = next();
        // Squaring a uniform index favours the first words (Zipf-like).
        let u = (r % 1024) as usize;
        out.extend_from_slice(WORDS[u * u * WORDS.len() / (1024 * 1024)].as_bytes());
        line += 1;
        if line % 12 == 0 {
            out.extend_from_slice(format!(" {}\n", r % 100_000).as_bytes());
        } else {
            out.push(b' ');
        }
    }
    out.truncate(len);
    out
}
