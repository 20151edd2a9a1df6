//! Tests across the module: the predefined distributions and their tables against RFC 8878,
//! symbol streams through encoder and decoder, several states on one stream, damaged streams.

use super::table::tests::{check_decode_table, check_encode_table};
use super::*;
use proptest::prelude::*;

/// RFC 8878 appendix A: the literal length decoding table, (symbol, bits, baseline) by state.
#[rustfmt::skip]
const LITERAL_LENGTH_TABLE: [(u8, u8, u16); 64] = [
    (0, 4, 0), (0, 4, 16), (1, 5, 32), (3, 5, 0), (4, 5, 0), (6, 5, 0), (7, 5, 0), (9, 5, 0),
    (10, 5, 0), (12, 5, 0), (14, 6, 0), (16, 5, 0), (18, 5, 0), (19, 5, 0), (21, 5, 0),
    (22, 5, 0), (24, 5, 0), (25, 5, 32), (26, 5, 0), (27, 6, 0), (29, 6, 0), (31, 6, 0),
    (0, 4, 32), (1, 4, 0), (2, 5, 0), (4, 5, 32), (5, 5, 0), (7, 5, 32), (8, 5, 0), (10, 5, 32),
    (11, 5, 0), (13, 6, 0), (16, 5, 32), (17, 5, 0), (19, 5, 32), (20, 5, 0), (22, 5, 32),
    (23, 5, 0), (25, 4, 0), (25, 4, 16), (26, 5, 32), (28, 6, 0), (30, 6, 0), (0, 4, 48),
    (1, 4, 16), (2, 5, 32), (3, 5, 32), (5, 5, 32), (6, 5, 32), (8, 5, 32), (9, 5, 32),
    (11, 5, 32), (12, 5, 32), (15, 6, 0), (17, 5, 32), (18, 5, 32), (20, 5, 32), (21, 5, 32),
    (23, 5, 32), (24, 5, 32), (35, 6, 0), (34, 6, 0), (33, 6, 0), (32, 6, 0),
];

/// RFC 8878 appendix A: the match length decoding table, (symbol, bits, baseline) by state.
#[rustfmt::skip]
const MATCH_LENGTH_TABLE: [(u8, u8, u16); 64] = [
    (0, 6, 0), (1, 4, 0), (2, 5, 32), (3, 5, 0), (5, 5, 0), (6, 5, 0), (8, 5, 0), (10, 6, 0),
    (13, 6, 0), (16, 6, 0), (19, 6, 0), (22, 6, 0), (25, 6, 0), (28, 6, 0), (31, 6, 0),
    (33, 6, 0), (35, 6, 0), (37, 6, 0), (39, 6, 0), (41, 6, 0), (43, 6, 0), (45, 6, 0),
    (1, 4, 16), (2, 4, 0), (3, 5, 32), (4, 5, 0), (6, 5, 32), (7, 5, 0), (9, 6, 0), (12, 6, 0),
    (15, 6, 0), (18, 6, 0), (21, 6, 0), (24, 6, 0), (27, 6, 0), (30, 6, 0), (32, 6, 0),
    (34, 6, 0), (36, 6, 0), (38, 6, 0), (40, 6, 0), (42, 6, 0), (44, 6, 0), (1, 4, 32),
    (1, 4, 48), (2, 4, 16), (4, 5, 32), (5, 5, 32), (7, 5, 32), (8, 5, 32), (11, 6, 0),
    (14, 6, 0), (17, 6, 0), (20, 6, 0), (23, 6, 0), (26, 6, 0), (29, 6, 0), (52, 6, 0),
    (51, 6, 0), (50, 6, 0), (49, 6, 0), (48, 6, 0), (47, 6, 0), (46, 6, 0),
];

