//! Decodes the sequences layout (docs/FORMAT.md, "Sequences layout").
//!
//! Every count, table and length is checked before it is used: a count the payload cannot hold
//! is refused before anything is allocated, a copy must stay inside the segment, and each group's
//! bitstream must be used exactly to its first bit.

use super::{Field, GROUP, LENGTH_CODES, MIN_MATCH, NEW_CODE, RUN_CODE};
use crate::codec::decode::{copy_match, section, u32_field};
use crate::codec::fse::{BitReader, DecodeTable, Distribution, FseError};
use crate::codec::{push_offset, use_slot, INITIAL_OFFSETS};
use crate::error::{CodecError, Pos};

/// The decoder's per-thread state: the literals and the three tables.
struct Scratch {
    lits: Vec<u8>,
    tables: [DecodeTable; 3],
    cells: Cells,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch {
        lits: Vec::new(),
        tables: [DecodeTable::rle(0), DecodeTable::rle(0), DecodeTable::rle(0)],
        cells: Cells::default(),
    });
}

const SECTION: &str = "sequences";

fn bad(field: impl Into<String>, at: usize, what: impl Into<String>) -> CodecError {
    CodecError::BadSection {
        section: SECTION,
        field: field.into(),
        at,
        what: what.into(),
    }
}

/// Decodes a sequences-layout payload into `out`, which ends up holding exactly `raw_len` bytes
/// (its contents are unspecified after an error).
pub(crate) fn decode(input: &[u8], out: &mut Vec<u8>, raw_len: usize) -> Result<(), CodecError> {
    SCRATCH.with(|cell| {
        let s = &mut *cell.borrow_mut();
        decode_with(input, out, raw_len, s)
    })
}

fn decode_with(
    input: &[u8],
    out: &mut Vec<u8>,
    raw_len: usize,
    s: &mut Scratch,
) -> Result<(), CodecError> {
    // The literals: a count of at most `raw_len`, then a byte section of modes 0–3.
    let mut at = section(input, 0, "literals", raw_len, 3, &mut s.lits)?;
    let lit_count = s.lits.len();
    let seq_count = u32_field(input, at, SECTION, "count")?;
    // Every sequence copies at least MIN_MATCH bytes.
    if seq_count > (raw_len - lit_count) / MIN_MATCH {
        return Err(bad(
            "count",
            at,
            format!(
                "{seq_count} sequences cannot fit in the {} bytes the literals leave of the raw \
                 length {raw_len}",
                raw_len - lit_count
            ),
        ));
    }
    at += 4;
    out.resize(raw_len, 0);
    let mut d = Decoding {
        x: Exec {
            out: &mut out[..],
            op: 0,
            lits: &s.lits,
            lp: 0,
            reps: INITIAL_OFFSETS,
        },
        seq: 0,
    };
    let mut group = 0;
    while d.seq < seq_count {
        let n = (seq_count - d.seq).min(GROUP);
        at = read_tables(input, at, group, &mut s.tables, &mut s.cells)?;
        let len = u32_field(input, at, SECTION, "bitstream length").map_err(|e| match e {
            CodecError::BadSection { at, what, .. } => {
                bad(format!("group {group} bitstream length"), at, what)
            }
            e => e,
        })?;
        at += 4;
        let Some(stream) = input.get(at..).and_then(|r| r.get(..len)) else {
            return Err(bad(
                format!("group {group} bitstream length"),
                at - 4,
                format!(
                    "{len} bytes, but the payload has {} after it",
                    input.len().saturating_sub(at)
                ),
            ));
        };
        let field = || format!("group {group} bitstream");
        let mut r = BitReader::new(stream).map_err(|e| bad(field(), at, e.to_string()))?;
        decode_group(&mut d, &mut r, &s.tables, &s.cells, n)?;
        if !r.is_finished() {
            let what = if r.is_overflowed() {
                "ends before its sequences do".to_string()
            } else {
                format!("has {} bits left after its last sequence", r.bits_left())
            };
            return Err(bad(field(), at, what));
        }
        at += len;
        group += 1;
    }
    if at != input.len() {
        return Err(CodecError::TrailingBytes {
            at,
            left: input.len() - at,
        });
    }
    // The literals after the last sequence end the segment.
    let x = d.x;
    let rest = x.lits.len() - x.lp;
    let room = raw_len - x.op;
    if rest != room {
        return Err(if rest > room {
            CodecError::LeftOver {
                section: "literals",
                left: rest - room,
            }
        } else {
            CodecError::ShortOutput {
                expected: raw_len,
                got: x.op + rest,
            }
        });
    }
    x.out[x.op..].copy_from_slice(&x.lits[x.lp..]);
    Ok(())
}

