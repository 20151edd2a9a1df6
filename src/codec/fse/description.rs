//! The table description: a distribution in as few bits as RFC 8878 (section 4.1.1) lays it out.
//!
//! A forward little-endian bitstream: the accuracy log minus 5 in 4 bits, then the probability of
//! each symbol from 0 up to the last nonzero one, as `value = probability + 1`. A value is coded
//! in just enough bits for every value still possible, `0..=remaining + 1` where `remaining` is
//! the number of states not yet given out; the values that the top bit is not needed for cost
//! one bit less. A probability of 0 is followed by 2-bit repeat counts of further zero symbols
//! (a count of 3 means another count follows). The description ends when the states are all
//! given out, padded with zero bits to a whole byte.

use super::distribution::{check_log, highbit};
use super::{Distribution, FseError, MAX_ACCURACY_LOG, MAX_SYMBOLS, MIN_ACCURACY_LOG};

/// How a value in `0..=max` is coded: `bits` bits at most, and the `short` values
/// `0..short` in `bits - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ValueCode {
    bits: u32,
    short: u32,
}

impl ValueCode {
    /// The code for values `0..=max` (`max >= 1`).
    fn new(max: u32) -> Self {
        // The fewest bits that hold `max`; of the `2^bits` patterns, `2^bits - 1 - max` are not
        // needed, and that many values get the shorter code.
        let bits = highbit(max) + 1;
        ValueCode {
            bits,
            short: (1 << bits) - 1 - max,
        }
    }

    /// (pattern, width) of `value` (`value <= max`).
    fn encode(self, value: u32) -> (u32, u32) {
        let half = 1 << (self.bits - 1);
        if value < self.short {
            (value, self.bits - 1)
        } else if value < half {
            (value, self.bits)
        } else {
            // The low `bits - 1` bits of the pattern must not look like a short value.
            (value + self.short, self.bits)
        }
    }

    /// (value, width) coded at the start of `pattern` (its low `bits` bits; more are ignored).
    fn decode(self, pattern: u32) -> (u32, u32) {
        let half = 1 << (self.bits - 1);
        let low = pattern & (half - 1);
        if low < self.short {
            return (low, self.bits - 1);
        }
        let full = pattern & ((half << 1) - 1);
        let value = if full >= half {
            full - self.short
        } else {
            full
        };
        (value, self.bits)
    }
}

/// Reads little-endian bit fields from a byte slice, front to back.
struct FieldReader<'a> {
    data: &'a [u8],
    bit: usize,
}

impl FieldReader<'_> {
    /// The next up to 16 bits without consuming them; bits past the end read as zero.
    fn peek(&self) -> u32 {
        let byte = self.bit >> 3;
        let mut word = 0u32;
        for k in 0..3 {
            if let Some(&b) = self.data.get(byte + k) {
                word |= u32::from(b) << (8 * k);
            }
        }
        (word >> (self.bit & 7)) & 0xffff
    }

    /// Consumes `n` bits of the field that starts here, if the input has them.
    fn skip(&mut self, n: u32) -> Result<(), FseError> {
        let end = self.bit + n as usize;
        if end > self.data.len() * 8 {
            return Err(FseError::Truncated { bit: self.bit });
        }
        self.bit = end;
        Ok(())
    }

    /// Reads an `n`-bit field (`n <= 16`).
    fn take(&mut self, n: u32) -> Result<u32, FseError> {
        let v = self.peek() & ((1 << n) - 1);
        self.skip(n)?;
        Ok(v)
    }
}

/// Appends little-endian bit fields to a byte vector.
struct FieldWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u32,
    used: u32,
}

impl FieldWriter<'_> {
    fn put(&mut self, value: u32, n: u32) {
        self.acc |= value << self.used;
        self.used += n;
        while self.used >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.used -= 8;
        }
    }

    fn finish(self) {
        if self.used > 0 {
            self.out.push(self.acc as u8);
        }
    }
}

