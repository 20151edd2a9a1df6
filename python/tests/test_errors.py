"""Tests of the sigmalang package's errors: corrupt and truncated streams (the segment and offset
named), exceptions that pickle, bad options and arguments, the memory limit, OS errors and
exceptions raised by file objects."""

from __future__ import annotations

import errno
import io
import pickle

import pytest

import sigmalang
from helpers import segment_offsets


# -- errors ---------------------------------------------------------------------------------------


def test_corrupt_segment_names_segment_and_offset(tmp_path, data, small_segments):
    offsets = segment_offsets(small_segments)
    k = 5
    at, length = offsets[k]
    damaged = bytearray(small_segments)
    damaged[at + length - 1] ^= 0x55
    damaged = bytes(damaged)
    checks = [
        lambda: sigmalang.decompress(damaged),
        lambda: sigmalang.decompress(damaged, threads=1),
        lambda: sigmalang.read_range(io.BytesIO(damaged), 0, len(data)),
        lambda: sigmalang.verify(io.BytesIO(damaged)),
    ]
    path = tmp_path / "bad.sigma"
    path.write_bytes(damaged)
    checks += [lambda: sigmalang.verify(path), lambda: sigmalang.decode_file(path, tmp_path / "out")]
    for check in checks:
        with pytest.raises(sigmalang.CorruptError) as e:
            check()
        assert not isinstance(e.value, sigmalang.TruncatedError)
        assert isinstance(e.value, sigmalang.SigmaError)
        assert e.value.segment == k
        assert e.value.offset == at
        assert f"segment {k}" in str(e.value)
    assert not (tmp_path / "out").exists()


def test_truncated(small_segments):
    for cut in (len(small_segments) // 2, len(small_segments) - 1, 10):
        with pytest.raises(sigmalang.TruncatedError) as e:
            sigmalang.decompress(small_segments[:cut])
        assert isinstance(e.value, sigmalang.CorruptError)
        assert isinstance(e.value.offset, int)
        with pytest.raises(sigmalang.TruncatedError):
            sigmalang.Reader(io.BytesIO(small_segments[:cut]))


def test_not_sigma():
    with pytest.raises(sigmalang.CorruptError) as e:
        sigmalang.decompress(b"this is not a sigma stream at all, just text" * 3)
    assert e.value.segment is None and e.value.offset is None


def test_errors_pickle(small_segments):
    """Exceptions cross process boundaries (Dask) with their class and attributes."""
    with pytest.raises(sigmalang.CorruptError) as e:
        sigmalang.decompress(small_segments[:100])
    back = pickle.loads(pickle.dumps(e.value))
    assert type(back) is sigmalang.TruncatedError
    assert (back.segment, back.offset, str(back)) == (e.value.segment, e.value.offset, str(e.value))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"level": 0},
        {"level": 10},
        {"level": -3},
        {"threads": -1},
        {"threads": 100_000},
        {"segment_size": 1000},
        {"segment_size": 1 << 30},
        {"segment_size": "huge"},
        {"segment_size": -4096},
    ],
)
def test_bad_options_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        sigmalang.compress(b"abc", **kwargs)
    with pytest.raises(ValueError):
        sigmalang.Writer(io.BytesIO(), **kwargs)


def test_bad_arguments():
    with pytest.raises(ValueError):
        sigmalang.part_range(100, 3, 3)
    with pytest.raises(ValueError):
        sigmalang.part_range(100, 0, 0)
    with pytest.raises(ValueError):
        sigmalang.read_range(io.BytesIO(sigmalang.compress(b"abc")), 2, 1)
    with pytest.raises(ValueError):
        sigmalang.Reader(io.BytesIO(sigmalang.compress(b"abc"))).read_at(-1, 1)
    with pytest.raises(TypeError):
        sigmalang.info(12345)
    with pytest.raises(TypeError):
        sigmalang.salvage(io.BytesIO(b"x"), io.BytesIO())


def test_memory_limit(small_segments, data):
    with pytest.raises(sigmalang.MemoryLimitError) as e:
        sigmalang.Reader(io.BytesIO(small_segments), memory_limit=1024)
    assert e.value.limit == 1024 and e.value.needed > 1024
    assert isinstance(e.value, sigmalang.SigmaError)
    with pytest.raises(sigmalang.MemoryLimitError):
        sigmalang.open(io.BytesIO(small_segments), memory_limit=1024)
    with sigmalang.open(io.BytesIO(small_segments), memory_limit=64 << 20) as f:
        assert f.read() == data


def test_os_errors(tmp_path):
    missing = tmp_path / "missing.sigma"
    for call in (
        lambda: sigmalang.info(missing),
        lambda: sigmalang.Reader(missing),
        lambda: sigmalang.decode_file(missing, tmp_path / "o"),
        lambda: sigmalang.encode_file(missing, tmp_path / "o"),
        lambda: sigmalang.open(missing),
    ):
        with pytest.raises(FileNotFoundError) as e:
            call()
        assert e.value.errno == errno.ENOENT
        assert e.value.filename == str(missing)
    with pytest.raises(IsADirectoryError):
        sigmalang.Writer(tmp_path)


class Exploding(io.BytesIO):
    class Boom(Exception):
        pass

    def read(self, n=-1):
        raise self.Boom("read failed")

    def write(self, b):
        raise self.Boom("write failed")


def test_file_object_exceptions_pass_through(small_segments):
    with pytest.raises(Exploding.Boom):
        sigmalang.Reader(Exploding(small_segments))
    with pytest.raises(Exploding.Boom):
        sigmalang.verify(Exploding(small_segments))
    w = sigmalang.Writer(Exploding(), segment_size=4096)
    with pytest.raises(Exploding.Boom):
        for _ in range(100):
            w.write(b"x" * 100_000)
        w.finish()


