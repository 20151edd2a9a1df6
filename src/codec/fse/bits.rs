//! The backward bitstream that FSE states and raw extra bits share.
//!
//! The writer appends fields least-significant bit first, from the first byte on;
//! [`BitWriter::finish`] appends a single 1 bit and zero bits up to the next byte boundary, so
//! the last byte is never zero. The reader starts at that marker and takes fields from the end towards the
//! start: the field written last comes back first, with its bits in their original order. Bits
//! "before the start" read as zeros and make the reader report an overflow, which is how a
//! decoder notices a stream that is too short for what it claims to hold.

use super::FseError;

/// Most bits a single [`BitWriter::write`] call takes, and most bits a caller may read with
/// [`BitReader::read`] between two [`BitReader::refill`] calls (or after [`BitReader::new`]).
pub const MAX_FIELD_BITS: u32 = 56;

/// Writes a backward bitstream: fields go in first to last, the reader gets them last to first.
///
/// One writer serves any number of [`EncoderState`](super::EncoderState)s and raw fields
/// interleaved in any order; the reader must take them back in exactly the reverse order.
#[derive(Debug)]
pub struct BitWriter {
    /// What the buffer held, the stream's whole bytes up to `pos`, then room: zero bytes that
    /// the next flushes overwrite (at least 8 past `pos`), cut off by [`BitWriter::finish`].
    out: Vec<u8>,
    /// Where the next whole byte of the stream goes in `out`.
    pos: usize,
    /// Bits not yet stored in `out`.
    bits: Pending,
    /// Bytes of `out` that were there before this stream began.
    start: usize,
}

/// The bits of a stream not yet stored: the accumulator of a [`BitWriter`] or a [`Reserved`],
/// whose fields are written through it (both dereference to it).
#[derive(Clone, Copy, Debug, Default)]
pub struct Pending {
    /// The bits, the oldest in the least significant position.
    acc: u64,
    /// How many bits of `acc` are in use; always below 64 between calls.
    used: u32,
}

impl Pending {
    /// Appends the low `n` bits of `value` without first making room: the fields written since
    /// the last flush (or since the writer was made), [`BitWriter::write`]s included, must total
    /// at most [`MAX_FIELD_BITS`] bits. Saves a branch per field where a caller writes a group of
    /// fields of bounded size, for example the states of a sequence, then flushes once.
    #[inline(always)]
    pub fn write_unflushed(&mut self, value: u64, n: u32) {
        let mask = (1u64 << (n & 63)) - 1;
        self.write_exact_unflushed(value & mask, n);
    }

    /// [`Pending::write_unflushed`] of a `value` already below `2^n` (not masked again).
    #[inline(always)]
    pub fn write_exact_unflushed(&mut self, value: u64, n: u32) {
        debug_assert!(
            self.used + n < 64,
            "{} bits since the last flush",
            self.used + n
        );
        debug_assert!(
            n == 64 || value >> n == 0,
            "{value:#x} has more than {n} bits"
        );
        self.acc |= value << (self.used & 63);
        self.used += n;
    }
}

impl std::ops::Deref for BitWriter {
    type Target = Pending;
    #[inline(always)]
    fn deref(&self) -> &Pending {
        &self.bits
    }
}

impl std::ops::DerefMut for BitWriter {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Pending {
        &mut self.bits
    }
}

impl Default for BitWriter {
    fn default() -> Self {
        Self::with_buffer(Vec::new())
    }
}

impl BitWriter {
    /// A writer with an empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// A writer that appends its stream to `out` (after what `out` already holds), reusing its
    /// allocation.
    pub fn with_buffer(mut out: Vec<u8>) -> Self {
        let start = out.len();
        out.resize(start + ROOM, 0);
        BitWriter {
            out,
            pos: start,
            bits: Pending::default(),
            start,
        }
    }

    /// Appends the low `n` bits of `value` (`n <= MAX_FIELD_BITS`; higher bits of `value` are
    /// ignored; `n == 0` writes nothing).
    #[inline(always)]
    pub fn write(&mut self, value: u64, n: u32) {
        debug_assert!(n <= MAX_FIELD_BITS, "field of {n} bits");
        if self.bits.used + n >= 64 {
            self.flush_bytes();
        }
        self.bits.write_unflushed(value, n);
    }

    /// Moves the whole bytes written so far to the buffer, leaving room for at least
    /// [`MAX_FIELD_BITS`] bits of [`Pending::write_unflushed`].
    #[inline(always)]
    pub fn flush(&mut self) {
        self.flush_bytes();
    }