/// Reads a group's mode byte and table descriptions at `input[at..]` into `tables`; returns
/// where the bitstream length follows.
fn read_tables(
    input: &[u8],
    mut at: usize,
    group: usize,
    tables: &mut [DecodeTable; 3],
    cells: &mut Cells,
) -> Result<usize, CodecError> {
    let field = |what: &str| format!("group {group} {what}");
    let Some(&modes) = input.get(at) else {
        return Err(bad(
            field("modes"),
            at,
            "cut short: the payload ends before it",
        ));
    };
    if modes >> 6 != 0 {
        return Err(bad(
            field("modes"),
            at,
            format!("reserved bits set in {modes:#04x}"),
        ));
    }
    let modes_at = at;
    at += 1;
    for f in Field::ALL {
        let t = &mut tables[f as usize];
        let name = f.name();
        match (modes >> (2 * f as u8)) & 3 {
            0 => t.rebuild(f.predefined()),
            1 => {
                let Some(&sym) = input.get(at) else {
                    return Err(bad(field(&format!("{name} symbol")), at, "cut short"));
                };
                if usize::from(sym) >= f.symbols() {
                    return Err(bad(
                        field(&format!("{name} symbol")),
                        at,
                        format!("code {sym} is not below {}", f.symbols()),
                    ));
                }
                t.set_rle(sym);
                at += 1;
            }
            2 => {
                let rest = input.get(at..).unwrap_or(&[]);
                let (dist, used) =
                    Distribution::read(rest, f.max_log(), f.symbols()).map_err(|e| {
                        let at = match e {
                            FseError::Truncated { bit } | FseError::TooManySymbols { bit, .. } => {
                                at + bit / 8
                            }
                            _ => at,
                        };
                        bad(field(&format!("{name} table")), at, e.to_string())
                    })?;
                t.rebuild(&dist);
                at += used;
            }
            _ => {
                if group == 0 {
                    return Err(bad(
                        field("modes"),
                        modes_at,
                        format!("{name} table repeats a table, but this is the first group"),
                    ));
                }
                continue;
            }
        }
        cells.derive(f, t);
    }
    Ok(at)
}

/// A decoding-table state with its code's baseline and extra bits folded in, so a sequence
/// takes each field from one cell: eight bytes, each field read on its own from the table (5–6%
/// fewer instructions than one `u64` taken apart by shifts; docs/perf-log.md, eighteenth session).
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(8))]
struct Cell {
    /// The length of a length code before its extra bits; for an offset code the stack slot
    /// (repeat), the distance (run) or the distance before the extra bits (new).
    base: u32,
    /// The next state before the bits read are added.
    next: u16,
    /// The bits read for the next state.
    nb: u8,
    /// The code's extra bits (low 6 bits) and, for offset codes, its kind (top 2 bits: 0 repeat,
    /// 1 run, 2 new).
    extra_kind: u8,
}

impl Cell {
    fn new(base: u32, next: u16, nb: u8, extra: u8) -> Cell {
        Cell {
            base,
            next,
            nb,
            extra_kind: extra,
        }
    }
    #[inline(always)]
    fn base(&self) -> u32 {
        self.base
    }
    #[inline(always)]
    fn next(&self) -> usize {
        usize::from(self.next)
    }
    #[inline(always)]
    fn nb(&self) -> u32 {
        u32::from(self.nb)
    }
    #[inline(always)]
    fn extra(&self) -> u32 {
        u32::from(self.extra_kind & 63)
    }
    #[inline(always)]
    fn kind(&self) -> u8 {
        self.extra_kind >> 6
    }
}

const KIND_RUN: u8 = 1;
const KIND_NEW: u8 = 2;

/// States of the largest table (accuracy log 9).
const CELLS: usize = 512;

/// The three fields' tables as [`Cell`]s, in table order, in one allocation: the group loop
/// keeps one address for all three.
pub(super) struct Cells(Box<[[Cell; CELLS]; 3]>);

impl Default for Cells {
    fn default() -> Self {
        Cells(Box::new([[Cell::default(); CELLS]; 3]))
    }
}

impl Cells {
    /// Derives the cells of field `f` from its decoding table.
    fn derive(&mut self, f: Field, t: &DecodeTable) {
        for (cell, c) in self.0[f as usize].iter_mut().zip(t.cells()) {
            let (base, extra) = match f {
                Field::Offset if c.symbol >= NEW_CODE => {
                    let k = c.symbol - NEW_CODE;
                    (1u32 << k, k | KIND_NEW << 6)
                }
                Field::Offset if c.symbol >= RUN_CODE => {
                    (u32::from(c.symbol - RUN_CODE) + 1, KIND_RUN << 6)
                }
                Field::Offset => (u32::from(c.symbol), 0),
                _ => LENGTH_CODES[usize::from(c.symbol) & 63],
            };
            *cell = Cell::new(base, c.baseline, c.nb_bits, extra);
        }
    }
}

/// The decoding of one payload's sequences, group after group.
struct Decoding<'a> {
    x: Exec<'a>,
    /// Sequences decoded so far, in the segment.
    seq: usize,
}

