//! The `fse` target: the tANS table description reader, table building and the backward
//! bitstream.

use super::{binary, random, text};
use sigmalang::codec;

/// The flags byte of an `fse` input: accuracy-log limit (bits 0–2: 5 + value) and alphabet size
/// (bits 3–4: 36, 53, 32 or 256 symbols).
fn fse_limits(flags: u8) -> (u8, usize) {
    (
        5 + (flags & 7),
        [36, 53, 32, 256][usize::from(flags >> 3) & 3],
    )
}

/// Codes `symbols` with two alternating states of `table` and a raw field after each symbol
/// (`raw[i]` in `raw_bits` bits), then decodes them back: must give the same symbols and use the
/// stream up exactly.
fn fse_round_trip(dist: &codec::fse::Distribution, symbols: &[u8], raw: &[u8], raw_bits: u32) {
    use codec::fse::{BitReader, BitWriter, DecodeTable, DecoderState, EncodeTable, EncoderState};
    let n = symbols.len();
    if n < 2 {
        return;
    }
    let enc = EncodeTable::new(dist);
    let mut w = BitWriter::new();
    // State `i & 1` decodes symbol `i`: each starts (encodes backwards from) its last symbol.
    let last = |parity: usize| symbols[if (n - 1) & 1 == parity { n - 1 } else { n - 2 }];
    let mut st = [
        EncoderState::new(&enc, last(0)),
        EncoderState::new(&enc, last(1)),
    ];
    for i in (0..n).rev() {
        w.write(u64::from(raw[i]), raw_bits);
        if i + 2 < n {
            if i & 1 == 0 {
                st[0].encode(&mut w, symbols[i]);
            } else {
                // The batched form: room first, then a field of at most 12 bits.
                w.flush();
                st[1].encode_unflushed(&mut w, symbols[i]);
            }
        }
    }
    let [s0, s1] = st;
    s1.flush(&mut w);
    s0.flush(&mut w);
    let stream = w.finish();

    let dec = DecodeTable::new(dist);
    let mut r = BitReader::new(&stream).expect("own stream has its end marker");
    let mut st = [
        DecoderState::new(&dec, &mut r),
        DecoderState::new(&dec, &mut r),
    ];
    for i in 0..n {
        let s = if i + 2 < n {
            st[i & 1].decode(&mut r)
        } else {
            st[i & 1].symbol()
        };
        assert_eq!(s, symbols[i], "fse round trip: symbol {i} of {n}");
        let mask = (1u64 << raw_bits) - 1;
        assert_eq!(r.read(raw_bits), u64::from(raw[i]) & mask, "raw field {i}");
        r.refill();
    }
    assert!(
        r.is_finished(),
        "fse round trip: {} bits left",
        r.bits_left()
    );
}

