//! No per-segment allocation on the hot path: a run allocates what its buffers, tables, threads
//! and index need, and no more for eight times as many segments.
//!
//! The allocator of this test binary counts every allocation and reallocation, in every thread.
//! This file holds a single test so that no other test allocates while it counts.

mod util;

use sigmalang::{Decoder, Encoder, Options, Source};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed on unchanged to the system allocator, which upholds the
// `GlobalAlloc` contract; the counter has no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's guarantees for `layout` are those `System.alloc` needs.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation goes there).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `dealloc`, and the caller's guarantees for `new_size` hold.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Allocations made while `f` runs.
fn allocations(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    f();
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

const SEG: u32 = 16 << 10;

/// Allocations of each way of running over `segments` segments of mixed data at `level`:
/// encode and decode of a stream and of a file on two threads, then the streaming
/// [`Encoder`] and [`Decoder`].
fn runs(level: u8, segments: usize, dir: &std::path::Path) -> [u64; 6] {
    let data = util::mixed(segments * SEG as usize, 3000, 11);
    let o = Options::new().threads(2).level(level).segment_size(SEG);
    let mut enc = Vec::with_capacity(2 * data.len());
    let mut out = Vec::with_capacity(data.len());
    let raw_path = dir.join("raw");
    let enc_path = dir.join("enc");
    std::fs::write(&raw_path, &data).unwrap();
    let raw_file = std::fs::File::open(&raw_path).unwrap();
    let mut counts = [0; 6];
    counts[0] = allocations(|| {
        sigmalang::encode(Source::Reader(&mut &data[..]), &mut enc, &o, None).unwrap();
    });
    counts[1] = allocations(|| {
        sigmalang::decode(Source::Reader(&mut &enc[..]), &mut out, &o, None).unwrap();
    });
    assert!(out == data, "level {level}: stream round trip");
    let mut file_enc = Vec::with_capacity(2 * data.len());
    counts[2] = allocations(|| {
        sigmalang::encode(Source::File(&raw_file), &mut file_enc, &o, None).unwrap();
    });
    assert!(
        file_enc == enc,
        "level {level}: file and stream input encode alike"
    );
    std::fs::write(&enc_path, &enc).unwrap();
    let enc_file = std::fs::File::open(&enc_path).unwrap();
    out.clear();
    counts[3] = allocations(|| {
        sigmalang::decode(Source::File(&enc_file), &mut out, &o, None).unwrap();
    });
    assert!(out == data, "level {level}: file round trip");
    let mut streamed = Vec::with_capacity(2 * data.len());
    counts[4] = allocations(|| {
        let mut e = Encoder::new(&mut streamed, &o).unwrap();
        for piece in data.chunks(5000) {
            e.write_all(piece).unwrap();
        }
        e.finish().unwrap();
    });
    assert!(
        streamed == enc,
        "level {level}: the streaming encoder writes the same bytes"
    );
    out.clear();
    counts[5] = allocations(|| {
        let mut d = Decoder::new(&enc[..]);
        let mut buf = [0u8; 7000];
        loop {
            let n = d.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
    });
    assert!(out == data, "level {level}: streaming round trip");
    counts
}

#[test]
fn allocations_do_not_grow_with_the_segment_count() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "encode (stream)",
        "decode (stream)",
        "encode (file)",
        "decode (file)",
        "Encoder",
        "Decoder",
    ];
    for level in [1, 3, 9] {
        // A first run, so that one-time growth (the index, scratch buffers reaching their
        // largest size) is not what is compared.
        runs(level, 4, dir.path());
        let few = runs(level, 16, dir.path());
        let many = runs(level, 128, dir.path());
        for ((name, f), m) in names.iter().zip(few).zip(many) {
            // The index of 128 segments may grow a few more times than that of 16: a handful of
            // allocations. And thread timing: a worker sets up its match finder or decoder
            // scratch on its first segment (about 30 allocations at level 3), and of 16 segments
            // one worker may now and then get them all. One allocation per segment would be
            // 112 more.
            assert!(
                m <= f + 56,
                "level {level}, {name}: {f} allocations for 16 segments, {m} for 128"
            );
        }
    }
}