impl Distribution {
    /// Reads a table description from the start of `input`; returns the distribution and the
    /// number of bytes the description takes.
    ///
    /// `max_log` caps the accuracy log (at most [`MAX_ACCURACY_LOG`]); `max_symbols` is the size
    /// of the alphabet (at most [`MAX_SYMBOLS`]): a description that goes on to a symbol
    /// `>= max_symbols` is refused as soon as it does. Every value read is bounded by the states
    /// still free, so the total can only come out exact; a description cut short is
    /// [`FseError::Truncated`] with the bit where the missing field starts (a caller that gets
    /// its input in pieces can try again with more). The result depends on the description's
    /// own bytes only, not on what follows them; nothing is allocated.
    pub fn read(
        input: &[u8],
        max_log: u8,
        max_symbols: usize,
    ) -> Result<(Distribution, usize), FseError> {
        let max_log = max_log.min(MAX_ACCURACY_LOG);
        let max_symbols = max_symbols.min(MAX_SYMBOLS);
        let mut r = FieldReader {
            data: input,
            bit: 0,
        };
        let log = r.take(4)? as u8 + MIN_ACCURACY_LOG;
        check_log(log, max_log)?;
        let mut probs = [0i16; MAX_SYMBOLS];
        let mut remaining = 1u32 << log;
        let mut symbol = 0usize;
        while remaining > 0 {
            let start = r.bit;
            if symbol >= max_symbols {
                return Err(FseError::TooManySymbols {
                    bit: start,
                    max: max_symbols,
                });
            }
            let (value, width) = ValueCode::new(remaining + 1).decode(r.peek());
            r.skip(width)?;
            // value <= remaining + 1, so the probability never overdraws what is left.
            let probability = value as i32 - 1;
            probs[symbol] = probability as i16;
            symbol += 1;
            remaining -= probability.unsigned_abs();
            if probability == 0 {
                loop {
                    let flag_at = r.bit;
                    let repeat = r.take(2)? as usize;
                    symbol += repeat;
                    // States are left, so a symbol must follow the zeros.
                    if symbol >= max_symbols {
                        return Err(FseError::TooManySymbols {
                            bit: flag_at,
                            max: max_symbols,
                        });
                    }
                    if repeat < 3 {
                        break;
                    }
                }
            }
        }
        Ok((
            Distribution::from_parts(probs, symbol, log),
            r.bit.div_ceil(8),
        ))
    }

