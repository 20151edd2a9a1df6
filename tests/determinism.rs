//! The encoded bytes depend only on the input, the level and the segment size: never on the thread
//! count, the window, the kind of source, or the run. The command line's bytes:
//! `cli/tests/determinism.rs`.

mod util;

use sigmalang::{decode, encode, Encoder, Options, Source};
use std::fs::File;
use std::io::Write;
use util::*;

const SEG: u32 = 4096;
const S: usize = SEG as usize;

/// Enough segments (with stored ones among them) for workers to finish out of order.
fn sample() -> Vec<u8> {
    mixed(40 * S + 777, S + 500, 31)
}

fn encode_file_src(f: &File, o: &Options) -> Vec<u8> {
    let mut out = Vec::new();
    encode(Source::File(f), &mut out, o, None).expect("encode File");
    out
}

fn check_level(level: u8) {
    let data = sample();
    let dir = Scratch::new();
    let path = dir.create("input.bin", &data);
    let file = File::open(&path).unwrap();

    let reference = encode_bytes(&data, &opts(1, level, SEG).window(1));
    assert_eq!(
        decode_bytes(&reference, &opts(1, level, SEG)).unwrap(),
        data
    );

    for threads in [1usize, 2, 8] {
        for window in [None, Some(1usize), Some(5)] {
            let mut o = opts(threads, level, SEG);
            if let Some(w) = window {
                o = o.window(w);
            }
            let what = format!("level {level}, {threads} threads, window {window:?}");
            assert!(
                encode_bytes(&data, &o) == reference,
                "Source::Reader output differs ({what})"
            );
            assert!(
                encode_file_src(&file, &o) == reference,
                "Source::File output differs ({what})"
            );
            // Through a reader that returns short reads: same segment boundaries.
            let mut split = SplitReader::new(&data[..], 1000);
            let mut out = Vec::new();
            encode(Source::Reader(&mut split), &mut out, &o, None).unwrap();
            assert!(out == reference, "short-read source differs ({what})");
        }
    }

    // The single-threaded Encoder, fed in chunks that never line up with segments.
    let mut enc = Encoder::new(Vec::new(), &opts(1, level, SEG)).unwrap();
    for chunk in data.chunks(1531) {
        enc.write_all(chunk).unwrap();
    }
    assert!(enc.finish().unwrap() == reference, "Encoder<W> differs");
}

#[test]
fn identical_output_level1() {
    check_level(1);
}

#[test]
fn identical_output_level3() {
    check_level(3);
}

#[test]
fn identical_output_level9() {
    check_level(9);
}

#[test]
fn repeated_runs_are_identical() {
    let data = sample();
    let o = opts(8, 5, SEG).window(3);
    let first = encode_bytes(&data, &o);
    for _ in 0..5 {
        assert!(encode_bytes(&data, &o) == first);
    }
}

#[test]
fn default_threads_and_window() {
    // threads(0) = one per core, window(0) = 2 × threads.
    let data = sample();
    let reference = encode_bytes(&data, &opts(1, 3, SEG).window(1));
    let o = Options::new().segment_size(SEG);
    assert!(encode_bytes(&data, &o) == reference);
    assert!(encode_bytes(&data, &o.clone().threads(0).window(0)) == reference);
}

#[test]
fn decode_output_is_independent_of_threads_and_window() {
    let data = sample();
    let enc = encode_bytes(&data, &opts(2, 3, SEG));
    let dir = Scratch::new();
    let path = dir.create("x.sigma", &enc);
    let file = File::open(path).unwrap();
    for threads in [1usize, 2, 8] {
        for window in [1usize, 2, 5, 0] {
            let o = Options::new().threads(threads).window(window);
            assert!(decode_bytes(&enc, &o).unwrap() == data);
            let mut out = Vec::new();
            let stats = decode(Source::File(&file), &mut out, &o, None).unwrap();
            assert!(out == data, "{threads} threads, window {window}");
            assert_eq!(stats.segments, 41);
        }
    }
}

#[test]
fn segment_size_and_level_change_the_output() {
    // The converse: the two parameters that define the stream do show in it.
    let data = text(3 * S, 5);
    let a = encode_bytes(&data, &opts(1, 3, SEG));
    assert_ne!(a, encode_bytes(&data, &opts(1, 3, 8192)));
    let b = encode_bytes(&data, &opts(1, 9, SEG));
    assert_ne!(a, b);
    assert_eq!(b[6], 9, "level byte");
}
