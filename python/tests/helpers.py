"""Helpers shared by the tests of the sigmalang package: the data they compress (made here, small)
and the segments of an encoded stream. The fixtures built on them are in conftest.py."""

from __future__ import annotations

import io
import random

import sigmalang


def text_data(n: int, seed: int = 1) -> bytes:
    """`n` bytes of compressible, word-like text (newlines included)."""
    rng = random.Random(seed)
    words = [
        bytes(rng.choice(b"abcdefghijklmnop") for _ in range(rng.randint(2, 9)))
        for _ in range(400)
    ]
    out = bytearray()
    while len(out) < n:
        out += rng.choice(words)
        out += b"\n" if rng.random() < 0.1 else b" "
    return bytes(out[:n])


def noise(n: int, seed: int = 2) -> bytes:
    """`n` incompressible bytes (stored segments)."""
    return random.Random(seed).randbytes(n)


def mixed(n: int) -> bytes:
    """Text with a stretch of noise in the middle: coded and stored segments."""
    third = n // 3
    return text_data(third) + noise(third) + text_data(n - 2 * third, seed=3)


def segment_offsets(blob: bytes):
    """(encoded_offset, encoded_len) of every segment of a stream, from its index."""
    return [(s["encoded_offset"], s["encoded_len"]) for s in sigmalang.info(io.BytesIO(blob))["segment_list"]]
