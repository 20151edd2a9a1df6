//! Writes the sequences layout: the literal section, then the sequences in groups, each group with
//! the cheapest table of each field and one backward bitstream.

use super::{Field, Seq, GROUP};
use crate::codec::fse::{BitWriter, Distribution, EncodeTable, EncoderState, MIN_ACCURACY_LOG};
use crate::codec::huffman;

/// The table a field used in the previous group (what table mode 3, repeat, reuses).
#[derive(Clone)]
// Inline on purpose: choosing a table per group must not allocate.
#[allow(clippy::large_enum_variant)]
enum Table {
    Dist(Distribution),
    Single(u8),
}

/// How a group codes one field (docs/FORMAT.md, "Table modes").
#[allow(clippy::large_enum_variant)]
enum Choice {
    Predefined,
    Single(u8),
    Described(Distribution),
    Repeat,
}

impl Choice {
    fn mode(&self) -> u8 {
        match self {
            Choice::Predefined => 0,
            Choice::Single(_) => 1,
            Choice::Described(_) => 2,
            Choice::Repeat => 3,
        }
    }
}

/// The writer's reusable buffers and tables (one per thread, in the match finder).
pub(crate) struct Scratch {
    /// The codes of a group's sequences: literal length, offset, match length.
    codes: Box<[[u8; GROUP]; 3]>,
    extras: Box<[Extra; GROUP]>,
    tables: [EncodeTable; 3],
    prev: [Option<Table>; 3],
    description: Vec<u8>,
}

impl Default for Scratch {
    fn default() -> Self {
        let t = || EncodeTable::rle(0);
        Scratch {
            codes: Box::new([[0; GROUP]; 3]),
            extras: Box::new([Extra::default(); GROUP]),
            tables: [t(), t(), t()],
            prev: [None, None, None],
            description: Vec::new(),
        }
    }
}

/// Appends the sequences layout of a segment to `out`: `lits` are all its literal bytes in order,
/// `seqs` its sequences (the literals after the last one end the segment).
pub(crate) fn write(
    lits: &[u8],
    seqs: &[Seq],
    s: &mut Scratch,
    huff: &mut huffman::Scratch,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(&(lits.len() as u32).to_le_bytes());
    huffman::encode(lits, huff, out);
    out.extend_from_slice(&(seqs.len() as u32).to_le_bytes());
    s.prev = [None, None, None];
    for group in seqs.chunks(GROUP) {
        write_group(group, s, out);
    }
}

