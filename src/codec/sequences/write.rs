//! Writes the sequences layout: the literal section, then the sequences in groups, each group with
//! the cheapest table of each field and one backward bitstream.

use super::{Field, Seq, GROUP};
use crate::codec::fse::{
    BitWriter, Distribution, EncodeTable, EncoderState, Reserved, MIN_ACCURACY_LOG,
};
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
    /// The group's sequences as they are coded.
    coded: Box<[Coded; GROUP]>,
    /// The tables of the three fields, side by side.
    tables: Box<[EncodeTable; 3]>,
    prev: [Option<Table>; 3],
    description: Vec<u8>,
}

impl Default for Scratch {
    fn default() -> Self {
        let t = || EncodeTable::rle(0);
        Scratch {
            coded: Box::new([Coded::default(); GROUP]),
            tables: Box::new([t(), t(), t()]),
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
    let mut extra_bits = 0u64;
    for (c, q) in s.coded.iter_mut().zip(group) {
        let [(llc, llx, llb), (ofc, ofx, ofb), (mlc, mlx, mlb)] = q.fields();
        // Codes are below 64 (the mask only spares the bounds checks).
        counts[0][usize::from(llc) & 63] += 1;
        counts[1][usize::from(ofc) & 63] += 1;
        counts[2][usize::from(mlc) & 63] += 1;
        // The extra bits in the order they are written, packed in one field (the shifts stay
        // below 64: a length has at most 26 extra bits); used where they fit.
        let bits = llb + mlb + ofb;
        extra_bits += u64::from(bits);
        *c = Coded {
            extra: u64::from(llx) | u64::from(mlx) << llb | u64::from(ofx) << (llb + mlb),
            bits: if bits <= MAX_PACKED { bits as u8 } else { LONG },
            codes: [llc, ofc, mlc],
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
    let [tll, tof, tml] = &*s.tables;
    let coded = &s.coded[..group.len()];
    let last = group.len() - 1;
    let [ll, of, ml] = coded[last].codes;
    let mut sll = EncoderState::new(tll, ll);
    let mut sof = EncoderState::new(tof, of);
    let mut sml = EncoderState::new(tml, ml);
    w.flush();
    // Room for the group's bits: its extra bits exactly, and the most its state updates can
    // take (each at most its table's accuracy log).
    let logs: u64 = s.tables.iter().map(|t| u64::from(t.accuracy_log())).sum();
    let bits = extra_bits + group.len() as u64 * logs;
    w.with_room(bits.div_ceil(8) as usize, |r| {
        write_extras(r, &coded[last], &group[last], 0, 0);
        for (c, q) in coded[..last].iter().zip(group).rev() {
            // At most 63 bits between flushes: 7 left over, the three states' 26 and 30 more.
            r.flush();
            let [ll, of, ml] = c.codes;
            let (v0, n0) = sof.encode_bits(of);
            let (v1, n1) = sml.encode_bits(ml);
            let (v2, n2) = sll.encode_bits(ll);
            write_extras(r, c, q, v0 | v1 << n0 | v2 << (n0 + n1), n0 + n1 + n2);
        }
    });
    w.flush();
    sml.flush(&mut w);
    sof.flush(&mut w);
    sll.flush(&mut w);
    *out = w.finish();
    let len = (out.len() - len_at - 4) as u32;
    out[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
}

/// A sequence as the writer codes it: its three codes (literal length, offset, match length) and
/// its extra bits.
#[derive(Clone, Copy, Debug, Default)]
struct Coded {
    /// The extra bits of the literal length, then those of the match length, then those of the
    /// offset (in the reverse of the order the decoder reads them), when `bits` is not [`LONG`].
    extra: u64,
    /// How many bits `extra` holds, or [`LONG`] for more than [`MAX_PACKED`].
    bits: u8,
    codes: [u8; 3],
}

/// Most extra bits of a sequence written in one piece with its state updates: a flush leaves at
/// most 7 bits in the accumulator, the states take up to 26, and the 64 bits hold 30 more.
const MAX_PACKED: u32 = 30;
/// [`Coded::bits`] of a sequence with more extra bits (long copies, far offsets): they are
/// written in parts.
const LONG: u8 = u8::MAX;

/// Writes the `n` bits `states` of a sequence's state updates (at most 26, written first), then
/// its extra bits; right after a flush. `q` is the sequence `c` codes.
#[inline(always)]
fn write_extras(w: &mut Reserved<'_>, c: &Coded, q: &Seq, states: u64, n: u32) {
    if c.bits != LONG {
        w.write_exact_unflushed(states | c.extra << n, n + u32::from(c.bits));
    } else {
        write_long(w, q, states, n);
    }
}

/// [`write_extras`] of a sequence with more than [`MAX_PACKED`] extra bits. Inlined although
/// rare: a call would take the writer's address, and the writer could then no longer live in
/// registers.
#[inline(always)]
fn write_long(w: &mut Reserved<'_>, q: &Seq, states: u64, n: u32) {
    let [(_, llx, llb), (_, ofx, ofb), (_, mlx, mlb)] = q.fields();
    w.write_exact_unflushed(states, n);
    w.flush();
    w.write_unflushed(u64::from(llx), llb);
    w.write_unflushed(u64::from(mlx), mlb);
    w.flush();
    w.write_unflushed(u64::from(ofx), ofb);
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
