#!/usr/bin/env python3
"""Reference decoder for ΣLANG (.sigma) streams, format versions 1 to 4.

Usage: scripts/reference_decoder.py FILE.sigma > OUT     (FILE may be "-" for standard input)

This program was written from docs/FORMAT.md alone, not from the Rust sources: it is the proof
that the specification is enough to decode a stream. It is small and slow on purpose and uses
the Python 3 standard library only (3.9 or later). XXH32 and XXH3-64 are implemented in
scripts/xxhash_ref.py, beside it, from the public xxHash specification.

It checks everything FORMAT.md defines: the file header, every segment header and its check
value, payload_hash, the payload layout (plain glyph stream, STORED, SPLIT, STREAMS, SEQUENCES
with its FSE tables, byte sections in modes 0 to 3), raw_hash, the index with its entries and
check value, the footer with its check value and stream_hash, "Rules a reader enforces",
concatenated streams and trailing data. On success it writes the decoded bytes to standard output
and exits 0. On the first violation it writes nothing to standard output, prints one line

    reference_decoder: <what> at byte N

to standard error and exits 1. N is the offset in the whole input of the structure or field at
fault; for a fault found in a decoded section of the streams layout, or in executing a sequence
of the sequences layout, which have no place in the input, it is the offset of the segment's
header. A usage or read error exits 2. The whole input and output are held in memory; nothing is
written before everything has been verified.

The code follows the sections of FORMAT.md, one function per structure or layout, named after the
section; the tables VERSION_LAYOUTS and SECTION_MODES say which version has which layout and
which byte-section mode ("Versioning"), so that a later version is one more row and one more
layout function.
"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xxhash_ref import M32, xxh3_64, xxh32  # noqa: E402  (beside this script)

# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class FormatError(Exception):
    """A violation of docs/FORMAT.md: `what` it is, `at` the byte offset in the whole input."""

    def __init__(self, what, at):
        super().__init__(what)
        self.what = what
        self.at = at


# ---------------------------------------------------------------------------------------------
# Constants of the container (FORMAT.md: "File header", "Segment header", "Index", "Footer")
# ---------------------------------------------------------------------------------------------

FILE_MAGIC = b"\xce\xa3\x4c\x47"  # "ΣLG"
SEGMENT_SYNC = b"\xce\xa3\x53\x47"  # "ΣSG"
INDEX_MAGIC = b"\xce\xa3\x49\x58"  # "ΣIX"
FOOTER_MAGIC = b"\xce\xa3\x4e\x44"  # "ΣND"

FILE_HEADER_LEN = 16
SEGMENT_HEADER_LEN = 36
INDEX_FIXED_LEN = 16
INDEX_ENTRY_LEN = 32
FOOTER_LEN = 40

MIN_SEGMENT_SIZE = 4096
MAX_SEGMENT_SIZE = 268435456

# Segment flags (FORMAT.md "Segment header"): the payload layout.
PLAIN, STORED, SPLIT, STREAMS, SEQUENCES = 0, 1, 2, 4, 8

# "Versioning": the layouts each version has, and the byte-section modes each layout has in it.
VERSION_LAYOUTS = {
    1: (PLAIN, STORED, SPLIT),
    2: (PLAIN, STORED, STREAMS),
    3: (PLAIN, STORED, STREAMS),
    4: (PLAIN, STORED, SEQUENCES),
}
SECTION_MODES = {
    (SPLIT, 1): (0, 1),
    (STREAMS, 2): (0, 1, 2),
    (STREAMS, 3): (0, 1, 2, 3),
    (SEQUENCES, 4): (0, 1, 2, 3),
}

LAYOUT_NAMES = {PLAIN: "plain", STORED: "STORED", SPLIT: "SPLIT", STREAMS: "STREAMS",
                SEQUENCES: "SEQUENCES"}


def u32_at(data, pos):
    return struct.unpack_from("<I", data, pos)[0]


def u64_at(data, pos):
    return struct.unpack_from("<Q", data, pos)[0]


# ---------------------------------------------------------------------------------------------
# Reading fields out of a payload or out of a decoded section
# ---------------------------------------------------------------------------------------------


class Cursor:
    """Reads bytes and varints from buf[pos:end].

    `name` names the source in messages ("payload" or "section 'tags'"); `origin` is the absolute
    input offset of buf[0] when buf is the input itself (payload fields have a byte position),
    or None for a decoded section (its bytes have none; errors then point at `anchor`, the
    offset of the segment header).
    """

    def __init__(self, buf, pos, end, name, origin, anchor):
        self.buf = buf
        self.pos = pos
        self.end = end
        self.name = name
        self.origin = origin
        self.anchor = anchor

    def at(self, pos=None):
        """Absolute input offset of `pos` (default: the next unread byte), for messages."""
        if self.origin is None:
            return self.anchor
        return self.origin + (self.pos if pos is None else pos)

    def left(self):
        return self.end - self.pos

    def runs_out(self, what):
        return FormatError(f"{self.name} runs out ({what})", self.at())

    def byte(self, what):
        if self.pos >= self.end:
            raise self.runs_out(what)
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def take(self, n, what):
        if n > self.end - self.pos:
            raise self.runs_out(what)
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def u32(self, what):
        return int.from_bytes(self.take(4, what), "little")

    def varint(self, what):
        """FORMAT.md "Varints": unsigned LEB128, at most 5 bytes, at most 2^32 - 1, shortest."""
        start = self.pos
        value = 0
        for i in range(5):
            if self.pos >= self.end:
                raise self.runs_out(what)
            b = self.buf[self.pos]
            self.pos += 1
            value |= (b & 0x7F) << (7 * i)
            if b & 0x80 == 0:
                if i == 4 and b > 0x0F:
                    raise FormatError(f"{self.name}: {what} varint above 2^32 - 1", self.at(start))
                if i > 0 and b == 0:
                    raise FormatError(f"{self.name}: {what} varint is zero-padded", self.at(start))
                return value
        raise FormatError(f"{self.name}: {what} varint longer than 5 bytes", self.at(start))


# ---------------------------------------------------------------------------------------------
# Byte section (FORMAT.md "Byte section")
# ---------------------------------------------------------------------------------------------

HUFFMAN_MAX_LEN = 11
BLOCK_LEN = 65536  # mode 3


def huffman_code_lengths(cur, label):
    """The max_symbol byte and the 4-bit code lengths; checks lengths 0-11, the unused last
    nibble, at least one code and Kraft's inequality. (max_symbol itself need not have a code:
    FORMAT.md lists no such rule, and byte values above it have none.)"""
    max_symbol = cur.byte(f"{label}max_symbol")
    lengths_at = cur.at()
    packed = cur.take(max_symbol // 2 + 1, f"{label}code lengths")
    lengths = []
    for k, b in enumerate(packed):
        lengths.append(b & 0x0F)
        if 2 * k + 1 <= max_symbol:
            lengths.append(b >> 4)
        elif b >> 4:
            raise FormatError(f"{cur.name} {label}code lengths: unused last nibble is not 0",
                              cur.at() - 1)
    for symbol, length in enumerate(lengths):
        if length > HUFFMAN_MAX_LEN:
            raise FormatError(f"{cur.name} {label}code lengths: length {length} of byte "
                              f"value {symbol} is above {HUFFMAN_MAX_LEN}", lengths_at)
    kraft = sum(1 << (HUFFMAN_MAX_LEN - n) for n in lengths if n)
    if kraft == 0:
        raise FormatError(f"{cur.name} {label}code lengths: no byte value has a code", lengths_at)
    if kraft > 1 << HUFFMAN_MAX_LEN:
        raise FormatError(f"{cur.name} {label}code lengths break Kraft's inequality", lengths_at)
    return lengths


def huffman_decode_table(lengths):
    """Canonical codes (ordered by length, then value), as a 2048-entry table indexed by the
    next 11 bits read LSB-first: entry = (symbol, length), or None where no code matches."""
    table = [None] * (1 << HUFFMAN_MAX_LEN)
    code = 0
    prev_len = 0
    first = True
    for length, symbol in sorted((n, s) for s, n in enumerate(lengths) if n):
        if first:
            code = 0
            first = False
        else:
            code = (code + 1) << (length - prev_len)
        prev_len = length
        # The code is stored most significant bit first in stream order, and the stream is read
        # LSB-first: its bits appear reversed in the low `length` bits of the peeked value.
        rev = int(format(code, f"0{length}b")[::-1], 2)
        entry = (symbol, length)
        for high in range(1 << (HUFFMAN_MAX_LEN - length)):
            table[rev | (high << length)] = entry
    return table


def huffman_bitstream(cur, table, count, stream_len, label):
    """Decodes `count` codes from the next `stream_len` bytes; the codes must fill them exactly,
    with zero padding bits in the last byte."""
    start_at = cur.at()
    data = cur.take(stream_len, f"{label}bitstream")
    out = bytearray(count)
    acc = 0  # bits not yet used, the next one in bit 0
    nbits = 0
    used = 0  # bits used so far
    byte_pos = 0
    for i in range(count):
        while nbits < HUFFMAN_MAX_LEN and byte_pos < stream_len:
            acc |= data[byte_pos] << nbits
            byte_pos += 1
            nbits += 8
        entry = table[acc & 0x7FF]
        if entry is None:
            raise FormatError(f"{cur.name} {label}bitstream: bit pattern without a code "
                              f"(byte {i} of {count})", start_at + used // 8)
        symbol, length = entry
        if length > nbits:
            raise FormatError(f"{cur.name} {label}bitstream runs out (byte {i} of {count})",
                              start_at + used // 8)
        out[i] = symbol
        acc >>= length
        nbits -= length
        used += length
    # "Each bitstream is checked on its own": the codes fill it to its last byte, and the
    # padding bits of that byte are 0.
    if (used + 7) // 8 != stream_len:
        raise FormatError(f"{cur.name} {label}bitstream: its codes end at bit {used}, "
                          f"not in its last byte ({stream_len} bytes)", start_at + used // 8)
    if used % 8 and data[stream_len - 1] >> (used % 8):
        raise FormatError(f"{cur.name} {label}bitstream: padding bits are not 0",
                          start_at + stream_len - 1)
    return bytes(out)


def byte_section(cur, count, modes, label=""):
    """Decodes a byte section of `count` bytes with one of `modes` from `cur` (a payload
    cursor); `modes` are those the layout and version have ("Versioning")."""
    mode_at = cur.at()
    mode = cur.byte(f"{label}mode byte")
    if mode not in modes:
        raise FormatError(f"{cur.name} {label}mode byte: mode {mode} is not one of "
                          f"{', '.join(map(str, modes))} here", mode_at)
    if count == 0 and mode != 0:
        raise FormatError(f"{cur.name} {label}mode byte: an empty section must be mode 0, "
                          f"not {mode}", mode_at)
    if mode == 0:
        return bytes(cur.take(count, f"{label}raw bytes"))
    if mode == 3:
        return blocks_section(cur, count, label)
    lengths = huffman_code_lengths(cur, label)
    stream_len_at = cur.at()
    stream_len = cur.varint(f"{label}stream_len")
    if stream_len > cur.left():
        raise FormatError(f"{cur.name} {label}stream_len {stream_len} is beyond the end of the "
                          f"{cur.left()} bytes left", stream_len_at)
    if mode == 2:
        sizes_at = cur.at()
        sizes = [cur.varint(f"{label}sizes") for _ in range(3)]
        if sum(sizes) > stream_len:
            raise FormatError(f"{cur.name} {label}sizes sum to {sum(sizes)}, above stream_len "
                              f"{stream_len}", sizes_at)
        sizes.append(stream_len - sum(sizes))
        if stream_len > cur.left():
            raise FormatError(f"{cur.name} {label}bitstream of {stream_len} bytes is beyond "
                              f"the end of the {cur.left()} bytes left", cur.at())
    # "count <= 8 x stream_len (a code has at least one bit)", checked before sizing the output.
    if count > 8 * stream_len:
        raise FormatError(f"{cur.name} {label}stream_len: {count} bytes cannot fit in "
                          f"{stream_len} bytes of codes", stream_len_at)
    table = huffman_decode_table(lengths)
    if mode == 1:
        return huffman_bitstream(cur, table, count, stream_len, label)
    # Mode 2: four quarters, q = ceil(count / 4), each in its own bitstream.
    q = (count + 3) // 4
    bounds = [min(j * q, count) for j in range(4)] + [count]
    out = []
    for j in range(4):
        out.append(huffman_bitstream(cur, table, bounds[j + 1] - bounds[j], sizes[j],
                                     f"{label}quarter {j} "))
    return b"".join(out)


def blocks_section(cur, count, label):
    """Mode 3: blocks of 65 536 bytes (the last the rest), each a byte section of mode 0-2."""
    out = []
    for k, start in enumerate(range(0, count, BLOCK_LEN)):
        n = min(BLOCK_LEN, count - start)
        out.append(byte_section(cur, n, (0, 1, 2), f"{label}block {k} "))
    return b"".join(out)


# ---------------------------------------------------------------------------------------------
# Glyph stream (FORMAT.md "Glyph stream"), shared by the plain, split and streams layouts
# ---------------------------------------------------------------------------------------------

PRIMITIVE, REFERENCE, DELTA, COMPOSITE = 0, 1, 2, 3


class GlyphFields:
    """Where each field of a glyph comes from. The plain layout takes all of them from one
    cursor; the split layout takes PRIMITIVE literals from the literal section; the streams
    layout takes each kind from its own section."""

    def __init__(self, tags, lengths, los, his, literals, patterns):
        self.tags = tags
        self.lengths = lengths
        self.los = los
        self.his = his
        self.literals = literals
        self.patterns = patterns


def glyph_stream(fields, raw_len, glyph_pos):
    """Decodes glyphs until fields.tags is used up into exactly raw_len bytes.

    `glyph_pos(number, cursor_pos)` names a glyph in messages: "glyph at payload byte N" in the
    plain and split layouts, "glyph N" in the streams layout ("Error positions")."""
    out = bytearray()
    stack = [1, 4, 8, 16]  # the offset stack, reset for every segment
    tags = fields.tags
    number = 0
    while tags.pos < tags.end:
        where, at = glyph_pos(number, tags.pos), tags.at()
        number += 1
        first = tags.byte("glyph header")
        kind = first >> 6
        if kind == PRIMITIVE:
            n = _length(fields, first & 0x3F, 0, 0, 64, f"{where}: PRIMITIVE length")
            _check_room(out, n, raw_len, where, at)
            out += fields.literals.take(n, f"{where}: PRIMITIVE literals")
        elif kind == REFERENCE:
            lo = fields.los.byte(f"{where}: REFERENCE lo")
            n = _length(fields, first & 0x3F, 63, 4, 67, f"{where}: REFERENCE length")
            hi = fields.his.varint(f"{where}: REFERENCE hi")
            distance = ((hi << 8) | lo) + 1
            _copy(out, distance, n, raw_len, where, at)
            stack = [distance] + stack[:3]
        elif kind == DELTA:
            slot = (first >> 4) & 3
            n = _length(fields, first & 0x0F, 15, 3, 18, f"{where}: DELTA length")
            distance = stack[slot]
            _copy(out, distance, n, raw_len, where, at)
            stack = [distance] + stack[:slot] + stack[slot + 1 :]
        else:  # COMPOSITE
            p = ((first >> 4) & 3) + 1
            n = _length(fields, first & 0x0F, 15, 4, 19, f"{where}: COMPOSITE length")
            pattern = fields.patterns.take(p, f"{where}: COMPOSITE pattern")
            _check_room(out, n, raw_len, where, at)
            out += (bytes(pattern) * (n // p + 1))[:n]
    if len(out) != raw_len:
        raise FormatError(f"glyphs produce {len(out)} output bytes, raw_len is {raw_len}",
                          tags.at())
    return bytes(out)


def _length(fields, small, escape, short_base, long_base, what):
    """A glyph's length: short_base + L, or long_base + a varint x when L is the escape value
    (the table of "Glyph stream"; Python integers cannot overflow, see its note on 64 bits)."""
    if small == escape:
        return long_base + fields.lengths.varint(what)
    return short_base + small


def _check_room(out, n, raw_len, where, at):
    if len(out) + n > raw_len:
        raise FormatError(f"{where}: writes past raw_len ({len(out)} + {n} > {raw_len})", at)


def _copy(out, distance, n, raw_len, where, at):
    """An LZ77 copy of n bytes from `distance` back; overlapping copies repeat the last
    `distance` bytes, as a byte-at-a-time copy does."""
    if distance > len(out):
        raise FormatError(f"{where}: distance {distance} is beyond the {len(out)} bytes decoded",
                          at)
    _check_room(out, n, raw_len, where, at)
    start = len(out) - distance
    if distance >= n:
        out += out[start : start + n]
    else:
        chunk = bytes(out[start:])
        out += (chunk * (n // distance + 1))[:n]


# ---------------------------------------------------------------------------------------------
# Payload layouts (FORMAT.md "Segment header" flags; one function per layout)
# ---------------------------------------------------------------------------------------------


def stored_layout(data, start, enc_len, raw_len, version, anchor):
    """STORED: the payload is the raw bytes."""
    return bytes(data[start : start + enc_len])


def plain_layout(data, start, enc_len, raw_len, version, anchor):
    """Flags 0: the payload is one glyph stream ("Glyph stream")."""
    cur = Cursor(data, start, start + enc_len, "payload", 0, anchor)
    fields = GlyphFields(cur, cur, cur, cur, cur, cur)
    return glyph_stream(fields, raw_len, lambda _n, pos: f"glyph at payload byte {pos - start}")


def split_layout(data, start, enc_len, raw_len, version, anchor):
    """SPLIT (version 1): glyph_len, glyphs without PRIMITIVE literals, lit_count, literals."""
    end = start + enc_len
    cur = Cursor(data, start, end, "payload", 0, anchor)
    glyph_len = cur.u32("glyph_len")
    if glyph_len > cur.left():
        raise FormatError(f"glyphs: glyph_len {glyph_len} does not fit in the payload", start)
    glyphs = Cursor(data, cur.pos, cur.pos + glyph_len, "glyphs", 0, anchor)
    cur.pos += glyph_len
    lit_count_at = cur.at()
    lit_count = cur.u32("lit_count")
    if lit_count > raw_len:
        raise FormatError(f"literals: lit_count {lit_count} is above raw_len {raw_len}",
                          lit_count_at)
    cur.name = "section 'literals'"
    literal_bytes = byte_section(cur, lit_count, SECTION_MODES[(SPLIT, version)])
    if cur.pos != end:
        raise FormatError(f"literals: section ends {end - cur.pos} bytes before the end of the "
                          f"payload", cur.at())
    literals = Cursor(literal_bytes, 0, lit_count, "literals", None, anchor)
    fields = GlyphFields(glyphs, glyphs, glyphs, glyphs, literals, glyphs)
    out = glyph_stream(fields, raw_len, lambda _n, pos: f"glyph at payload byte {pos - start}")
    if literals.left():
        raise FormatError(f"literals: {literals.left()} of {lit_count} literals left over",
                          anchor)
    return out


STREAM_SECTIONS = ("tags", "lengths", "los", "his", "bytes")


def streams_layout(data, start, enc_len, raw_len, version, anchor):
    """STREAMS (versions 2, 3): five sections, each a u32 count and a byte section."""
    end = start + enc_len
    cur = Cursor(data, start, end, "payload", 0, anchor)
    modes = SECTION_MODES[(STREAMS, version)]
    sections = {}
    for name in STREAM_SECTIONS:
        cur.name = f"section '{name}'"
        count_at = cur.at()
        count = cur.u32("count")
        if count > raw_len:
            raise FormatError(f"section '{name}' count {count} is above raw_len {raw_len}",
                              count_at)
        sections[name] = Cursor(byte_section(cur, count, modes), 0, count,
                                f"section '{name}'", None, anchor)
    if cur.pos != end:
        raise FormatError(f"{end - cur.pos} bytes after the five sections of the payload",
                          cur.at())
    s = sections
    fields = GlyphFields(s["tags"], s["lengths"], s["los"], s["his"], s["bytes"], s["bytes"])
    out = glyph_stream(fields, raw_len, lambda number, _pos: f"glyph {number}")
    for name in STREAM_SECTIONS:
        if sections[name].left():
            raise FormatError(f"section '{name}' has {sections[name].left()} bytes left over "
                              f"after the last glyph", anchor)
    return out


# ---------------------------------------------------------------------------------------------
# Sequences layout (FORMAT.md "Sequences layout", version 4)
# ---------------------------------------------------------------------------------------------

GROUP_SEQUENCES = 4096
# "A group": the three fields in the order of their tables, each with its alphabet size (codes)
# and largest accuracy log; then the predefined distributions (mode 0) of "FSE tables", accuracy
# log 6, -1 meaning "less than one" (symbols past each list have probability 0).
FIELDS = ("literal-length", "offset", "match-length")
ALPHABET = {"literal-length": 64, "offset": 36, "match-length": 64}
LARGEST_LOG = {"literal-length": 9, "offset": 8, "match-length": 9}
PREDEFINED_LOG = 6
PREDEFINED = {
    "literal-length": (12, 6, 5, 4, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1,
                       -1, -1, -1, -1, -1, -1),
    "offset": (8, 3, 2, 2, 2, 1, -1, -1, -1, -1, -1, -1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 1, 1,
               1, 2, 2, 2, 1, 1, 1, -1, -1),
    "match-length": (7, 8, 6, 5, 4, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1,
                     -1, -1, -1, -1, -1, -1, -1, -1),
}
PREDEFINED_MODE, SINGLE_MODE, DESCRIBED_MODE, REPEAT_MODE = 0, 1, 2, 3


class FseTable:
    """A decoding table ("FSE tables"): accuracy log `log`, and per state (symbol, nb_bits,
    baseline)."""

    def __init__(self, log, states):
        self.log = log
        self.states = states


def decoding_table(log, probs):
    """FORMAT.md "Decoding table": the spread of the symbols over the 2^log states, then each
    state's nb_bits and baseline ("Next states"). `probs` adds up to 2^log, -1 counting as 1."""
    size = 1 << log
    symbols = [None] * size
    high = size
    for s, p in enumerate(probs):  # "less than one" symbols take states from the top
        if p == -1:
            high -= 1
            symbols[high] = s
    step = (size >> 1) + (size >> 3) + 3
    pos = 0
    for s, p in enumerate(probs):
        for _ in range(max(p, 0)):
            symbols[pos] = s
            pos = (pos + step) % size
            while pos >= high:
                pos = (pos + step) % size
    next_x = [1 if p == -1 else p for p in probs]
    states = []
    for s in symbols:  # states in increasing order: the j-th of symbol s gets x = q + j
        x = next_x[s]
        next_x[s] += 1
        nb_bits = log - (x.bit_length() - 1)
        states.append((s, nb_bits, (x << nb_bits) - size))
    return FseTable(log, states)