/// RFC 8878 appendix A: the offset decoding table, (symbol, bits, baseline) by state.
#[rustfmt::skip]
const OFFSET_TABLE: [(u8, u8, u16); 32] = [
    (0, 5, 0), (6, 4, 0), (9, 5, 0), (15, 5, 0), (21, 5, 0), (3, 5, 0), (7, 4, 0), (12, 5, 0),
    (18, 5, 0), (23, 5, 0), (5, 5, 0), (8, 4, 0), (14, 5, 0), (20, 5, 0), (2, 5, 0), (7, 4, 16),
    (11, 5, 0), (17, 5, 0), (22, 5, 0), (4, 5, 0), (8, 4, 16), (13, 5, 0), (19, 5, 0),
    (1, 5, 0), (6, 4, 16), (10, 5, 0), (16, 5, 0), (28, 5, 0), (27, 5, 0), (26, 5, 0),
    (25, 5, 0), (24, 5, 0),
];

/// A decoding table as (symbol, bits, baseline) by state.
type Cells = &'static [(u8, u8, u16)];

fn predefined() -> [(&'static str, Distribution, Cells); 3] {
    [
        (
            "literal lengths",
            Distribution::new(&LITERAL_LENGTH_DEFAULT, LITERAL_LENGTH_DEFAULT_LOG).unwrap(),
            &LITERAL_LENGTH_TABLE,
        ),
        (
            "match lengths",
            Distribution::new(&MATCH_LENGTH_DEFAULT, MATCH_LENGTH_DEFAULT_LOG).unwrap(),
            &MATCH_LENGTH_TABLE,
        ),
        (
            "offsets",
            Distribution::new(&OFFSET_DEFAULT, OFFSET_DEFAULT_LOG).unwrap(),
            &OFFSET_TABLE,
        ),
    ]
}

#[test]
fn predefined_distributions_are_the_rfc_ones() {
    let sum = |p: &[i16]| p.iter().map(|&x| i32::from(x.abs())).sum::<i32>();
    assert_eq!(
        (LITERAL_LENGTH_DEFAULT.len(), sum(&LITERAL_LENGTH_DEFAULT)),
        (36, 64)
    );
    assert_eq!(
        (MATCH_LENGTH_DEFAULT.len(), sum(&MATCH_LENGTH_DEFAULT)),
        (53, 64)
    );
    assert_eq!((OFFSET_DEFAULT.len(), sum(&OFFSET_DEFAULT)), (29, 32));
    assert_eq!(
        (
            LITERAL_LENGTH_DEFAULT_LOG,
            MATCH_LENGTH_DEFAULT_LOG,
            OFFSET_DEFAULT_LOG
        ),
        (6, 6, 5)
    );
    // Four, seven and five "less than 1" codes, all at the top of their alphabets.
    let lows = |p: &[i16]| p.iter().position(|&x| x == -1).map(|i| (i, p.len() - i));
    assert_eq!(lows(&LITERAL_LENGTH_DEFAULT), Some((32, 4)));
    assert_eq!(lows(&MATCH_LENGTH_DEFAULT), Some((46, 7)));
    assert_eq!(lows(&OFFSET_DEFAULT), Some((24, 5)));
}

#[test]
fn predefined_tables_match_rfc_appendix_a() {
    for (name, d, want) in predefined() {
        let t = DecodeTable::new(&d);
        let got: Vec<(u8, u8, u16)> = t
            .cells()
            .iter()
            .map(|c| (c.symbol, c.nb_bits, c.baseline))
            .collect();
        for (state, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(g, w, "{name}: state {state}");
        }
        assert_eq!(got.len(), want.len(), "{name}");
        check_decode_table(&d, &t);
        check_encode_table(&d, &EncodeTable::new(&d), &t);
    }
}

#[test]
fn predefined_descriptions_round_trip() {
    for (name, d, _) in predefined() {
        let mut out = Vec::new();
        let n = d.write(&mut out);
        assert_eq!(Distribution::read(&out, 6, 53).unwrap(), (d, n), "{name}");
    }
}

/// Codes `symbols` with one state (first symbol first in decoding order).
fn encode(table: &EncodeTable, symbols: &[u8]) -> Vec<u8> {
    let mut w = BitWriter::new();
    if let Some((&last, rest)) = symbols.split_last() {
        let mut s = EncoderState::new(table, last);
        for &x in rest.iter().rev() {
            s.encode(&mut w, x);
        }
        s.flush(&mut w);
    }
    w.finish()
}

/// Decodes `n >= 1` symbols with one state; also says whether the reader ended exactly at the
/// start of the stream.
fn decode(table: &DecodeTable, stream: &[u8], n: usize) -> Result<(Vec<u8>, bool), FseError> {
    let mut r = BitReader::new(stream)?;
    let mut s = DecoderState::new(table, &mut r);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        if i + 1 < n {
            out.push(s.decode(&mut r));
        } else {
            out.push(s.symbol());
        }
        r.refill();
    }
    Ok((out, r.is_finished()))
}