    /// Appends the table description of this distribution to `out`; returns its length in bytes.
    pub fn write(&self, out: &mut Vec<u8>) -> usize {
        let start = out.len();
        let mut w = FieldWriter {
            out,
            acc: 0,
            used: 0,
        };
        let log = self.accuracy_log();
        w.put(u32::from(log - MIN_ACCURACY_LOG), 4);
        let probs = self.probabilities();
        let mut remaining = 1u32 << log;
        let mut s = 0;
        while s < probs.len() {
            let p = probs[s];
            let (pattern, width) = ValueCode::new(remaining + 1).encode((p + 1) as u32);
            w.put(pattern, width);
            remaining -= u32::from(p.unsigned_abs());
            s += 1;
            if p == 0 {
                let mut run = probs[s..].iter().take_while(|&&q| q == 0).count();
                s += run;
                while run >= 3 {
                    w.put(3, 2);
                    run -= 3;
                }
                w.put(run as u32, 2);
            }
        }
        w.finish();
        out.len() - start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of RFC 8878 section 4.1.1: accuracy log 8 with 100 states given out,
    /// so values 0..=157 are possible: 0..=97 take 7 bits, the rest 8.
    #[test]
    fn value_code_matches_the_rfc_example() {
        let code = ValueCode::new(256 - 100 + 1);
        assert_eq!(code, ValueCode { bits: 8, short: 98 });
        for read in 0..256u32 {
            let (value, width) = code.decode(read);
            let want = match read {
                0..=97 => (read, 7),
                98..=127 => (read, 8),
                128..=225 => (read - 128, 7),
                _ => (read - 98, 8),
            };
            assert_eq!((value, width), want, "pattern {read}");
        }
        for value in 0..=157 {
            let (pattern, width) = code.encode(value);
            assert_eq!(code.decode(pattern), (value, width));
        }
    }

    #[test]
    fn value_code_round_trips_every_range() {
        for max in 1..=(1 << 12) + 1 {
            let code = ValueCode::new(max);
            assert!(1 << code.bits > max && 1 << (code.bits - 1) <= max);
            for value in 0..=max {
                let (pattern, width) = code.encode(value);
                assert!(pattern < 1 << width);
                // Whatever follows the field must not change it.
                let noisy = pattern | (0xffff << width & 0xffff);
                assert_eq!(
                    code.decode(noisy),
                    (value, width),
                    "max {max} value {value}"
                );
            }
        }
    }

    fn round_trip(d: &Distribution) -> Vec<u8> {
        let mut out = vec![0xaa];
        let n = d.write(&mut out);
        assert_eq!(n, out.len() - 1);
        let (back, used) = Distribution::read(&out[1..], 12, 256).unwrap();
        assert_eq!(used, n);
        assert_eq!(&back, d);
        // Bytes after the description are not read.
        let mut longer = out[1..].to_vec();
        longer.extend_from_slice(&[0xff; 5]);
        assert_eq!(
            Distribution::read(&longer, 12, 256).unwrap(),
            (d.clone(), n)
        );
        out.split_off(1)
    }

    #[test]
    fn hand_checked_layout() {
        // log 5: 4 bits 0000. Symbol 0, p=16: max 33, 6 bits, 30 short values; value 17 is
        // 17 in 5 bits. remaining 16 -> max 17: 5 bits, 14 short; symbol 1 p=0 (value 1):
        // 4 bits 0001, repeat 0 (2 bits). Symbol 2 p=16 (value 17 of max 17): 5 bits, 17 + 14
        // = 31 = 11111.
        let d = Distribution::new(&[16, 0, 16], 5).unwrap();
        // Fields from bit 0: 0 (4 bits), 17 (5 bits), 1 (4 bits), repeat 0 (2 bits), 31 (5 bits).
        let bits: u32 = (17 << 4) | (1 << 9) | (31 << 15);
        let want = bits.to_le_bytes()[..3].to_vec(); // 20 bits -> 3 bytes
        assert_eq!(round_trip(&d), want);
    }

    #[test]
    fn zero_runs_use_repeat_flags() {
        for gap in [1usize, 2, 3, 4, 5, 6, 7, 100, 250] {
            let mut p = vec![0i16; gap + 2];
            p[0] = 20;
            p[gap + 1] = 12;
            let d = Distribution::new(&p, 5).unwrap();
            let bytes = round_trip(&d);
            // A zero and its run: the zero's value plus 2 bits per 3 further zeros, rounded up.
            assert!(bytes.len() <= 3 + gap.div_ceil(12), "gap {gap}: {bytes:?}");
        }
    }

    #[test]
    fn limits_are_enforced() {
        let mut p = vec![0i16; 53];
        p[0] = 500;
        p[52] = 12;
        let d = Distribution::new(&p, 9).unwrap();
        let mut out = Vec::new();
        d.write(&mut out);
        assert!(Distribution::read(&out, 9, 53).is_ok());
        assert_eq!(
            Distribution::read(&out, 8, 53).unwrap_err(),
            FseError::AccuracyLog { log: 9, max: 8 }
        );
        assert!(matches!(
            Distribution::read(&out, 9, 52).unwrap_err(),
            FseError::TooManySymbols { max: 52, .. }
        ));
        // The zero run itself already passes the alphabet.
        assert!(matches!(
            Distribution::read(&out, 9, 20).unwrap_err(),
            FseError::TooManySymbols { max: 20, .. }
        ));
        // Accuracy log 5 + 15 = 20 is refused from the first byte alone.
        assert_eq!(
            Distribution::read(&[0x0f], 12, 256).unwrap_err(),
            FseError::AccuracyLog { log: 20, max: 12 }
        );
        assert_eq!(
            Distribution::read(&[], 12, 256).unwrap_err(),
            FseError::Truncated { bit: 0 }
        );
    }

    #[test]
    fn every_truncation_is_refused() {
        let mut samples = vec![
            Distribution::new(&[16, 0, 16], 5).unwrap(),
            Distribution::new(&[1, 1, 1, 1, -1, 0, 0, 0, 0, 0, 2000, 43], 11).unwrap(),
            Distribution::new(&[-1; 32], 5).unwrap(),
        ];
        let counts: Vec<u32> = (0..200u32).map(|i| (i * 7919) % 1000).collect();
        for log in [8, 9, 12] {
            samples.push(Distribution::normalize(&counts, log).unwrap());
        }
        for d in &samples {
            let mut out = Vec::new();
            let n = d.write(&mut out);
            for cut in 0..n {
                match Distribution::read(&out[..cut], 12, 256) {
                    Err(FseError::Truncated { bit }) => assert!(bit <= cut * 8),
                    other => panic!("cut {cut} of {n}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn random_bytes_never_panic_and_what_is_accepted_is_valid() {
        let mut x = 99u64;
        let mut accepted = 0;
        for round in 0..20_000 {
            let len = round % 40;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x = x
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    (x >> 56) as u8
                })
                .collect();
            let max_log = 5 + (round % 8) as u8;
            let max_symbols = [1, 2, 36, 53, 256][round % 5];
            if let Ok((d, used)) = Distribution::read(&bytes, max_log, max_symbols) {
                accepted += 1;
                assert!(used >= 1 && used <= bytes.len());
                assert!(d.accuracy_log() <= max_log);
                assert!(usize::from(d.max_symbol()) < max_symbols);
                let again = Distribution::new(d.probabilities(), d.accuracy_log()).unwrap();
                assert_eq!(again, d);
                // Our own description of it reads back the same, and is no longer (it may be
                // shorter: the reader also takes a zero run split over several zero symbols).
                let mut mine = Vec::new();
                let n = d.write(&mut mine);
                assert!(n <= used, "{n} > {used}");
                assert_eq!(
                    Distribution::read(&mine, max_log, max_symbols).unwrap(),
                    (d, n)
                );
            }
        }
        assert!(accepted > 100, "only {accepted} accepted");
    }
}