    /// Moves the whole bytes of the accumulator to the buffer (at most 7 bits stay behind).
    #[inline(always)]
    fn flush_bytes(&mut self) {
        let bytes = (self.bits.used >> 3) as usize;
        // Storing all eight bytes and moving on by the whole ones is cheaper than a copy of
        // variable length.
        match self.out.get_mut(self.pos..self.pos + 8) {
            Some(room) => room.copy_from_slice(&self.bits.acc.to_le_bytes()),
            None => self.grow(),
        }
        self.pos += bytes;
        self.bits.acc = self.bits.acc.checked_shr(bytes as u32 * 8).unwrap_or(0);
        self.bits.used &= 7;
    }

    /// Doubles the room after the stream (at least [`ROOM`] bytes), then stores the accumulator
    /// at `pos`.
    #[cold]
    fn grow(&mut self) {
        let room = (self.pos - self.start).max(ROOM);
        self.out.resize(self.pos + room, 0);
        self.out[self.pos..self.pos + 8].copy_from_slice(&self.bits.acc.to_le_bytes());
    }

    /// Bits written so far (without the end marker).
    pub fn bits_written(&self) -> u64 {
        (self.pos - self.start) as u64 * 8 + u64::from(self.bits.used)
    }

    /// Closes the stream with the end marker and returns the buffer (the stream is everything
    /// after what the buffer held when the writer was made).
    pub fn finish(mut self) -> Vec<u8> {
        self.write(1, 1);
        // The marker leaves 1 to 8 bits: a flush stores all of them and moves past the whole
        // bytes, the last partial byte (if any) is already stored after those.
        self.flush_bytes();
        let end = self.pos + usize::from(self.bits.used > 0);
        self.out.truncate(end);
        self.out
    }

    /// Runs `f` on this writer's stream with room made first for `bytes` more whole bytes: the
    /// stream goes on in `f` through a [`Reserved`], whose writes need no check for room, and
    /// whose position and accumulator the compiler keeps in registers. `f` must not write more
    /// than `bytes` whole bytes (it panics if it does).
    #[inline(always)]
    pub fn with_room<R>(&mut self, bytes: usize, f: impl FnOnce(&mut Reserved<'_>) -> R) -> R {
        let end = self.pos + bytes + 8;
        if self.out.len() < end {
            self.out.resize(end, 0);
        }
        let mut r = Reserved {
            buf: &mut self.out[..end],
            pos: self.pos,
            bits: self.bits,
        };
        let x = f(&mut r);
        (self.pos, self.bits) = (r.pos, r.bits);
        x
    }
}

/// A [`BitWriter`]'s stream inside [`BitWriter::with_room`]: the same writes (through
/// [`Pending`]), on a buffer that already has the room for them.
pub struct Reserved<'a> {
    buf: &'a mut [u8],
    pos: usize,
    bits: Pending,
}

impl Reserved<'_> {
    /// [`BitWriter::flush`].
    #[inline(always)]
    pub fn flush(&mut self) {
        // Below 64 bits are in use (every write keeps it so), so at most 7 whole bytes move.
        let bits = &mut self.bits;
        let bytes = (bits.used >> 3) as usize;
        self.buf[self.pos..self.pos + 8].copy_from_slice(&bits.acc.to_le_bytes());
        self.pos += bytes;
        bits.acc >>= (bytes * 8) & 63;
        bits.used &= 7;
    }
}

impl std::ops::Deref for Reserved<'_> {
    type Target = Pending;
    #[inline(always)]
    fn deref(&self) -> &Pending {
        &self.bits
    }
}

impl std::ops::DerefMut for Reserved<'_> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Pending {
        &mut self.bits
    }
}

/// Bytes of room a writer starts with after what its buffer holds.
const ROOM: usize = 256;

/// Reads a backward bitstream from its end marker towards its first byte.
///
/// The reader keeps a 64-bit window of the stream. After [`BitReader::new`] and after each
/// [`BitReader::refill`], up to [`MAX_FIELD_BITS`] bits may be read before the next refill; a
/// caller with several states refills once per group of fields (for example once per sequence)
/// instead of once per field. Reading past the start of the stream gives zero bits and is
/// remembered: check [`BitReader::is_overflowed`] (at least once per refill period, or at the
/// end) and [`BitReader::is_finished`] (at the end: every bit used, none invented).
#[derive(Clone, Debug)]
pub struct BitReader<'a> {
    data: &'a [u8],
    /// The window: bytes `pos..pos + 8` of the stream as a little-endian number, or (a stream
    /// shorter than 8 bytes) the whole stream in the high bytes and zeros below.
    acc: u64,
    /// Where the window starts in `data`.
    pos: usize,
    /// Bits of the window already read, counted from its most significant end; below 64 as long
    /// as the caller reads at most [`MAX_FIELD_BITS`] between refills.
    used: u32,
    /// Low bits of the window that are not stream bits (streams shorter than 8 bytes).
    floor: u32,
    /// Bits read and shifted out of the window once it sits at the start of the stream, where
    /// it cannot move any further (see [`BitReader::refill`]).
    spent: u32,
}