fn round_trip(d: &Distribution, symbols: &[u8]) -> usize {
    let stream = encode(&EncodeTable::new(d), symbols);
    let (back, finished) = decode(&DecodeTable::new(d), &stream, symbols.len()).unwrap();
    assert!(back == symbols, "symbols differ");
    assert!(finished, "stream not used up exactly");
    stream.len()
}

/// Symbols drawn with the frequencies of `weights` by a fixed LCG.
fn draw(weights: &[u32], n: usize, seed: u64) -> Vec<u8> {
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let mut pick = (x >> 11) % total;
            let mut s = 0;
            while pick >= u64::from(weights[s]) {
                pick -= u64::from(weights[s]);
                s += 1;
            }
            s as u8
        })
        .collect()
}

fn histogram(symbols: &[u8]) -> Vec<u32> {
    let mut c = vec![0u32; 256];
    for &s in symbols {
        c[usize::from(s)] += 1;
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any counts at any accuracy log: the stream decodes back, and the table description too;
    /// or, when more symbols are present than the table has states, `normalize` refuses them.
    #[test]
    fn random_streams_round_trip(
        weights in prop::collection::vec(prop_oneof![Just(0u32), 1u32..4, 1u32..100_000], 1..64),
        log in MIN_ACCURACY_LOG..=MAX_ACCURACY_LOG,
        n in 1usize..3000,
        seed: u64,
    ) {
        prop_assume!(weights.iter().any(|&w| w > 0));
        let symbols = draw(&weights, n, seed);
        let counts = histogram(&symbols);
        let present = counts.iter().filter(|&&c| c > 0).count();
        let d = match Distribution::normalize(&counts, log) {
            Ok(d) => d,
            Err(e) => {
                prop_assert!(
                    present > 1 << log
                        && matches!(e, FseError::TableTooSmall { symbols, .. } if symbols == present),
                    "{e:?} for {present} symbols at log {log}"
                );
                return Ok(());
            }
        };
        prop_assert!(present <= 1 << log);
        round_trip(&d, &symbols);
        let mut desc = Vec::new();
        let len = d.write(&mut desc);
        prop_assert_eq!(Distribution::read(&desc, log, 256).unwrap(), (d, len));
    }

    /// A stream coded with a table of other counts (every symbol present) still round-trips.
    #[test]
    fn any_valid_table_codes_any_present_symbols(
        probs_seed: u64,
        log in MIN_ACCURACY_LOG..=9u8,
        symbols in prop::collection::vec(0u8..20, 1..2000),
    ) {
        let weights: Vec<u32> =
            (0..20).map(|i| 1 + ((probs_seed >> (i % 60)) as u32 % 50)).collect();
        let d = Distribution::normalize(&weights, log).unwrap();
        round_trip(&d, &symbols);
    }
}

#[test]
fn predefined_tables_code_every_symbol() {
    for (name, d, _) in predefined() {
        let k = d.probabilities().len();
        let symbols: Vec<u8> = (0..5000).map(|i| ((i * 7 + i / 13) % k) as u8).collect();
        assert!(round_trip(&d, &symbols) > 0, "{name}");
    }
}

#[test]
fn single_symbol_costs_only_the_state() {
    for log in [MIN_ACCURACY_LOG, 9, MAX_ACCURACY_LOG] {
        let d = Distribution::normalize(&[0, 0, 0, 9], log).unwrap();
        let symbols = vec![3u8; 10_000];
        // The state (log bits) and the end marker.
        assert_eq!(round_trip(&d, &symbols), (usize::from(log) + 1).div_ceil(8));
    }
}

#[test]
fn rle_tables_cost_nothing() {
    let (enc, dec) = (EncodeTable::rle(42), DecodeTable::rle(42));
    let symbols = vec![42u8; 777];
    let stream = encode(&enc, &symbols);
    assert_eq!(stream, [1]);
    assert_eq!(decode(&dec, &stream, 777).unwrap(), (symbols, true));
}

#[test]
fn coded_size_is_close_to_the_entropy() {
    let weights: Vec<u32> = (0..30u32).map(|i| 1000 >> (i / 2)).collect();
    let symbols = draw(&weights, 200_000, 7);
    let counts = histogram(&symbols);
    let total = symbols.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| -f64::from(c) * (f64::from(c) / total).log2())
        .sum();
    for log in [9u8, 11] {
        let d = Distribution::normalize(&counts, log).unwrap();
        let bits = round_trip(&d, &symbols) as f64 * 8.0;
        assert!(
            bits < entropy * 1.01,
            "log {log}: {bits} bits, entropy {entropy}"
        );
        let estimate = d.cost_bits(&counts).unwrap() as f64;
        assert!(
            (bits - estimate).abs() < entropy * 0.01,
            "{bits} vs estimate {estimate}"
        );
    }
}

