//! FSE encoder and decoder states over a shared backward bitstream.
//!
//! The encoder codes a symbol stream last symbol first: [`EncoderState::new`] starts on a state
//! of the last symbol (no bits), each [`EncoderState::encode`] of the symbol before writes the
//! bits that lead from that symbol's state to the current one, and [`EncoderState::flush`]
//! writes the state of the first symbol in `accuracy_log` bits. The decoder reads that state
//! first ([`DecoderState::new`]), then alternates [`DecoderState::symbol`] and
//! [`DecoderState::update`]; after the last symbol it does not update.
//!
//! Several states, each with its own table, share one [`BitWriter`] / [`BitReader`] with raw
//! fields in between: the decoder must read every field (state bits included) in exactly the
//! reverse order of the encoder's writes.

use super::table::{Coding, TABLE_MASK};
use super::{BitReader, BitWriter, DecodeCell, DecodeTable, EncodeTable};

/// An FSE encoder state over an [`EncodeTable`].
///
/// It keeps the address of the table's arrays rather than of the table: a loop that codes with
/// a few states and stores bytes in between then holds it in a register, where through the table
/// it reloads it after every store (a byte store may, for all the compiler knows, change the
/// table's pointer).
#[derive(Clone, Copy)]
pub struct EncoderState<'t> {
    coding: &'t Coding,
    log: u8,
    /// `size + table state`, in `size..2 * size`.
    state: u32,
}

impl std::fmt::Debug for EncoderState<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncoderState")
            .field("accuracy_log", &self.log)
            .field("state", &self.state)
            .finish()
    }
}

impl<'t> EncoderState<'t> {
    /// Starts on `symbol`, the last symbol of the stream (the decoder's last), writing nothing.
    /// Of the symbol's states it takes the lowest, which makes the next step write the fewest
    /// bits. `symbol` must have a nonzero probability ([`EncodeTable::can_encode`]).
    pub fn new(table: &'t EncodeTable, symbol: u8) -> Self {
        debug_assert!(
            table.can_encode(symbol),
            "symbol {symbol} has probability 0"
        );
        let tr = table.coding.transforms[usize::from(symbol)];
        EncoderState {
            coding: &table.coding,
            log: table.accuracy_log(),
            state: u32::from(table.coding.next_state[usize::from(tr.first) & TABLE_MASK]),
        }
    }

    /// Codes `symbol`, the one before the previously coded one in decoding order, writing
    /// between 0 and `accuracy_log` bits. `symbol` must have a nonzero probability; another
    /// symbol gives a stream that decodes to something else (it never panics in a release
    /// build).
    #[inline(always)]
    pub fn encode(&mut self, w: &mut BitWriter, symbol: u8) {
        let (value, nb) = self.encode_bits(symbol);
        w.write(value, nb);
    }

    /// [`EncoderState::encode`] through [`write_exact_unflushed`]: the caller flushes the writer
    /// often enough (each symbol writes at most `accuracy_log` bits).
    ///
    /// [`write_exact_unflushed`]: super::Pending::write_exact_unflushed
    #[inline(always)]
    pub fn encode_unflushed(&mut self, w: &mut BitWriter, symbol: u8) {
        let (value, nb) = self.encode_bits(symbol);
        w.write_exact_unflushed(value, nb);
    }

    /// Codes `symbol` like [`EncoderState::encode`], but returns the bits instead of writing
    /// them: `(value, count)`, the value below `2^count`. For a caller that packs the fields of
    /// several states into one write.
    #[inline(always)]
    pub fn encode_bits(&mut self, symbol: u8) -> (u64, u32) {
        let tr = self.coding.transforms[usize::from(symbol)];
        debug_assert!(tr.states != 0, "symbol {symbol} has probability 0");
        let nb = (self.state + tr.delta_nb_bits) >> 16;
        let value = u64::from(self.state) & ((1u64 << nb) - 1);
        let index = ((self.state >> nb) as i32).wrapping_add(tr.delta_find_state) as usize;
        self.state = u32::from(self.coding.next_state[index & TABLE_MASK]);
        (value, nb)
    }

    /// Writes the state (in `accuracy_log` bits), which the decoder reads first.
    pub fn flush(self, w: &mut BitWriter) {
        w.write(u64::from(self.state), u32::from(self.log));
    }
}

/// An FSE decoder state over a [`DecodeTable`].
#[derive(Clone, Copy, Debug)]
pub struct DecoderState<'t> {
    table: &'t DecodeTable,
    /// Always below the table size.
    state: usize,
}

impl<'t> DecoderState<'t> {
    /// Reads the initial state (`accuracy_log` bits) from `r`.
    #[inline]
    pub fn new(table: &'t DecodeTable, r: &mut BitReader<'_>) -> Self {
        let state = r.read(u32::from(table.accuracy_log())) as usize;
        DecoderState { table, state }
    }

    /// The symbol of the current state.
    #[inline(always)]
    pub fn symbol(&self) -> u8 {
        self.table.cell(self.state).symbol
    }

    /// The cell of the current state (symbol, bits its update reads, baseline).
    #[inline(always)]
    pub fn cell(&self) -> DecodeCell {
        self.table.cell(self.state)
    }

    /// Moves to the next state, reading the current state's `nb_bits` from `r`.
    #[inline(always)]
    pub fn update(&mut self, r: &mut BitReader<'_>) {
        let c = self.table.cell(self.state);
        self.state = usize::from(c.baseline) + r.read(u32::from(c.nb_bits)) as usize;
    }

    /// [`DecoderState::symbol`] then [`DecoderState::update`].
    #[inline(always)]
    pub fn decode(&mut self, r: &mut BitReader<'_>) -> u8 {
        let c = self.table.cell(self.state);
        self.state = usize::from(c.baseline) + r.read(u32::from(c.nb_bits)) as usize;
        c.symbol
    }
}