/// Decodes and executes the `n` sequences of a group from its bitstream.
#[inline(never)]
#[multiversion::multiversion(targets("x86_64+avx2+bmi1+bmi2+lzcnt+popcnt"))]
fn decode_group(
    d: &mut Decoding<'_>,
    reader: &mut BitReader<'_>,
    tables: &[DecodeTable; 3],
    cells: &Cells,
    n: usize,
) -> Result<(), CodecError> {
    // The reader and the output's cursors as locals, written back at the end: kept in registers
    // in the loop, where through the references they are stored and loaded at every sequence.
    let mut rl = reader.clone();
    let r = &mut rl;
    let [tll, tof, tml] = &*cells.0;
    let mut st = [0usize; 3];
    for (s, t) in st.iter_mut().zip(tables) {
        *s = r.read(u32::from(t.accuracy_log())) as usize;
    }
    r.refill();
    let [mut sll, mut sof, mut sml] = st;
    let mut x = Exec {
        out: &mut *d.x.out,
        op: d.x.op,
        lits: d.x.lits,
        lp: d.x.lp,
        reps: d.x.reps,
    };
    let out = &mut x;
    let mut result = Ok(());
    for i in 0..n {
        let (cl, co, cm) = (&tll[sll % CELLS], &tof[sof % CELLS], &tml[sml % CELLS]);
        let (ol, om, oo) = (cl.extra(), cm.extra(), co.extra());
        // At most 56 bits between refills: the three extra fields (up to 27 + 26 + 26 bits)
        // and the three state updates (up to 9 + 9 + 8) share one refill when the fields
        // take at most 30 bits, as they nearly always do.
        let (of_x, ml_x, ll_x) = if ol + om + oo <= 30 {
            (r.read(oo), r.read(om), r.read(ol))
        } else {
            let of_x = r.read(oo);
            r.refill();
            let ml_x = r.read(om);
            r.refill();
            (of_x, ml_x, r.read(ol))
        };
        if i + 1 < n {
            sll = cl.next() + r.read(cl.nb()) as usize;
            sml = cm.next() + r.read(cm.nb()) as usize;
            sof = co.next() + r.read(co.nb()) as usize;
        }
        r.refill();
        let ll = (cl.base() + ll_x as u32) as usize;
        let ml = (cm.base() + ml_x as u32) as usize + MIN_MATCH;
        let kind = co.kind();
        let dist = if kind == 0 {
            let slot = co.base() as usize & 3;
            let d = out.reps[slot];
            use_slot(&mut out.reps, slot);
            d
        } else if kind == KIND_RUN {
            co.base() as usize
        } else {
            let d = (co.base() + of_x as u32) as usize;
            push_offset(&mut out.reps, d);
            d
        };
        if let Err(e) = out.execute(ll, ml, dist) {
            result = Err(e.at(d.seq + i, out.out.len()));
            d.seq += i;
            break;
        }
    }
    (d.x.op, d.x.lp, d.x.reps) = (x.op, x.lp, x.reps);
    *reader = rl;
    if result.is_ok() {
        d.seq += n;
    }
    result
}

/// Why a sequence cannot be executed (made a [`CodecError`] with its number by [`Fault::at`]).
enum Fault {
    LiteralsOut,
    Overrun(usize),
    Distance(usize, usize),
}

impl Fault {
    /// The error of sequence `seq` of a segment of `raw_len` bytes.
    fn at(self, seq: usize, raw_len: usize) -> CodecError {
        let at = Pos::Sequence(seq);
        match self {
            Fault::LiteralsOut => CodecError::Field {
                at,
                section: "literals",
                what: "runs out",
            },
            Fault::Overrun(len) => CodecError::OutputOverrun {
                at,
                len: len as u64,
                limit: raw_len,
            },
            Fault::Distance(distance, available) => CodecError::BadDistance {
                at,
                distance: distance as u64,
                available,
            },
        }
    }
}

/// The output side of the decoding: the segment's output and literals, with their positions,
/// and the offset stack.
struct Exec<'a> {
    out: &'a mut [u8],
    op: usize,
    lits: &'a [u8],
    lp: usize,
    reps: [usize; 4],
}

impl Exec<'_> {
    /// Copies `ll` literals, then `ml` bytes from `dist` back.
    #[inline(always)]
    fn execute(&mut self, ll: usize, ml: usize, dist: usize) -> Result<(), Fault> {
        let (op, lp) = (self.op, self.lp);
        let out_len = self.out.len();
        if ll > self.lits.len() - lp {
            return Err(Fault::LiteralsOut);
        }
        if ll + ml > out_len - op {
            return Err(Fault::Overrun(ll + ml - (out_len - op)));
        }
        if ll <= 16 && lp + 16 <= self.lits.len() && op + 16 <= out_len {
            self.out[op..op + 16].copy_from_slice(&self.lits[lp..lp + 16]);
        } else {
            self.out[op..op + ll].copy_from_slice(&self.lits[lp..lp + ll]);
        }
        let op = op + ll;
        self.lp = lp + ll;
        if dist > op {
            return Err(Fault::Distance(dist, op));
        }
        copy_match(self.out, op, dist, ml, true);
        self.op = op + ml;
        Ok(())
    }
}
