//! The memory limit: threads and segments in flight shrink to fit it without changing the output,
//! and a run whose one segment on one thread does not fit is refused before anything is written —
//! in the pipelines, `Decoder` and `Reader` (the command line's `--memory-limit`:
//! `cli/tests/memory_limit.rs`).

mod util;

use sigmalang::{Decoder, Error, Options, Reader, Source};
use std::io::{Cursor, Read};
use util::*;

const MIB: u64 = 1 << 20;

/// Sixteen 1 MiB segments of zeros: a tiny file whose decode needs a whole segment per buffer.
fn zeros() -> (Vec<u8>, Vec<u8>) {
    let data = vec![0u8; 16 << 20];
    let enc = encode_bytes(&data, &opts(2, 1, 1 << 20));
    assert!(enc.len() < 4096);
    (data, enc)
}

/// What one 1 MiB segment in flight on one thread needs: buffers, decoder scratch, overhead.
fn one_segment() -> u64 {
    Options::new()
        .threads(1)
        .memory_limit(u64::MAX)
        .decode_plan(1 << 20, Some(1 << 20), None)
        .unwrap()
        .estimate
}

#[test]
fn threads_and_window_shrink_to_fit_and_the_output_does_not_change() {
    let (data, enc) = zeros();
    let file = file_with(&enc);
    for limit in [one_segment(), one_segment() + 2 * MIB, 64 * MIB, u64::MAX] {
        let o = opts(8, 1, 1 << 20).window(16).memory_limit(limit);
        let plan = o.decode_plan(1 << 20, Some(16 << 20), None).unwrap();
        assert!(plan.estimate <= limit, "{limit}: {plan:?}");
        assert!(plan.threads >= 1 && plan.threads <= plan.buffers);
        // File and stream decodes: same bytes, and the run reports the plan's threads.
        let mut out = Vec::new();
        let stats = sigmalang::decode(Source::File(&file), &mut out, &o, None).unwrap();
        assert!(out == data, "{limit}");
        assert!(
            stats.memory_estimate <= limit,
            "{limit}: {}",
            stats.memory_estimate
        );
        // A stream decode plans for whole-segment payloads: exactly the plan above.
        let mut out = Vec::new();
        let stats = sigmalang::decode(Source::Reader(&mut &enc[..]), &mut out, &o, None).unwrap();
        assert!(out == data, "{limit}");
        assert_eq!(stats.threads, plan.threads, "{limit}");
        assert_eq!(stats.memory_estimate, plan.estimate, "{limit}");
        // Encoding under the same limit writes the same bytes.
        let e = o.encode_plan(Some(16 << 20));
        if let Ok(p) = e {
            assert!(p.estimate <= limit);
            assert!(encode_bytes(&data, &o) == enc, "{limit}");
        }
    }
    // The smallest limit leaves one thread; no limit leaves all eight.
    let o = opts(8, 1, 1 << 20).window(16);
    let plan = |l| {
        o.clone()
            .memory_limit(l)
            .decode_plan(1 << 20, Some(16 << 20), None)
            .unwrap()
    };
    assert_eq!(
        (plan(one_segment()).buffers, plan(one_segment()).threads),
        (1, 1)
    );
    assert_eq!((plan(u64::MAX).buffers, plan(u64::MAX).threads), (16, 8));
}

/// An unnamed file holding `bytes`.
fn file_with(bytes: &[u8]) -> std::fs::File {
    use std::io::Write;
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(bytes).unwrap();
    f
}