impl<'a> BitReader<'a> {
    /// A reader of the stream `data` (exactly the bytes of one bitstream). Fails if `data` is
    /// empty or its last byte is zero (no end marker).
    pub fn new(data: &'a [u8]) -> Result<Self, FseError> {
        let last = *data.last().ok_or(FseError::EmptyBitstream)?;
        if last == 0 {
            return Err(FseError::NoEndMarker);
        }
        let (acc, pos, floor) = match data.len().checked_sub(8) {
            Some(pos) => (window(data, pos).unwrap_or(0), pos, 0),
            None => {
                let mut bytes = [0u8; 8];
                bytes[8 - data.len()..].copy_from_slice(data);
                (u64::from_le_bytes(bytes), 0, 8 * (8 - data.len() as u32))
            }
        };
        // Skip the zero padding and the marker bit itself.
        let used = acc.leading_zeros() + 1;
        Ok(BitReader {
            data,
            acc,
            pos,
            used,
            floor,
            spent: 0,
        })
    }

    /// Takes the next `n` bits (`n <= MAX_FIELD_BITS`, and at most that many in total since the
    /// last refill). Bits before the start of the stream read as zeros.
    #[inline(always)]
    pub fn read(&mut self, n: u32) -> u64 {
        debug_assert!(n <= MAX_FIELD_BITS, "field of {n} bits");
        // The top `n` bits of the unread part; the split shift makes `n == 0` give 0. The masks
        // change nothing for a caller that keeps to the limits (`used` stays below 64).
        let v = ((self.acc << (self.used & 63)) >> 1) >> (63 - (n & 63));
        self.used += n;
        v
    }

    /// Moves the window so that at least [`MAX_FIELD_BITS`] unread bits are in it again, or, near
    /// the start of the stream, all that are left.
    ///
    /// Once the window reaches the first byte of the stream it stays there and the bits read are
    /// shifted out of it instead, so zeros come in from below: reads past the start give zeros.
    #[inline(always)]
    pub fn refill(&mut self) {
        let back = (self.used >> 3) as usize;
        if back <= self.pos && self.pos != 0 {
            self.pos -= back;
            self.used &= 7;
            if let Some(w) = window(self.data, self.pos) {
                self.acc = w;
            }
        } else {
            self.refill_at_start();
        }
    }

    /// [`BitReader::refill`] for a window that cannot move back by whole bytes any more.
    #[cold]
    fn refill_at_start(&mut self) {
        if self.pos != 0 {
            // Fewer whole bytes are left below the window than were read from it: it moves onto
            // the first 8 bytes (a stream of 8 bytes or more), its top 8 * pos bits lower.
            self.used -= 8 * self.pos as u32;
            self.pos = 0;
            self.acc = window(self.data, 0).unwrap_or(0);
        }
        self.acc = if self.used < 64 {
            self.acc << self.used
        } else {
            0
        };
        self.spent = self.spent.saturating_add(self.used);
        self.used = 0;
    }

    /// Stream bits not yet read; negative once reads went past the start of the stream.
    pub fn bits_left(&self) -> i64 {
        8 * self.pos as i64 + 64
            - i64::from(self.floor)
            - i64::from(self.used)
            - i64::from(self.spent)
    }

    /// Whether reads went past the start of the stream (the stream is shorter than what was read
    /// from it: corrupt, or read wrongly). Stays true.
    pub fn is_overflowed(&self) -> bool {
        self.bits_left() < 0
    }

    /// Whether every bit of the stream has been read, and not one more.
    pub fn is_finished(&self) -> bool {
        self.bits_left() == 0
    }
}

