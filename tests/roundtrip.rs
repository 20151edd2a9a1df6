//! Every encode path gives the same bytes and every decode path gives back the original.
//!
//! Encode paths: `encode(Source::File)`, `encode(Source::Reader)`, `Encoder<W>` fed in odd-sized
//! chunks and `encode_file`. Decode paths: `decode(Source::File)`, `decode(Source::Reader)`,
//! `Decoder<R>` and `decode_file`. The command line's paths run the same cases in
//! `cli/tests/roundtrip.rs`.

mod util;
#[macro_use]
#[path = "util/roundtrip_cases.rs"]
mod cases;

use proptest::prelude::*;
use sigmalang::codec::{compress, decompress, MatchFinder};
use sigmalang::{decode, encode, Decoder, Encoder, Options, Source};
use std::fs::File;
use std::io::{Read, Write};
use util::*;

/// Chunk sizes used to feed `Encoder`: odd, around and across segment boundaries.
const CHUNKS: &[usize] = &[1, 7, 4095, 333, 2, 8193, 64, 4097, 13];

fn encoder_bytes(data: &[u8], o: &Options) -> Vec<u8> {
    let mut enc = Encoder::new(Vec::new(), o).expect("Encoder::new");
    let mut rest = data;
    let mut k = 0;
    while !rest.is_empty() {
        let n = CHUNKS[k % CHUNKS.len()].min(rest.len());
        enc.write_all(&rest[..n]).expect("Encoder write");
        rest = &rest[n..];
        k += 1;
        if k % 3 == 0 {
            // Flushing must not change segment boundaries.
            enc.flush().unwrap();
        }
    }
    enc.finish().expect("Encoder::finish")
}

/// Checks the container arithmetic of an encoding of `data` at segment size `seg`.
fn check_structure(enc: &[u8], data: &[u8], level: u8, seg: u32) {
    assert_eq!(&enc[..4], &[0xce, 0xa3, b'L', b'G'], "file magic");
    assert_eq!(enc[4], sigmalang::format::VERSION, "format version");
    assert_eq!(enc[6], level, "level byte");
    assert_eq!(le32(enc, 8), seg, "segment size field");
    let l = layout(enc);
    let n = data.len().div_ceil(seg as usize);
    assert_eq!(l.segments.len(), n, "segment count");
    let mut raw_off = 0;
    for (k, s) in l.segments.iter().enumerate() {
        let want = (data.len() - raw_off).min(seg as usize);
        assert_eq!(s.raw_len, want, "raw length of segment {k}");
        if s.stored {
            assert_eq!(s.enc_len, s.raw_len, "stored segment {k}");
            assert_eq!(&enc[s.payload()], &data[raw_off..raw_off + want]);
        } else {
            assert!(s.enc_len < s.raw_len, "coded segment {k} must be smaller");
        }
        raw_off += want;
    }
    let f = l.footer_offset;
    assert_eq!(le64(enc, f + 4), n as u64, "footer segment count");
    assert_eq!(le64(enc, f + 12), data.len() as u64, "footer raw length");
}

/// Runs every encode and decode path on `data` and checks they all agree.
fn roundtrip_all(data: &[u8], level: u8, seg: u32) {
    let o = opts(2, level, seg);
    let dir = Scratch::new();
    let input = dir.create("input.bin", data);

    // --- encode ---------------------------------------------------------------------------
    let mut from_file = Vec::new();
    let stats = encode(
        Source::File(&File::open(&input).unwrap()),
        &mut from_file,
        &o,
        None,
    )
    .expect("encode File");
    assert_eq!(stats.bytes_in, data.len() as u64, "stats.bytes_in");
    assert_eq!(stats.bytes_out, from_file.len() as u64, "stats.bytes_out");
    assert_eq!(
        stats.segments,
        data.len().div_ceil(seg as usize) as u64,
        "stats.segments"
    );
    check_structure(&from_file, data, level, seg);
    assert_eq!(
        stats.stored_segments,
        layout(&from_file)
            .segments
            .iter()
            .filter(|s| s.stored)
            .count() as u64,
        "stats.stored_segments"
    );

    let from_reader = encode_bytes(data, &o);
    assert!(
        from_reader == from_file,
        "Source::Reader differs from Source::File"
    );

    let from_encoder = encoder_bytes(data, &o);
    assert!(
        from_encoder == from_file,
        "Encoder<W> differs from Source::File"
    );

    sigmalang::encode_file(&input, &dir.path("api.sigma"), &o).expect("encode_file");
    assert!(dir.read("api.sigma") == from_file, "encode_file differs");

    // --- decode ---------------------------------------------------------------------------
    let enc_path = dir.create("data.sigma", &from_file);
    let mut out = Vec::new();
    let stats = decode(
        Source::File(&File::open(&enc_path).unwrap()),
        &mut out,
        &o,
        None,
    )
    .expect("decode File");
    assert!(out == data, "decode(Source::File) differs from the input");
    assert_eq!(stats.bytes_out, data.len() as u64);
    assert_eq!(stats.bytes_in, from_file.len() as u64);

    let out = decode_bytes(&from_file, &o).expect("decode Reader");
    assert!(out == data, "decode(Source::Reader) differs from the input");

    let mut out = Vec::new();
    Decoder::new(&from_file[..])
        .read_to_end(&mut out)
        .expect("Decoder");
    assert!(out == data, "Decoder<R> differs from the input");

    sigmalang::decode_file(&enc_path, &dir.path("api.out"), &o).expect("decode_file");
    assert!(dir.read("api.out") == data, "decode_file differs");
}

