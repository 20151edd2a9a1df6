//! Collects a parse as the sequences of format version 4 ([`crate::codec::sequences`]).

use super::{append, Emit, Kind, Match};
use crate::codec::sequences::{Seq, NEW_CODE, RUN_CODE};
use crate::codec::{push_offset, use_slot};

/// The literal bytes and sequences of one segment's parse, reused from segment to segment.
#[derive(Default)]
pub(crate) struct Collector {
    pub(crate) lits: Vec<u8>,
    pub(crate) seqs: Vec<Seq>,
    /// Literals since the last copy.
    pending: u32,
}

impl Collector {
    /// Empties the collector; on first use gives it room for a segment of `n` bytes, so its
    /// buffers are allocated and touched once per thread.
    pub(crate) fn reset(&mut self, n: usize) {
        crate::codec::touch_once(&mut self.lits, n);
        self.lits.clear();
        if self.seqs.capacity() < n / 16 {
            self.seqs.reserve(n / 16);
        }
        self.seqs.clear();
        self.pending = 0;
    }

    /// Heap bytes of a collector for segments of `n` bytes (for the memory estimate).
    pub(crate) fn scratch_bytes(n: usize) -> usize {
        n + n / 16 * std::mem::size_of::<Seq>()
    }
}

impl Emit for &mut Collector {
    #[inline(always)]
    fn literals(&mut self, input: &[u8], from: usize, to: usize) {
        // An empty run goes through `append` too: a branch on it costs more than the copy.
        let n = to - from;
        append(&mut self.lits, &input[from..], n);
        self.pending += n as u32;
    }

    #[inline(always)]
    fn copy(&mut self, m: Match, _input: &[u8], _pos: usize, reps: &mut [usize; 4]) {
        let offset = match m.kind {
            Kind::Delta(slot) => {
                use_slot(reps, slot);
                slot as u32
            }
            Kind::Composite => u32::from(RUN_CODE) + m.dist as u32 - 1,
            Kind::Reference => {
                push_offset(reps, m.dist);
                u32::from(NEW_CODE) - 1 + m.dist as u32
            }
        };
        self.seqs.push(Seq {
            lit_len: self.pending,
            match_len: m.len as u32,
            offset,
        });
        self.pending = 0;
    }

    /// Every copy the fast parsers find is at least four bytes, which a sequence codes in fewer
    /// bits than the literals it replaces.
    #[inline(always)]
    fn pays(&self, _m: &Match) -> bool {
        true
    }

    /// The sequences are entropy-coded afterwards: their raw size proves nothing.
    #[inline(always)]
    fn hopeless(&self, _base: usize, _n: usize) -> bool {
        false
    }
}