/// Three states with their own tables and raw fields of 0..=16 bits, in one stream, in the
/// order a sequence decoder uses: initial states a, b, c; per step the raw fields, then the
/// updates of a, c, b.
#[test]
fn interleaved_states_and_raw_fields_share_one_stream() {
    let n = 20_000;
    let a = draw(&[5, 1, 0, 9, 3, 1, 1], n, 1);
    let b = draw(&[1; 53], n, 2);
    let c = draw(&[100, 1, 1, 1, 1000, 0, 0, 0, 2], n, 3);
    let raw: Vec<(u64, u32)> = (0..n)
        .map(|i| {
            let bits = (i * 7 % 17) as u32;
            ((i as u64 * 0x9e37_79b9) & ((1 << bits) - 1), bits)
        })
        .collect();
    let dists = [
        Distribution::normalize(&histogram(&a), 7).unwrap(),
        Distribution::normalize(&histogram(&b), 9).unwrap(),
        Distribution::normalize(&histogram(&c), 5).unwrap(),
    ];
    let enc = dists.clone().map(|d| EncodeTable::new(&d));
    let dec = dists.map(|d| DecodeTable::new(&d));

    let mut w = BitWriter::new();
    let (mut sa, mut sb, mut sc) = (
        EncoderState::new(&enc[0], a[n - 1]),
        EncoderState::new(&enc[1], b[n - 1]),
        EncoderState::new(&enc[2], c[n - 1]),
    );
    w.write(raw[n - 1].0, raw[n - 1].1);
    for i in (0..n - 1).rev() {
        sb.encode(&mut w, b[i]);
        sc.encode(&mut w, c[i]);
        sa.encode(&mut w, a[i]);
        w.write(raw[i].0, raw[i].1);
    }
    sc.flush(&mut w);
    sb.flush(&mut w);
    sa.flush(&mut w);
    let stream = w.finish();

    let mut r = BitReader::new(&stream).unwrap();
    let mut da = DecoderState::new(&dec[0], &mut r);
    let mut db = DecoderState::new(&dec[1], &mut r);
    let mut dc = DecoderState::new(&dec[2], &mut r);
    r.refill();
    for i in 0..n {
        assert_eq!(
            (da.symbol(), db.symbol(), dc.symbol()),
            (a[i], b[i], c[i]),
            "step {i}"
        );
        assert_eq!(r.read(raw[i].1), raw[i].0, "raw field {i}");
        if i + 1 < n {
            da.update(&mut r);
            dc.update(&mut r);
            db.update(&mut r);
        }
        r.refill();
    }
    assert!(r.is_finished());
}