const SEG: u32 = 4096;
const S: usize = SEG as usize;

roundtrip_cases!(roundtrip_all);

#[test]
fn progress_reports_every_segment_in_order() {
    use std::sync::Mutex;
    let data = mixed(10 * S + 123, S, 21);
    let o = opts(2, 3, SEG);
    let calls = Mutex::new(Vec::new());
    let cb = |read: u64, written: u64| calls.lock().unwrap().push((read, written));
    let mut enc = Vec::new();
    let stats = encode(Source::Reader(&mut &data[..]), &mut enc, &o, Some(&cb)).unwrap();
    let calls = calls.into_inner().unwrap();
    assert_eq!(calls.len() as u64, stats.segments);
    let l = layout(&enc);
    for (k, &(read, written)) in calls.iter().enumerate() {
        assert_eq!(
            read,
            ((k + 1) * S).min(data.len()) as u64,
            "raw progress {k}"
        );
        assert_eq!(written, l.segments[k].end() as u64, "encoded progress {k}");
    }

    let calls = Mutex::new(Vec::new());
    let cb = |a: u64, b: u64| calls.lock().unwrap().push((a, b));
    let mut out = Vec::new();
    let mut src = &enc[..];
    decode(Source::Reader(&mut src), &mut out, &o, Some(&cb)).unwrap();
    assert_eq!(out, data);
    let calls = calls.into_inner().unwrap();
    assert_eq!(calls.len(), l.segments.len());
    assert_eq!(calls.last().unwrap().1, data.len() as u64);
}

#[test]
fn invalid_options_are_rejected_before_any_output() {
    use sigmalang::Error;
    let bad = [
        Options::new().level(0),
        Options::new().level(10),
        Options::new().segment_size(4095),
        Options::new().segment_size((256 << 20) + 1),
        Options::new().threads(4097),
    ];
    for o in &bad {
        let mut out = Vec::new();
        let r = encode(Source::Reader(&mut &b"abc"[..]), &mut out, o, None);
        assert!(
            matches!(r, Err(Error::InvalidOption(_))),
            "{o:?}: {:?}",
            r.err()
        );
        assert!(out.is_empty(), "{o:?}: nothing may be written");
        assert!(matches!(
            Encoder::new(Vec::new(), o),
            Err(Error::InvalidOption(_))
        ));
    }
    // The smallest and largest sizes are accepted. (The largest through `Encoder`, which only
    // reserves its segment buffer; the pipeline's stream reader would fill 256 MiB with zeros.)
    for seg in [4096, 256 << 20] {
        let o = Options::new().threads(1).window(1).segment_size(seg);
        let mut enc = Encoder::new(Vec::new(), &o).unwrap();
        enc.write_all(b"hello hello hello hello").unwrap();
        let enc = enc.finish().unwrap();
        assert_eq!(le32(&enc, 8), seg);
        assert_eq!(
            decoder_read_all(&enc[..]).unwrap(),
            b"hello hello hello hello"
        );
    }
}

// --- property tests ---------------------------------------------------------------------------

