"""Tests of sigmalang.open(), Reader and Writer: reading, seeking and writing through paths and
file objects, text mode, threads sharing a file object, and sigmalang as an fsspec compression."""

from __future__ import annotations

import io
import random
import threading

import pytest

import sigmalang
from helpers import segment_offsets


# -- helpers --------------------------------------------------------------------------------------


def lines(b: bytes):
    """`b` split after every b"\\n" (bytes.splitlines also splits at b"\\r")."""
    out = [line + b"\n" for line in b.split(b"\n")]
    out[-1] = out[-1][:-1]
    return out if out[-1] else out[:-1]


# -- open(): reading ------------------------------------------------------------------------------


def test_open_read_seek_tell(tmp_path, data, small_segments):
    path = tmp_path / "x.sigma"
    path.write_bytes(small_segments)
    rng = random.Random(7)
    with sigmalang.open(path) as f:
        assert isinstance(f, io.BufferedIOBase)
        assert f.readable() and f.seekable() and not f.writable()
        assert f.size == len(data)
        assert f.read(10) == data[:10] and f.tell() == 10
        for _ in range(300):
            pos = rng.randrange(len(data) + 100)
            n = rng.choice([0, 1, 7, 4095, 4096, 4097, 9000, 300_000])
            assert f.seek(pos) == pos and f.tell() == pos
            got = f.read(n)
            assert got == data[pos : pos + n]
            assert f.tell() == pos + len(got)
        # Around every segment boundary.
        for k in range(1, len(data) // 4096):
            f.seek(k * 4096 - 3)
            assert f.read(6) == data[k * 4096 - 3 : k * 4096 + 3]
        assert f.seek(-5, io.SEEK_END) == len(data) - 5
        assert f.read() == data[-5:]
        assert f.read() == b"" and f.read(10) == b""
        f.seek(100)
        assert f.seek(50, io.SEEK_CUR) == 150
        assert f.read(4) == data[150:154]
        assert f.seek(len(data) + 10) == len(data) + 10 and f.read(3) == b""
        with pytest.raises(ValueError):
            f.seek(-1)
        with pytest.raises(ValueError):
            f.seek(0, 7)
    assert f.closed
    with pytest.raises(ValueError):
        f.read(1)


def test_open_readinto_readline_iterate(data, small_segments):
    with sigmalang.open(io.BytesIO(small_segments)) as f:
        buf = bytearray(5000)
        f.seek(4000)
        assert f.readinto(buf) == 5000 and bytes(buf) == data[4000:9000]
        f.seek(len(data) - 10)
        assert f.readinto(buf) == 10 and bytes(buf[:10]) == data[-10:]
        f.seek(0)
        assert list(f) == lines(data)
        f.seek(3)
        first = data[3:].split(b"\n", 1)[0] + b"\n"
        assert f.readline() == first
        f.seek(3)
        assert f.readline(2) == data[3:5]
        f.seek(0)
        assert f.read1(100) == data[:100]
        assert f.peek(1)[:1] == data[100:101] and f.tell() == 100


def test_text_mode(tmp_path):
    text = "ΣLANG line one\nline two\n" * 500
    path = tmp_path / "t.sigma"
    with sigmalang.open(path, "wt", encoding="utf-8", segment_size=4096) as f:
        f.write(text)
    with sigmalang.open(path, "rt", encoding="utf-8") as f:
        assert f.read() == text
    assert sigmalang.decompress(path.read_bytes()) == text.encode()


def test_read_touches_only_needed_segments(data, small_segments):
    """A read decodes the segments it covers: damage elsewhere goes unnoticed."""
    offsets = segment_offsets(small_segments)
    damaged = bytearray(small_segments)
    at, length = offsets[-3]
    damaged[at + length - 1] ^= 0xFF
    with sigmalang.open(io.BytesIO(bytes(damaged))) as f:
        assert f.read(10_000) == data[:10_000]
        f.seek(len(data) - 100)
        assert f.read() == data[-100:]
        f.seek((len(offsets) - 3) * 4096 + 5)
        with pytest.raises(sigmalang.CorruptError) as e:
            f.read(1)
        assert e.value.segment == len(offsets) - 3


class CountingFile(io.BytesIO):
    """A BytesIO that counts the bytes read through it."""

    def __init__(self, b: bytes):
        super().__init__(b)
        self.bytes_read = 0

    def read(self, n=-1):
        got = super().read(n)
        self.bytes_read += len(got)
        return got


def test_reader_reads_little_of_a_file_object(data, small_segments):
    f = CountingFile(small_segments)
    with sigmalang.Reader(f) as r:
        assert r.size == len(data) and r.segments == len(segment_offsets(small_segments))
        opened = f.bytes_read
        assert r.read_at(100_000, 100) == data[100_000:100_100]
        assert f.bytes_read - opened < 3 * 4096
        assert r.read_at(len(data) - 3, 100) == data[-3:]
        assert r.read_at(len(data) + 5, 10) == b""
    assert r.closed
    with pytest.raises(ValueError):
        r.read_at(0, 1)
    assert not f.closed  # a file object given stays open


def test_readers_sharing_one_file_object(data, small_segments):
    """Readers in several threads over one file object (as fsspec's memory file system hands out)
    each read the right bytes: a positional read is seek + read under one hold of the GIL."""
    shared = io.BytesIO(small_segments)
    errors = []

    def work(seed):
        rng = random.Random(seed)
        try:
            with sigmalang.Reader(shared) as r:
                for _ in range(200):
                    pos = rng.randrange(len(data))
                    assert r.read_at(pos, 5000) == data[pos : pos + 5000]
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# -- open(): writing ------------------------------------------------------------------------------


@pytest.mark.parametrize("threads", [1, 0])
def test_open_write_then_read(tmp_path, data, threads):
    path = tmp_path / "w.sigma"
    with sigmalang.open(path, "wb", level=5, threads=threads, segment_size=8192) as f:
        assert f.writable() and not f.readable() and not f.seekable()
        for k in range(0, len(data), 7001):
            assert f.write(data[k : k + 7001]) == len(data[k : k + 7001])
        assert f.tell() == len(data)
        assert not path.exists()  # renamed into place by close()
    assert path.read_bytes() == sigmalang.compress(data, level=5, segment_size=8192)
    with sigmalang.open(path, "rb") as f:
        assert f.read() == data
    assert [p.name for p in tmp_path.iterdir()] == ["w.sigma"]


def test_writer_to_file_object(data):
    sink = io.BytesIO()
    with sigmalang.Writer(sink, level=2, segment_size=4096) as w:
        w.write(data[:1000])
        w.write(memoryview(data)[1000:])
        assert w.bytes_written == len(data)
    assert w.closed and not sink.closed
    assert sink.getvalue() == sigmalang.compress(data, level=2, segment_size=4096)

    sink = io.BytesIO()
    w = sigmalang.Writer(sink, threads=1)
    w.write(data)
    stats = w.finish()
    assert stats["bytes_in"] == len(data) and stats["bytes_out"] == len(sink.getvalue())
    with pytest.raises(ValueError):
        w.write(b"more")
    with pytest.raises(ValueError):
        w.finish()


def test_write_abandoned_leaves_no_file(tmp_path, data):
    path = tmp_path / "gone.sigma"
    with pytest.raises(RuntimeError):
        with sigmalang.open(path, "wb") as f:
            f.write(data)
            raise RuntimeError("stop")
    w = sigmalang.Writer(path)
    w.write(data)
    w.close()
    w.close()
    assert list(tmp_path.iterdir()) == []


def test_exclusive_mode(tmp_path):
    path = tmp_path / "x.sigma"
    with sigmalang.open(path, "xb") as f:
        f.write(b"abc")
    with pytest.raises(FileExistsError):
        sigmalang.open(path, "xb")
    with pytest.raises(ValueError):
        sigmalang.open(path, "ab")


def test_bytesio_round_trip(data):
    buf = io.BytesIO()
    with sigmalang.open(buf, "wb", segment_size=4096) as f:
        f.write(data)
    assert not buf.closed
    buf.seek(0)
    with sigmalang.open(buf) as f:
        f.seek(123_456)
        assert f.read(1000) == data[123_456:124_456]


# -- fsspec ---------------------------------------------------------------------------------------


def test_fsspec_local(tmp_path, data):
    fsspec = pytest.importorskip("fsspec")
    path = tmp_path / "f.sigma"
    with fsspec.open(str(path), "wb", compression="sigma") as f:
        f.write(data)
    assert sigmalang.decompress(path.read_bytes()) == data
    with fsspec.open(str(path), "rb", compression="infer") as f:
        f.seek(150_000)
        assert f.read(100) == data[150_000:150_100]
    with fsspec.open(f"file://{path}", "rb", compression="sigma") as f:
        assert f.read() == data
    # Text mode through fsspec's wrapper.
    with fsspec.open(str(path), "rt", compression="infer", encoding="latin-1") as f:
        assert f.read(50) == data[:50].decode("latin-1")


def test_fsspec_memory(data):
    fsspec = pytest.importorskip("fsspec")
    url = "memory://sigmalang-test/data.bin.sigma"
    with fsspec.open(url, "wb", compression="infer") as f:
        f.write(data)
    fs = fsspec.filesystem("memory")
    raw = fs.cat_file("/sigmalang-test/data.bin.sigma")
    assert sigmalang.decompress(raw) == data
    with fsspec.open(url, "rb", compression="sigma") as f:
        f.seek(-1000, io.SEEK_END)
        assert f.read() == data[-1000:]
    # The package's own functions over an fsspec file object.
    with fs.open("/sigmalang-test/data.bin.sigma", "rb") as f:
        assert sigmalang.read_range(f, 10, 30) == data[10:30]
        assert sigmalang.info(f)["raw_bytes"] == len(data)
        assert sigmalang.verify(f)["ok"]
    fs.rm("/sigmalang-test", recursive=True)


def test_fsspec_registration_idempotent():
    fsspec = pytest.importorskip("fsspec")
    import importlib

    importlib.reload(sigmalang)
    assert fsspec.compression.compr["sigma"].__module__ == "sigmalang"
    assert fsspec.utils.infer_compression("a/b.tar.sigma") == "sigma"