#[test]
fn a_segment_that_cannot_fit_is_refused_before_anything_is_written() {
    let (_, enc) = zeros();
    let limit = one_segment() - 1;
    let o = opts(2, 1, 1 << 20).memory_limit(limit);
    let check_needing = |e: Error, need: u64, limit: u64| match e {
        Error::MemoryLimit { needed, limit: l } => {
            assert_eq!((needed, l), (need, limit));
            let msg = Error::MemoryLimit { needed, limit: l }.to_string();
            assert!(msg.contains("--memory-limit"), "{msg}");
        }
        other => panic!("want MemoryLimit, got {other}"),
    };
    let check = |e: Error| check_needing(e, one_segment(), limit);
    // Stream decode.
    let mut out = Vec::new();
    check(sigmalang::decode(Source::Reader(&mut &enc[..]), &mut out, &o, None).unwrap_err());
    assert!(out.is_empty(), "wrote {} bytes", out.len());
    // File decode: its index names payloads of a few bytes, so it needs less than a stream.
    let file = file_with(&enc);
    let payload = Reader::new(&file)
        .unwrap()
        .index()
        .entries
        .iter()
        .map(|e| e.enc_len)
        .max();
    let file_need = Options::new()
        .threads(1)
        .window(1)
        .memory_limit(u64::MAX)
        .decode_plan(1 << 20, Some(16 << 20), payload)
        .unwrap()
        .estimate;
    assert!(file_need < one_segment());
    let mut out = Vec::new();
    let e = sigmalang::decode(
        Source::File(&file),
        &mut out,
        &o.clone().memory_limit(file_need - 1),
        None,
    );
    check_needing(e.unwrap_err(), file_need, file_need - 1);
    assert!(out.is_empty());
    let mut out = Vec::new();
    sigmalang::decode(
        Source::File(&file),
        &mut out,
        &o.clone().memory_limit(file_need),
        None,
    )
    .unwrap();
    assert_eq!(out.len(), 16 << 20);
    // Encode: the header is not even written.
    let mut out = Vec::new();
    let data = vec![0u8; 2 << 20];
    let e = sigmalang::encode(
        Source::Reader(&mut &data[..]),
        &mut out,
        &o.clone().memory_limit(MIB),
        None,
    );
    assert!(matches!(e, Err(Error::MemoryLimit { .. })), "{e:?}");
    assert!(out.is_empty());
    // Decoder and Reader: one segment at a time, with its payload as read (all payloads here are
    // as long as the largest).
    let mut d = Decoder::with_memory_limit(&enc[..], file_need - 1);
    let e = d.read_to_end(&mut Vec::new()).unwrap_err();
    check_needing(unwrap_io(e), file_need, file_need - 1);
    let e = Reader::with_memory_limit(Cursor::new(&enc), file_need - 1)
        .err()
        .unwrap();
    check_needing(e, file_need, file_need - 1);
    // One byte more is enough for all of them.
    let o = o.memory_limit(limit + 1);
    assert!(decode_bytes(&enc, &o).is_ok());
    let mut d = Decoder::with_memory_limit(&enc[..], file_need);
    assert_eq!(d.read_to_end(&mut Vec::new()).unwrap(), 16 << 20);
    assert!(Reader::with_memory_limit(Cursor::new(&enc), file_need).is_ok());
}

#[test]
fn a_later_stream_with_longer_segments_is_held_to_the_limit() {
    // 64 KiB segments first (many buffers fit), then 1 MiB segments of zeros, through a pipe.
    let small = encode_bytes(&text(300_000, 3), &opts(1, 1, 64 << 10));
    let (zeros, big) = zeros();
    let both = [small.clone(), big].concat();
    let want = [text(300_000, 3), zeros].concat();
    let o = Options::new().threads(4).window(8);
    // Enough for the first stream's plan at four threads, not for four 1 MiB segments.
    let limit = o
        .clone()
        .memory_limit(u64::MAX)
        .decode_plan(64 << 10, None, None)
        .unwrap()
        .estimate;
    assert!(limit < 4 * one_segment());
    let e = decode_bytes(&both, &o.clone().memory_limit(limit)).unwrap_err();
    assert!(matches!(e, Error::MemoryLimit { .. }), "{e:?}");
    // With room for four workers on 1 MiB segments, the buffers in flight shrink instead.
    let roomy = o
        .clone()
        .memory_limit(u64::MAX)
        .decode_plan_for_test(4, 1 << 20);
    assert!(decode_bytes(&both, &o.clone().memory_limit(roomy)).unwrap() == want);
    assert!(decode_bytes(&both, &o.memory_limit(u64::MAX)).unwrap() == want);
}

/// Test-only view of the plan for `threads` workers and one buffer each of `raw` bytes.
trait PlanFor {
    fn decode_plan_for_test(self, threads: usize, raw: u32) -> u64;
}

impl PlanFor for Options {
    fn decode_plan_for_test(self, threads: usize, raw: u32) -> u64 {
        self.threads(threads)
            .window(threads)
            .decode_plan(raw, Some(u64::from(raw) * threads as u64), None)
            .unwrap()
            .estimate
    }
}