/// Inputs mixing random bytes, repeated patterns and runs, up to a few segments long.
fn input_strategy() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        // random bytes
        prop::collection::vec(any::<u8>(), 0..3000),
        // a short pattern repeated, with a few point mutations
        (
            prop::collection::vec(any::<u8>(), 1..40),
            1usize..6000,
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8)
        )
            .prop_map(|(pat, n, muts)| {
                let mut v: Vec<u8> = pat.iter().cycle().take(n).copied().collect();
                for (i, b) in muts {
                    let i = i.index(v.len());
                    v[i] = b;
                }
                v
            }),
        // one byte repeated
        (any::<u8>(), 1usize..5000).prop_map(|(b, n)| vec![b; n]),
        // generated text
        (1usize..8000, any::<u64>()).prop_map(|(n, s)| text(n, s)),
    ];
    prop::collection::vec(piece, 0..5).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn prop_encode_decode_roundtrip(
        data in input_strategy(),
        level in 1u8..=9,
        seg in prop::sample::select(vec![4096u32, 4097, 6000, 8192]),
        threads in 1usize..=3,
    ) {
        let o = opts(threads, level, seg);
        let enc = encode_bytes(&data, &o);
        prop_assert_eq!(&encoder_bytes(&data, &o), &enc, "Encoder<W> differs");
        prop_assert_eq!(&decode_bytes(&enc, &o).unwrap(), &data);
        prop_assert_eq!(&decoder_read_all(&enc[..]).unwrap(), &data);
        let l = layout(&enc);
        prop_assert_eq!(l.segments.len(), data.len().div_ceil(seg as usize));
    }

    #[test]
    fn prop_codec_roundtrip(data in input_strategy(), level in 1u8..=9, prefix in 0usize..5) {
        let mut mf = MatchFinder::new(level);
        // compress appends: whatever is already in `out` must stay untouched.
        let mut out = vec![0xab; prefix];
        if compress(&data, &mut mf, &mut out) {
            prop_assert!(out[..prefix].iter().all(|&b| b == 0xab));
            prop_assert!(out.len() - prefix < data.len(), "coded stream must be smaller");
            let mut dec = vec![1, 2, 3]; // replaced, not appended to
            decompress(&out[prefix..], &mut dec, data.len()).unwrap();
            prop_assert_eq!(&dec, &data);
            // The same finder, reused, gives the same stream.
            let mut again = vec![0xab; prefix];
            prop_assert!(compress(&data, &mut mf, &mut again));
            prop_assert_eq!(&again, &out);
            // A wrong declared length is an error, never a panic or a wrong output.
            if !data.is_empty() {
                prop_assert!(decompress(&out[prefix..], &mut dec, data.len() - 1).is_err());
            }
            prop_assert!(decompress(&out[prefix..], &mut dec, data.len() + 1).is_err());
        }
        // Otherwise the input was not compressible (or shorter than 16 bytes): the container
        // stores such segments raw, which the encode/decode property covers.
    }

    #[test]
    fn prop_decompress_garbage_never_panics(
        garbage in prop::collection::vec(any::<u8>(), 0..600),
        raw_len in 0usize..5000,
    ) {
        let mut out = Vec::new();
        match decompress(&garbage, &mut out, raw_len) {
            Ok(()) => prop_assert_eq!(out.len(), raw_len),
            Err(_) => prop_assert!(out.len() <= raw_len),
        }
    }
}

#[test]
fn compressible_inputs_compress() {
    // Sanity: the generators used everywhere produce coded (not stored) segments.
    for level in 1..=9 {
        let mut mf = MatchFinder::new(level);
        for data in [text(S, 1), runs(S, 2), binary(S, 3), vec![0u8; S]] {
            let mut out = Vec::new();
            assert!(compress(&data, &mut mf, &mut out), "level {level}");
            let mut dec = Vec::new();
            decompress(&out, &mut dec, data.len()).unwrap();
            assert_eq!(dec, data);
        }
        let mut out = Vec::new();
        assert!(
            !compress(&random(S, 4), &mut mf, &mut out),
            "random data is stored"
        );
    }
}

/// A file decode sizes its input buffers to the largest payload its index names and reports the
/// memory estimate for that, below the whole-segment bound when every segment compresses; a
/// stream (no index) gets the bound.
#[test]
fn file_decode_estimate_uses_the_largest_payload() {
    let seg = 64 << 10;
    let o = opts(2, 3, seg);
    let data = text(6 * seg as usize + 1000, 11);
    let enc = encode_bytes(&data, &o);
    let read_at = |b: &mut [u8], at: u64| -> std::io::Result<()> {
        b.copy_from_slice(&enc[at as usize..at as usize + b.len()]);
        Ok(())
    };
    let index = sigmalang::format::Index::read_at(&read_at, enc.len() as u64).unwrap();
    let largest = index.entries.iter().map(|e| e.enc_len).max();
    assert!(largest.unwrap() < seg / 2, "text compresses: {largest:?}");

    let dir = Scratch::new();
    let path = dir.create("data.sigma", &enc);
    let mut out = Vec::new();
    let stats = decode(
        Source::File(&File::open(&path).unwrap()),
        &mut out,
        &o,
        None,
    )
    .unwrap();
    assert!(out == data);
    let len = Some(data.len() as u64);
    assert_eq!(
        stats.memory_estimate,
        o.decode_memory_estimate_for(seg, len, largest)
    );
    assert!(stats.memory_estimate < o.decode_memory_estimate(seg, len));

    out.clear();
    let stats = decode(Source::Reader(&mut &enc[..]), &mut out, &o, None).unwrap();
    assert!(out == data);
    assert_eq!(stats.memory_estimate, o.decode_memory_estimate(seg, None));
}