#[multiversion::multiversion(targets("x86_64+avx2+bmi1+bmi2+lzcnt+popcnt"))]
fn write_group(group: &[Seq], s: &mut Scratch, out: &mut Vec<u8>) {
    let mut counts = [[0u32; 64]; 3];
    let [ll, of, ml] = &mut *s.codes;
    for (i, q) in group.iter().enumerate() {
        let [(llc, llx, llb), (ofc, ofx, ofb), (mlc, mlx, mlb)] = q.fields();
        ll[i] = llc;
        of[i] = ofc;
        ml[i] = mlc;
        counts[0][usize::from(llc)] += 1;
        counts[1][usize::from(ofc)] += 1;
        counts[2][usize::from(mlc)] += 1;
        s.extras[i] = Extra {
            ll: llx,
            ml: mlx,
            of: ofx,
            bits: [llb as u8, mlb as u8, ofb as u8],
        };
    }
    let modes_at = out.len();
    out.push(0);
    let mut modes = 0u8;
    for f in Field::ALL {
        let i = f as usize;
        let counts = &counts[i][..f.symbols()];
        let choice = choose(f, counts, s.prev[i].as_ref(), &mut s.description);
        modes |= choice.mode() << (2 * i);
        match choice {
            Choice::Predefined => {
                s.tables[i].rebuild(f.predefined());
                s.prev[i] = Some(Table::Dist(f.predefined().clone()));
            }
            Choice::Single(sym) => {
                out.push(sym);
                s.tables[i].set_rle(sym);
                s.prev[i] = Some(Table::Single(sym));
            }
            Choice::Described(d) => {
                d.write(out);
                s.tables[i].rebuild(&d);
                s.prev[i] = Some(Table::Dist(d));
            }
            Choice::Repeat => {}
        }
    }
    out[modes_at] = modes;

    let len_at = out.len();
    out.extend_from_slice(&[0; 4]);
    let mut w = BitWriter::with_buffer(std::mem::take(out));
    let [ll, of, ml] = &*s.codes;
    let [tll, tof, tml] = &s.tables;
    let extras = &s.extras[..];
    let last = group.len() - 1;
    let mut sll = EncoderState::new(tll, ll[last]);
    let mut sof = EncoderState::new(tof, of[last]);
    let mut sml = EncoderState::new(tml, ml[last]);
    w.flush();
    write_extras(&mut w, &extras[last], 0, 0);
    for i in (0..last).rev() {
        // At most 56 bits between flushes: the three states take up to 26.
        w.flush();
        let (v0, n0) = sof.encode_bits(of[i]);
        let (v1, n1) = sml.encode_bits(ml[i]);
        let (v2, n2) = sll.encode_bits(ll[i]);
        write_extras(
            &mut w,
            &extras[i],
            v0 | v1 << n0 | v2 << (n0 + n1),
            n0 + n1 + n2,
        );
    }
    w.flush();
    sml.flush(&mut w);
    sof.flush(&mut w);
    sll.flush(&mut w);
    *out = w.finish();
    let len = (out.len() - len_at - 4) as u32;
    out[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
}

/// A sequence's extra bits: values and bit counts (literal length, match length, offset).
#[derive(Clone, Copy, Debug, Default)]
struct Extra {
    ll: u32,
    ml: u32,
    of: u32,
    bits: [u8; 3],
}

/// Writes the `n` bits `states` of a sequence's state updates (at most 26, written first), then
/// its extra bits in the reverse of the order the decoder reads them (offset, match length,
/// literal length); right after a flush.
#[inline(always)]
fn write_extras(w: &mut BitWriter, e: &Extra, states: u64, n: u32) {
    let [bl, bm, bo] = e.bits.map(u32::from);
    if bl + bm + bo <= 30 {
        let v = u64::from(e.ll) | u64::from(e.ml) << bl | u64::from(e.of) << (bl + bm);
        w.write_exact_unflushed(states | v << n, n + bl + bm + bo);
    } else {
        w.write_exact_unflushed(states, n);
        w.flush();
        w.write_unflushed(u64::from(e.ll), bl);
        w.write_unflushed(u64::from(e.ml), bm);
        w.flush();
        w.write_unflushed(u64::from(e.of), bo);
    }
}

/// The cheapest way to code a field whose codes in this group have `counts`: estimated bits of
/// the codes plus those of the table description.
fn choose(f: Field, counts: &[u32], prev: Option<&Table>, description: &mut Vec<u8>) -> Choice {
    let mut present = counts.iter().enumerate().filter(|(_, &c)| c > 0);
    let (first, _) = present.next().expect("a group has at least one sequence");
    if present.next().is_none() {
        return match prev {
            Some(Table::Single(s)) if usize::from(*s) == first => Choice::Repeat,
            _ => Choice::Single(first as u8),
        };
    }
    let mut best = (u64::MAX, Choice::Predefined);
    if let Some(bits) = f.predefined().cost_bits(counts) {
        best = (bits, Choice::Predefined);
    }
    if let Some(Table::Dist(d)) = prev {
        if let Some(bits) = d.cost_bits(counts) {
            if bits < best.0 {
                best = (bits, Choice::Repeat);
            }
        }
    }
    // From the largest table down, while the total keeps falling: the codes cost more bits at
    // each smaller log and the description fewer, so the total has one minimum.
    let mut last = u64::MAX;
    for log in (MIN_ACCURACY_LOG..=f.max_log()).rev() {
        let Ok(d) = Distribution::normalize(counts, log) else {
            break;
        };
        let Some(bits) = d.cost_bits(counts) else {
            break;
        };
        description.clear();
        // The accuracy log's states, written at the end, cost about as much again as a
        // description bit each: counted so that small groups keep small tables.
        let bits = bits + 8 * d.write(description) as u64 + u64::from(log);
        if bits >= last {
            break;
        }
        last = bits;
        if bits < best.0 {
            best = (bits, Choice::Described(d));
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The total `choose` weighs for a described table of accuracy log `log`.
    fn described_bits(counts: &[u32], log: u8) -> Option<u64> {
        let d = Distribution::normalize(counts, log).ok()?;
        let mut description = Vec::new();
        Some(d.cost_bits(counts)? + 8 * d.write(&mut description) as u64 + u64::from(log))
    }

    #[test]
    fn the_described_table_is_about_the_cheapest_of_every_accuracy_log() {
        // Histograms of groups from 2 to 4096 sequences, skewed and flat, over a few symbols to
        // all of them. The search from the largest log down stops at the first rise, which
        // misses the cheapest log now and then (the total is not always convex): by at most 28
        // bits in these 3000 cases, 0.003% of their total.
        let mut x = 0x9e37_79b9u32;
        let (mut got_sum, mut best_sum) = (0u64, 0u64);
        for case in 0..3000 {
            let f = Field::ALL[case % 3];
            let symbols = 2 + (case / 3) % (f.symbols() - 1);
            let total = 2 + (case * 37) % 4095;
            let mut counts = vec![0u32; f.symbols()];
            for _ in 0..total {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let r = (x % 1000) as usize;
                let s = if case % 2 == 0 {
                    r * r / 1000 * symbols / 1000
                } else {
                    r % symbols
                };
                counts[s] += 1;
            }
            let Choice::Described(d) = choose(f, &counts, None, &mut Vec::new()) else {
                continue;
            };
            let got = described_bits(&counts, d.accuracy_log()).unwrap();
            let best = (MIN_ACCURACY_LOG..=f.max_log())
                .filter_map(|log| described_bits(&counts, log))
                .min()
                .unwrap();
            assert!(got <= best + 40, "case {case}: {got} bits, {best} at best");
            got_sum += got;
            best_sum += best;
        }
        assert!(best_sum > 1_000_000);
        assert!(
            got_sum * 10_000 <= best_sum * 10_001,
            "{got_sum} vs {best_sum}"
        );
    }
}
