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
    write_extras(&mut w, &extras[last]);
    for i in (0..last).rev() {
        // At most 56 bits between flushes: the three states take up to 26.
        w.flush();
        sof.encode_unflushed(&mut w, of[i]);
        sml.encode_unflushed(&mut w, ml[i]);
        sll.encode_unflushed(&mut w, ll[i]);
        write_extras(&mut w, &extras[i]);
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

/// Writes a sequence's extra bits, in the reverse of the order the decoder reads them (offset,
/// match length, literal length), after at most 26 bits since the last flush.
#[inline(always)]
fn write_extras(w: &mut BitWriter, e: &Extra) {
    let [bl, bm, bo] = e.bits.map(u32::from);
    if bl + bm + bo <= 30 {
        let v = u64::from(e.ll) | u64::from(e.ml) << bl | u64::from(e.of) << (bl + bm);
        w.write_unflushed(v, bl + bm + bo);
    } else {
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
    for log in MIN_ACCURACY_LOG..=f.max_log() {
        let Ok(d) = Distribution::normalize(counts, log) else {
            continue;
        };
        let Some(bits) = d.cost_bits(counts) else {
            continue;
        };
        description.clear();
        // The accuracy log's states, written at the end, cost about as much again as a
        // description bit each: counted so that small groups keep small tables.
        let bits = bits + 8 * d.write(description) as u64 + u64::from(log);
        if bits < best.0 {
            best = (bits, Choice::Described(d));
        }
    }
    best.1
}