class ForwardBits:
    """A table description's bit string, read forwards from the payload, least significant bit
    first; bits past the end of the payload read as zeros until they are used ("cut off")."""

    def __init__(self, cur, what):
        self.cur = cur
        self.what = what
        self.start = cur.pos
        self.bit = 0

    def peek(self, n):
        first = self.start + self.bit // 8
        chunk = self.cur.buf[first : min(self.start + (self.bit + n + 7) // 8, self.cur.end)]
        return (int.from_bytes(chunk, "little") >> (self.bit % 8)) & ((1 << n) - 1)

    def skip(self, n):
        self.bit += n
        if self.start * 8 + self.bit > self.cur.end * 8:
            raise FormatError(f"{self.what} is cut off by the end of the payload",
                              self.cur.at(self.start))

    def read(self, n):
        value = self.peek(n)
        self.skip(n)
        return value

    def finish(self):
        """The description ends padded to a whole byte; the cursor moves past it."""
        self.cur.pos = self.start + (self.bit + 7) // 8


def table_description(cur, field, what):
    """FORMAT.md "Table description" (mode 2): the accuracy log, then p + 1 for each symbol in
    w or w - 1 bits, with 2-bit repeat counts after each zero, until `remaining` is 0."""
    at = cur.at()
    bits = ForwardBits(cur, what)
    log = bits.read(4) + 5
    if log > LARGEST_LOG[field]:
        raise FormatError(f"{what}: accuracy log {log} is above {LARGEST_LOG[field]}", at)
    alphabet = ALPHABET[field]
    remaining = 1 << log
    probs = []
    while remaining > 0:
        if len(probs) >= alphabet:
            raise FormatError(f"{what}: {remaining} of {1 << log} states left at the end of the "
                              f"alphabet ({alphabet} symbols)", at)
        w = (remaining + 1).bit_length()
        short = (1 << w) - 1 - (remaining + 1)
        t = bits.peek(w)
        low = t & ((1 << (w - 1)) - 1)
        if low < short:
            x = low
            bits.skip(w - 1)
        else:
            x = t if t < 1 << (w - 1) else t - short
            bits.skip(w)
        p = x - 1
        probs.append(p)
        remaining -= abs(p)
        if p == 0:
            r = 3
            while r == 3:
                r = bits.read(2)
                probs += [0] * r
            if len(probs) > alphabet:
                raise FormatError(f"{what}: a run of zeros goes past the alphabet "
                                  f"({alphabet} symbols)", at)
    bits.finish()
    return decoding_table(log, probs)


def field_table(cur, g, field, mode, previous):
    """The table of one field for group g, by its mode ("A group", table modes)."""
    what = f"group {g} {field} table"
    if mode == PREDEFINED_MODE:
        return decoding_table(PREDEFINED_LOG, PREDEFINED[field])
    if mode == SINGLE_MODE:
        at = cur.at()
        symbol = cur.byte(what)
        if symbol >= ALPHABET[field]:
            raise FormatError(f"{what}: single symbol {symbol} is not below the alphabet size "
                              f"{ALPHABET[field]}", at)
        return FseTable(0, [(symbol, 0, 0)])
    if mode == DESCRIBED_MODE:
        return table_description(cur, field, what)
    assert mode == REPEAT_MODE
    if previous is None:
        raise FormatError(f"{what}: repeat mode in the first group", cur.at())
    return previous


class BackwardBits:
    """FORMAT.md "The bitstream of a group": read from the bit below the marker (the highest
    set bit of the last byte) down to bit 0, each field with its higher-addressed bit most
    significant."""

    def __init__(self, data, what, at):
        if not data or data[-1] == 0:
            raise FormatError(f"{what}: {'empty' if not data else 'last byte is 00'}", at)
        self.bits = bin(int.from_bytes(data, "little"))[3:]  # below the marker, highest first
        self.pos = 0
        self.what = what
        self.at = at

    def read(self, n):
        end = self.pos + n
        if end > len(self.bits):
            raise FormatError(f"{self.what}: reads past its first bit", self.at)
        value = int(self.bits[self.pos : end], 2) if n else 0
        self.pos = end
        return value


def length_value(code, bits):
    """FORMAT.md "Codes": a literal length, or a match length less 3, from its length code and
    its extra bits."""
    if code < 16:
        return code
    k = 4 + (code - 16) // 2
    return (1 << k) + ((code - 16) % 2) * (1 << (k - 1)) + bits.read(k - 1)


def group_bitstream(data, n, tables, what, at):
    """Decodes the n sequences of a group: [(ll, offset code o, new distance, ml)], the new
    distance being that of an offset code 8-35 (0 for the others)."""
    bits = BackwardBits(data, what, at)
    ll_table, of_table, ml_table = tables
    ll_state, of_state, ml_state = (bits.read(t.log) for t in tables)
    sequences = []
    for i in range(n):
        ll_code, ll_nb, ll_base = ll_table.states[ll_state]
        o, of_nb, of_base = of_table.states[of_state]
        ml_code, ml_nb, ml_base = ml_table.states[ml_state]
        distance = (1 << (o - 8)) + bits.read(o - 8) if o >= 8 else 0
        ml = length_value(ml_code, bits) + 3
        ll = length_value(ll_code, bits)
        sequences.append((ll, o, distance, ml))
        if i < n - 1:  # the state updates: literal length, match length, offset
            ll_state = ll_base + bits.read(ll_nb)
            ml_state = ml_base + bits.read(ml_nb)
            of_state = of_base + bits.read(of_nb)
    if bits.pos != len(bits.bits):
        raise FormatError(f"{what}: {len(bits.bits) - bits.pos} bits left over after the last "
                          f"sequence", at)
    return sequences


def sequences_group(cur, g, n, previous):
    """FORMAT.md "A group": modes, the three tables, stream_len and the bitstream of n
    sequences; returns (its tables, its sequences)."""
    modes_at = cur.at()
    modes = cur.byte(f"group {g} modes")
    if modes >> 6:
        raise FormatError(f"group {g} modes: bits 6-7 are not zero ({modes:#04x})", modes_at)
    tables = [field_table(cur, g, field, (modes >> (2 * i)) & 3, previous and previous[i])
              for i, field in enumerate(FIELDS)]
    stream_len_at = cur.at()
    stream_len = cur.u32(f"group {g} bitstream length")
    if stream_len > cur.left():
        raise FormatError(f"group {g} bitstream length {stream_len} does not fit in the "
                          f"{cur.left()} bytes left of the payload", stream_len_at)
    at = cur.at()
    data = cur.take(stream_len, f"group {g} bitstream")
    return tables, group_bitstream(data, n, tables, f"group {g} bitstream", at)


class SequenceExecution:
    """FORMAT.md "Executing a sequence": the segment's output, its offset stack and the literals."""

    def __init__(self, literals, raw_len, anchor):
        self.out = bytearray()
        self.stack = [1, 4, 8, 16]
        self.literals = literals
        self.used = 0  # literals appended so far
        self.raw_len = raw_len
        self.anchor = anchor

    def fail(self, number, what):
        return FormatError(f"sequence {number}: {what}", self.anchor)

    def run(self, number, ll, o, new_distance, ml):
        out = self.out
        if ll > len(self.literals) - self.used:
            raise self.fail(number, f"{ll} literals wanted, {len(self.literals) - self.used} "
                                    f"left")
        if len(out) + ll + ml > self.raw_len:
            raise self.fail(number, f"writes past raw_len ({len(out)} + {ll} + {ml} > "
                                    f"{self.raw_len})")
        out += self.literals[self.used : self.used + ll]
        self.used += ll
        if o < 4:  # repeat (DELTA): stack[o] moves to the front
            d = self.stack[o]
            self.stack = [d] + self.stack[:o] + self.stack[o + 1 :]
        elif o < 8:  # run (COMPOSITE): the last 1-4 bytes repeated; the stack is unchanged
            d = o - 3
        else:  # new (REFERENCE)
            d = new_distance
            self.stack = [d] + self.stack[:3]
        if d > len(out):
            raise self.fail(number, f"distance {d} is beyond the {len(out)} bytes decoded")
        start = len(out) - d
        if d >= ml:
            out += out[start : start + ml]
        else:
            out += (bytes(out[start:]) * (ml // d + 1))[:ml]

    def finish(self):
        """The literals not yet used end the segment, which must then hold exactly raw_len."""
        left = len(self.literals) - self.used
        if len(self.out) + left != self.raw_len:
            raise FormatError(f"the sequences and the {left} literals left make "
                              f"{len(self.out) + left} bytes, raw_len is {self.raw_len}",
                              self.anchor)
        self.out += self.literals[self.used :]
        return bytes(self.out)


def sequences_layout(data, start, enc_len, raw_len, version, anchor):
    """SEQUENCES (version 4): lit_count, the literals' byte section, seq_count, the groups."""
    end = start + enc_len
    cur = Cursor(data, start, end, "literals", 0, anchor)
    lit_count_at = cur.at()
    lit_count = cur.u32("lit_count")
    if lit_count > raw_len:
        raise FormatError(f"literals: lit_count {lit_count} is above raw_len {raw_len}",
                          lit_count_at)
    literals = byte_section(cur, lit_count, SECTION_MODES[(SEQUENCES, version)])
    cur.name = "sequences"
    seq_count_at = cur.at()
    seq_count = cur.u32("seq_count")
    if seq_count > (raw_len - lit_count) // 3:
        raise FormatError(f"sequences: seq_count {seq_count} is above ({raw_len} - {lit_count})"
                          f" / 3", seq_count_at)
    execution = SequenceExecution(literals, raw_len, anchor)
    tables = None
    for g, first in enumerate(range(0, seq_count, GROUP_SEQUENCES)):
        n = min(GROUP_SEQUENCES, seq_count - first)
        tables, sequences = sequences_group(cur, g, n, tables)
        for i, sequence in enumerate(sequences):
            execution.run(first + i, *sequence)
    if cur.pos != end:
        raise FormatError(f"sequences: {end - cur.pos} bytes after the last group", cur.at())
    return execution.finish()


LAYOUTS = {
    PLAIN: plain_layout,
    STORED: stored_layout,
    SPLIT: split_layout,
    STREAMS: streams_layout,
    SEQUENCES: sequences_layout,
}


# ---------------------------------------------------------------------------------------------
# File header (FORMAT.md "File header")
# ---------------------------------------------------------------------------------------------


def need(data, pos, n, what):
    if len(data) - pos < n:
        raise FormatError(f"truncated stream: {what} needs {n} bytes, "
                          f"{max(len(data) - pos, 0)} left", pos)


def file_header(data, s):
    """Checks the 16-byte file header at s; returns (version, level, segment_size)."""
    if data[s : s + 4] != FILE_MAGIC:
        raise FormatError("not a ΣLANG stream (bad file magic)", s)
    need(data, s, FILE_HEADER_LEN, "the file header")
    version = data[s + 4]
    if version not in VERSION_LAYOUTS:
        raise FormatError(f"file header: unknown format version {version}", s + 4)
    if u32_at(data, s + 12) != xxh32(data[s : s + 12]):
        raise FormatError("file header: check value does not match", s + 12)
    if data[s + 5] != 0:
        raise FormatError(f"file header: flags byte is {data[s + 5]}, not 0", s + 5)
    if data[s + 7] != 0:
        raise FormatError(f"file header: reserved byte is {data[s + 7]}, not 0", s + 7)
    level = data[s + 6]
    if not 1 <= level <= 9:
        raise FormatError(f"file header: level {level} is not 1 to 9", s + 6)
    segment_size = u32_at(data, s + 8)
    if not MIN_SEGMENT_SIZE <= segment_size <= MAX_SEGMENT_SIZE:
        raise FormatError(f"file header: segment_size {segment_size} is not "
                          f"{MIN_SEGMENT_SIZE} to {MAX_SEGMENT_SIZE}", s + 8)
    return version, level, segment_size


# ---------------------------------------------------------------------------------------------
# Segment (FORMAT.md "Segment", "Segment header", "Decoding a segment")
# ---------------------------------------------------------------------------------------------


def segment(data, h, ordinal, version, segment_size):
    """Checks and decodes the segment whose header is at h; returns (header fields, raw bytes)."""
    need(data, h, SEGMENT_HEADER_LEN, f"segment {ordinal} header")
    name = f"segment {ordinal}"
    if data[h : h + 4] != SEGMENT_SYNC:
        raise FormatError(f"{name}: bad sync marker", h)
    if u32_at(data, h + 32) != xxh32(data[h : h + 32]):
        raise FormatError(f"{name}: header check value does not match", h + 32)
    if u32_at(data, h + 4) != ordinal:
        raise FormatError(f"{name}: header says ordinal {u32_at(data, h + 4)}", h + 4)
    flags = data[h + 8]
    if flags not in LAYOUTS:
        raise FormatError(f"{name}: unknown layout flags {flags}", h + 8)
    if flags not in VERSION_LAYOUTS[version]:
        raise FormatError(f"{name}: layout {LAYOUT_NAMES[flags]} does not exist in format "
                          f"version {version}", h + 8)
    if data[h + 9 : h + 12] != b"\0\0\0":
        raise FormatError(f"{name}: reserved header bytes are not 0", h + 9)
    raw_len = u32_at(data, h + 12)
    enc_len = u32_at(data, h + 16)
    raw_hash = u64_at(data, h + 20)
    payload_hash = u32_at(data, h + 28)
    if not 1 <= raw_len <= segment_size:
        raise FormatError(f"{name}: raw_len {raw_len} is not 1 to {segment_size}", h + 12)
    if flags == STORED and enc_len != raw_len:
        raise FormatError(f"{name}: STORED enc_len {enc_len} differs from raw_len {raw_len}",
                          h + 16)
    if flags != STORED and enc_len >= raw_len:
        raise FormatError(f"{name}: enc_len {enc_len} is not below raw_len {raw_len}", h + 16)
    start = h + SEGMENT_HEADER_LEN
    need(data, start, enc_len, f"{name} payload")
    payload = data[start : start + enc_len]
    if xxh3_64(payload) & M32 != payload_hash:
        raise FormatError(f"{name}: payload_hash does not match", h + 28)
    try:
        raw = LAYOUTS[flags](data, start, enc_len, raw_len, version, h)
    except FormatError as e:
        raise FormatError(f"{name} (header at byte {h}): {e.what}", e.at) from None
    if len(raw) != raw_len:  # the layouts guarantee it; kept as a plain assertion of the rule
        raise FormatError(f"{name}: decodes to {len(raw)} bytes, raw_len is {raw_len}", h)
    if xxh3_64(raw) != raw_hash:
        raise FormatError(f"{name}: raw_hash does not match the decoded bytes", h + 20)
    return (ordinal, raw_len, enc_len, raw_hash), raw


# ---------------------------------------------------------------------------------------------
# Index (FORMAT.md "Index")
# ---------------------------------------------------------------------------------------------


def index(data, s, x, headers, segment_size):
    """Checks the index at x (stream start s) against the segment headers read before it;
    returns the offset just after it."""
    need(data, x, INDEX_FIXED_LEN, "the index")
    if data[x : x + 4] != INDEX_MAGIC:
        raise FormatError("index: bad magic", x)
    count = u64_at(data, x + 4)
    if count != len(headers):
        raise FormatError(f"index: count {count} differs from the {len(headers)} segments "
                          f"before it", x + 4)
    size = INDEX_FIXED_LEN + INDEX_ENTRY_LEN * count
    need(data, x, size, "the index")
    entries = data[x + 12 : x + 12 + INDEX_ENTRY_LEN * count]
    check = u32_at(data, x + 12 + INDEX_ENTRY_LEN * count)
    if check != xxh3_64(INDEX_MAGIC + entries + data[x + 4 : x + 12]) & M32:
        raise FormatError("index: check value does not match", x + 12 + INDEX_ENTRY_LEN * count)
    raw_offset = 0
    enc_offset = FILE_HEADER_LEN
    for k in range(count):
        e = x + 12 + INDEX_ENTRY_LEN * k
        e_raw_offset, e_enc_offset = u64_at(data, e), u64_at(data, e + 8)
        e_raw_len, e_enc_len = u32_at(data, e + 16), u32_at(data, e + 20)
        e_raw_hash = u64_at(data, e + 24)
        last = k == count - 1
        if e_raw_offset != raw_offset:
            raise FormatError(f"index entry {k}: raw_offset {e_raw_offset}, expected "
                              f"{raw_offset}", e)
        if e_enc_offset != enc_offset:
            raise FormatError(f"index entry {k}: enc_offset {e_enc_offset}, expected "
                              f"{enc_offset}", e + 8)
        if (not last and e_raw_len != segment_size) or not 1 <= e_raw_len <= segment_size:
            raise FormatError(f"index entry {k}: raw_len {e_raw_len} with segment_size "
                              f"{segment_size}", e + 16)
        if e_enc_len > e_raw_len:
            raise FormatError(f"index entry {k}: enc_len {e_enc_len} above raw_len "
                              f"{e_raw_len}", e + 20)
        if (k, e_raw_len, e_enc_len, e_raw_hash) != headers[k]:
            raise FormatError(f"segment {k}: segment header disagrees with the index",
                              s + e_enc_offset)
        raw_offset += e_raw_len
        enc_offset += SEGMENT_HEADER_LEN + e_enc_len
    if enc_offset != x - s:
        raise FormatError(f"index: the last segment ends at {enc_offset}, the index starts at "
                          f"{x - s}", x)
    return x + size


# ---------------------------------------------------------------------------------------------
# Footer (FORMAT.md "Footer")
# ---------------------------------------------------------------------------------------------


def footer(data, s, f, headers, index_offset):
    """Checks the footer at f against the segments of the stream starting at s."""
    need(data, f, FOOTER_LEN, "the footer")
    if data[f : f + 4] != FOOTER_MAGIC:
        raise FormatError("footer: bad magic", f)
    if u32_at(data, f + 36) != xxh32(data[f : f + 36]):
        raise FormatError("footer: check value does not match", f + 36)
    segments = u64_at(data, f + 4)
    raw_len = u64_at(data, f + 12)
    f_index_offset = u64_at(data, f + 20)
    stream_hash = u64_at(data, f + 28)
    if segments != len(headers):
        raise FormatError(f"footer: segments {segments} disagrees with the {len(headers)} "
                          f"segments", f + 4)
    total = sum(h[1] for h in headers)
    if raw_len != total:
        raise FormatError(f"footer raw length {raw_len} disagrees with the {total} bytes the "
                          f"segments hold", f + 12)
    if f_index_offset != index_offset:
        raise FormatError(f"footer: index_offset {f_index_offset}, the index is at "
                          f"{index_offset}", f + 20)
    hashes = b"".join(h[3].to_bytes(8, "little") for h in headers)
    if stream_hash != xxh3_64(hashes):
        raise FormatError("footer: stream_hash does not match the segments' raw_hash values",
                          f + 28)
    return f + FOOTER_LEN


# ---------------------------------------------------------------------------------------------
# A stream, front to back (FORMAT.md layout diagram), and concatenated streams
# ---------------------------------------------------------------------------------------------


def stream(data, s):
    """Decodes the complete stream starting at s; returns (decoded bytes, end offset)."""
    version, _level, segment_size = file_header(data, s)
    pos = s + FILE_HEADER_LEN
    headers = []
    parts = []
    while True:
        need(data, pos, 4, "a segment header or the index")
        marker = data[pos : pos + 4]
        if marker == INDEX_MAGIC:
            break
        if marker != SEGMENT_SYNC:
            raise FormatError("expected a segment header or the index", pos)
        ordinal = len(headers)
        if headers and headers[-1][1] != segment_size:
            # "Segment": only the last segment may hold fewer than segment_size bytes.
            raise FormatError(f"segment {ordinal - 1} holds {headers[-1][1]} bytes, fewer than "
                              f"segment_size {segment_size}, and another segment follows", pos)
        header, raw = segment(data, pos, ordinal, version, segment_size)
        headers.append(header)
        parts.append(raw)
        pos += SEGMENT_HEADER_LEN + header[2]
    index_offset = pos - s
    pos = index(data, s, pos, headers, segment_size)
    pos = footer(data, s, pos, headers, index_offset)
    return b"".join(parts), pos


def concatenated_streams(data):
    """FORMAT.md "Concatenated streams": one or more streams back to back, then nothing."""
    if len(data) < FILE_HEADER_LEN:
        # "Concatenated streams": the input holds at least one stream; an input that ends inside
        # its first file header, an empty one included, is truncated.
        raise FormatError("truncated stream: the input ends inside the file header", len(data))
    if data[:4] != FILE_MAGIC:
        raise FormatError("not a ΣLANG stream (bad file magic)", 0)
    out = []
    pos = 0
    while True:
        raw, pos = stream(data, pos)
        out.append(raw)
        after = data[pos : pos + 4]
        if not after:
            return b"".join(out)
        if after != FILE_MAGIC:
            raise FormatError("trailing data after the stream (not a ΣLANG stream)", pos)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: reference_decoder.py FILE.sigma > OUT\n")
        return 2
    try:
        if argv[1] == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(argv[1], "rb") as f:
                data = f.read()
    except OSError as e:
        sys.stderr.write(f"reference_decoder: cannot read {argv[1]}: {e.strerror}\n")
        return 2
    try:
        out = concatenated_streams(data)
    except FormatError as e:
        sys.stderr.write(f"reference_decoder: {e.what} at byte {e.at}\n")
        return 1
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