#[test]
fn one_mebibyte_with_two_states() {
    // Two states alternating over one 1 MiB stream of symbols with one table, the way a pair
    // of interleaved states speeds up decoding; the encoder flushes once per pair of symbols.
    let n = 1 << 20;
    let weights: Vec<u32> = (0..40u32).map(|i| 4000 / (i + 1)).collect();
    let symbols = draw(&weights, n, 11);
    let d = Distribution::normalize(&histogram(&symbols), 9).unwrap();
    let (enc, dec) = (EncodeTable::new(&d), DecodeTable::new(&d));
    let mut w = BitWriter::new();
    let mut s = [
        EncoderState::new(&enc, symbols[n - 2]),
        EncoderState::new(&enc, symbols[n - 1]),
    ];
    for i in (0..n - 2).rev() {
        s[i & 1].encode_unflushed(&mut w, symbols[i]);
        if i & 1 == 0 {
            w.flush();
        }
    }
    s[1].flush(&mut w);
    s[0].flush(&mut w);
    let stream = w.finish();
    let mut r = BitReader::new(&stream).unwrap();
    let mut st = [
        DecoderState::new(&dec, &mut r),
        DecoderState::new(&dec, &mut r),
    ];
    let mut out = Vec::with_capacity(n);
    for i in 0..n - 2 {
        out.push(st[i & 1].decode(&mut r));
        r.refill();
    }
    out.push(st[0].symbol());
    out.push(st[1].symbol());
    assert!(out == symbols);
    assert!(r.is_finished());
}

#[test]
fn a_stream_cut_at_its_start_is_always_detected() {
    let weights = [9u32, 3, 1, 1, 0, 7];
    let symbols = draw(&weights, 3000, 5);
    let d = Distribution::normalize(&histogram(&symbols), 8).unwrap();
    let stream = encode(&EncodeTable::new(&d), &symbols);
    let dec = DecodeTable::new(&d);
    // Reading goes from the end, so a stream missing its first bytes runs dry before the
    // symbols are all decoded: the reader overflows and is not finished.
    for cut in 1..stream.len() {
        let (_, finished) = decode(&dec, &stream[cut..], symbols.len()).unwrap();
        assert!(!finished, "cut {cut}");
    }
    // Extra bytes in front are left over.
    let longer = [&[0x5a][..], &stream].concat();
    assert!(!decode(&dec, &longer, symbols.len()).unwrap().1);
}

#[test]
fn damaged_streams_never_panic_and_give_valid_symbols() {
    let weights = [9u32, 3, 1, 1, 0, 7, 0, 0, 1];
    let symbols = draw(&weights, 500, 6);
    let d = Distribution::normalize(&histogram(&symbols), 6).unwrap();
    let stream = encode(&EncodeTable::new(&d), &symbols);
    let dec = DecodeTable::new(&d);
    let mut detected = 0;
    let mut cases = 0;
    for byte in 0..stream.len() {
        for bit in 0..8 {
            let mut bad = stream.clone();
            bad[byte] ^= 1 << bit;
            let Ok((out, finished)) = decode(&dec, &bad, symbols.len()) else {
                detected += 1; // the flip removed the end marker
                cases += 1;
                continue;
            };
            assert!(out.iter().all(|&s| d.probability(usize::from(s)) != 0));
            cases += 1;
            if !finished || out != symbols {
                detected += 1;
            }
        }
    }
    // A flipped bit always changes something: the symbols or where the stream ends.
    assert_eq!(detected, cases);
    // Streams of random bytes decoded with any table: no panic, only valid symbols.
    let mut x = 3u64;
    for len in 1..200usize {
        let junk: Vec<u8> = (0..len)
            .map(|_| {
                x = x.wrapping_mul(0x5851_f42d_4c95_7f2d).wrapping_add(11);
                (x >> 56) as u8
            })
            .collect();
        if let Ok((out, _)) = decode(&dec, &junk, 1 + len * 3) {
            assert!(out.iter().all(|&s| d.probability(usize::from(s)) != 0));
        }
    }
}