/// Bytes `pos..pos + 8` of `data` as a little-endian number, if there are that many.
#[inline(always)]
fn window(data: &[u8], pos: usize) -> Option<u64> {
    let bytes = data.get(pos..)?.first_chunk::<8>()?;
    Some(u64::from_le_bytes(*bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A field sequence drawn from a small LCG: (value, width) pairs, widths 0..=MAX_FIELD_BITS.
    fn fields(seed: u64, count: usize, max_width: u32) -> Vec<(u64, u32)> {
        let mut x = seed | 1;
        let mut next = || {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            x
        };
        (0..count)
            .map(|_| {
                let n = (next() >> 40) as u32 % (max_width + 1);
                let v = next() & ((1u64 << n) - 1);
                (v, n)
            })
            .collect()
    }

    fn write_all(fields: &[(u64, u32)]) -> Vec<u8> {
        let mut w = BitWriter::new();
        for &(v, n) in fields {
            w.write(v, n);
        }
        let bits = w.bits_written();
        let total: u64 = fields.iter().map(|f| u64::from(f.1)).sum();
        assert_eq!(bits, total);
        let out = w.finish();
        assert_eq!(out.len() as u64, (total + 1).div_ceil(8));
        out
    }

    /// Reads the fields back in reverse, refilling after every field (widths ≤ 56) or every
    /// `group` fields.
    fn read_back(stream: &[u8], fields: &[(u64, u32)], group: usize) {
        let mut r = BitReader::new(stream).unwrap();
        let mut since = 0;
        for (i, &(v, n)) in fields.iter().enumerate().rev() {
            assert_eq!(r.read(n), v, "field {i} of {}", fields.len());
            assert!(!r.is_overflowed());
            since += 1;
            if since == group {
                r.refill();
                since = 0;
            }
        }
        assert!(r.is_finished(), "{} bits left", r.bits_left());
        assert_eq!(r.read(1), 0);
        assert!(r.is_overflowed());
    }

    #[test]
    fn fields_come_back_in_reverse_order() {
        for (seed, count) in [(1, 0), (2, 1), (3, 2), (4, 7), (5, 100), (6, 5000)] {
            let f = fields(seed, count, MAX_FIELD_BITS);
            let s = write_all(&f);
            read_back(&s, &f, 1);
            let f = fields(seed, count, 13);
            let s = write_all(&f);
            read_back(&s, &f, 4);
        }
    }

    #[test]
    fn unflushed_groups_read_back() {
        // Groups of fields of up to 56 bits in all, one flush per group; the reader refills per
        // group too.
        let f = fields(8, 20_000, 20);
        let mut groups = Vec::new();
        let mut group = Vec::new();
        let mut bits = 0;
        for &(v, n) in &f {
            if bits + n > MAX_FIELD_BITS {
                groups.push(std::mem::take(&mut group));
                bits = 0;
            }
            group.push((v, n));
            bits += n;
        }
        groups.push(group);
        let mut w = BitWriter::with_buffer(vec![9; 3]);
        for g in &groups {
            for &(v, n) in g {
                w.write_unflushed(v, n);
            }
            w.flush();
        }
        let stream = w.finish();
        assert_eq!(&stream[..3], &[9, 9, 9]);
        let mut r = BitReader::new(&stream[3..]).unwrap();
        for g in groups.iter().rev() {
            for &(v, n) in g.iter().rev() {
                assert_eq!(r.read(n), v);
            }
            r.refill();
        }
        assert!(r.is_finished());
    }

    #[test]
    fn every_short_length_reads_back() {
        // Streams of 0..=130 bits cover both window modes (under and over 8 bytes) and every
        // marker position.
        for bits in 0..=130u32 {
            let f: Vec<(u64, u32)> = (0..bits).map(|i| (u64::from(i % 3 == 0), 1)).collect();
            let s = write_all(&f);
            read_back(&s, &f, 50);
        }
    }

    #[test]
    fn marker_and_padding_layout() {
        let mut w = BitWriter::new();
        w.write(0b101, 3);
        assert_eq!(w.finish(), vec![0b1101]);
        let mut w = BitWriter::new();
        w.write(0xff, 8);
        assert_eq!(w.finish(), vec![0xff, 0x01]);
        assert_eq!(BitWriter::new().finish(), vec![1]);
        let w = BitWriter::with_buffer(vec![7, 7]);
        assert_eq!(w.finish(), vec![7, 7, 1]);
    }

    #[test]
    fn streams_without_marker_are_refused() {
        assert_eq!(BitReader::new(&[]).unwrap_err(), FseError::EmptyBitstream);
        assert_eq!(BitReader::new(&[5, 0]).unwrap_err(), FseError::NoEndMarker);
        assert!(BitReader::new(&[0, 1]).is_ok());
    }

    #[test]
    fn reading_past_the_start_gives_zeros_and_stays_overflowed() {
        for len in [1usize, 3, 8, 9, 20] {
            let mut s = vec![0xffu8; len];
            s[len - 1] = 0x01; // marker only in the last byte: 8 * (len - 1) stream bits
            let mut r = BitReader::new(&s).unwrap();
            assert_eq!(r.bits_left(), 8 * (len as i64 - 1));
            let mut ones = 0;
            for _ in 0..100 {
                ones += r.read(7).count_ones();
                r.refill();
            }
            assert_eq!(ones as usize, 8 * (len - 1));
            assert!(r.is_overflowed());
            assert!(!r.is_finished());
            for _ in 0..1000 {
                assert_eq!(r.read(MAX_FIELD_BITS), 0);
                r.refill();
            }
            assert!(r.is_overflowed());
        }
    }
}