/// Input: `[flags][table description][bitstream…]`, flags as in `fse_limits`.
///
/// (1) `Distribution::read` with those limits must not panic; what it accepts must be within the
/// limits, consume no more than the input, be a valid distribution and read back the same from
/// our own description of it. Its tables then decode the bytes after the description as a
/// bitstream with two interleaved states (up to 4096 symbols or until the reader overflows):
/// no panic, only symbols of nonzero probability. The same bytes, mapped onto the present
/// symbols, must round-trip through the table.
/// (2) The bytes after the flags, taken as symbols modulo the alphabet, are normalized at the
/// flags' accuracy log (raised until every symbol fits) and must round-trip with two states and
/// raw fields in between.
pub fn check_fse(input: &[u8]) {
    use codec::fse::{BitReader, DecodeTable, DecoderState, Distribution};
    let Some((&flags, body)) = input.split_first() else {
        return;
    };
    let (max_log, alphabet) = fse_limits(flags);
    if let Ok((dist, used)) = Distribution::read(body, max_log, alphabet) {
        assert!(
            used >= 1 && used <= body.len(),
            "consumed {used} of {}",
            body.len()
        );
        let log = dist.accuracy_log();
        assert!(log <= max_log && usize::from(dist.max_symbol()) < alphabet);
        assert_eq!(
            Distribution::new(dist.probabilities(), log).as_ref(),
            Ok(&dist)
        );
        let mut mine = Vec::new();
        let len = dist.write(&mut mine);
        assert!(len <= used, "own description {len} > {used} bytes");
        assert_eq!(
            Distribution::read(&mine, max_log, alphabet),
            Ok((dist.clone(), len))
        );

        let rest = &body[used..];
        let dec = DecodeTable::new(&dist);
        if let Ok(mut r) = BitReader::new(rest) {
            let mut st = [
                DecoderState::new(&dec, &mut r),
                DecoderState::new(&dec, &mut r),
            ];
            for i in 0..4096 {
                let s = st[i & 1].decode(&mut r);
                assert!(
                    dist.probability(usize::from(s)) != 0,
                    "decoded absent symbol {s}"
                );
                r.refill();
                if r.is_overflowed() {
                    break;
                }
            }
            let _ = r.is_finished();
        }
        let present: Vec<u8> = (0..=dist.max_symbol())
            .filter(|&s| dist.probability(usize::from(s)) != 0)
            .collect();
        let symbols: Vec<u8> = rest
            .iter()
            .map(|&b| present[usize::from(b) % present.len()])
            .collect();
        fse_round_trip(&dist, &symbols, rest, u32::from(flags >> 5));
    }

    let symbols: Vec<u8> = body
        .iter()
        .map(|&b| (usize::from(b) % alphabet) as u8)
        .collect();
    let mut counts = vec![0u32; alphabet];
    for &s in &symbols {
        counts[usize::from(s)] += 1;
    }
    let present = counts.iter().filter(|&&c| c > 0).count();
    if present == 0 {
        return;
    }
    let mut log = max_log;
    while (1usize << log) < present {
        log += 1;
    }
    let dist = Distribution::normalize(&counts, log).expect("counts fit the table");
    fse_round_trip(&dist, &symbols, body, 8);
}

/// Seeds of the `fse` target: the predefined distributions and normalized ones with their coded
/// streams, a single-symbol table, and plain data.
pub(super) fn fse_seeds() -> Vec<Vec<u8>> {
    use codec::fse::{self, BitWriter, Distribution, EncodeTable, EncoderState};
    let mut out = Vec::new();
    let mut dists = vec![
        Distribution::new(
            &fse::LITERAL_LENGTH_DEFAULT,
            fse::LITERAL_LENGTH_DEFAULT_LOG,
        ),
        Distribution::new(&fse::MATCH_LENGTH_DEFAULT, fse::MATCH_LENGTH_DEFAULT_LOG),
        Distribution::new(&fse::OFFSET_DEFAULT, fse::OFFSET_DEFAULT_LOG),
        Distribution::new(&[0, 0, 0, 512], 9),
    ];
    for (k, log) in [(0u64, 7u8), (1, 9), (2, 12)] {
        let mut counts = [0u32; 256];
        for b in text(2000, 20 + k) {
            counts[usize::from(b)] += 1;
        }
        dists.push(Distribution::normalize(&counts, log));
    }
    for (k, d) in dists.into_iter().enumerate() {
        let d = d.expect("seed distribution");
        let mut input = vec![0x1f | ((k as u8 % 4) << 5)]; // log limit 12, 256 symbols
        d.write(&mut input);
        // A stream that the two decoding states read as symbols: coded symbols of the table.
        let present: Vec<u8> = (0..=d.max_symbol())
            .filter(|&s| d.probability(usize::from(s)) != 0)
            .collect();
        let symbols: Vec<u8> = (0..300)
            .map(|i| present[(i * 7 + i / 5) % present.len()])
            .collect();
        let enc = EncodeTable::new(&d);
        let mut w = BitWriter::new();
        let mut s = EncoderState::new(&enc, symbols[0]);
        for &x in &symbols[1..] {
            s.encode(&mut w, x);
        }
        s.flush(&mut w);
        input.extend(w.finish());
        out.push(input);
    }
    out.push([&[0x07u8][..], &text(500, 30)].concat());
    out.push([&[0x18u8][..], &binary(300, 31)].concat());
    out.push([&[0xe5u8][..], &random(100, 32)].concat());
    out
}
