"""Tests of the sigmalang Python package (everything but sigmalang.dask): the one-shot functions,
open(), file objects and fsspec, errors, parts, and the GIL being released.

Data is made here, small; the CLI comparisons run when a `sigma` binary is built (SIGMA_BIN, or
the newer of target/release/sigma and target/debug/sigma) and are skipped otherwise.
"""

from __future__ import annotations

import array
import errno
import io
import json
import os
import pickle
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import sigmalang

ROOT = Path(__file__).resolve().parents[2]


# -- data and helpers ---------------------------------------------------------------------------


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


@pytest.fixture(scope="module")
def data() -> bytes:
    return mixed(200_000)


def sigma_bin():
    """The `sigma` CLI to compare with, or None."""
    env = os.environ.get("SIGMA_BIN")
    if env:
        return env if Path(env).exists() else None
    found = [p for p in (ROOT / "target/release/sigma", ROOT / "target/debug/sigma") if p.exists()]
    return str(max(found, key=lambda p: p.stat().st_mtime)) if found else None


def lines(b: bytes):
    """`b` split after every b"\\n" (bytes.splitlines also splits at b"\\r")."""
    out = [line + b"\n" for line in b.split(b"\n")]
    out[-1] = out[-1][:-1]
    return out if out[-1] else out[:-1]


def segment_offsets(blob: bytes):
    """(encoded_offset, encoded_len) of every segment of a stream, from its index."""
    return [(s["encoded_offset"], s["encoded_len"]) for s in sigmalang.info(io.BytesIO(blob))["segment_list"]]


# -- compress / decompress ----------------------------------------------------------------------


@pytest.mark.parametrize("level", [1, 3, 9])
def test_round_trip_levels(level, data):
    blob = sigmalang.compress(data, level=level, segment_size=64 << 10)
    assert blob[:4] != data[:4]
    assert sigmalang.decompress(blob) == data
    assert sigmalang.info(io.BytesIO(blob))["level"] == level


def test_round_trip_default_options(data):
    blob = sigmalang.compress(data)
    assert sigmalang.decompress(blob) == data
    assert len(blob) < len(data)


def test_empty_input():
    blob = sigmalang.compress(b"")
    assert sigmalang.decompress(blob) == b""
    assert sigmalang.info(io.BytesIO(blob))["raw_bytes"] == 0
    with sigmalang.open(io.BytesIO(blob)) as f:
        assert f.read() == b""
        assert f.size == 0


def test_any_bytes_like(data):
    want = sigmalang.compress(data, segment_size=16384)
    assert sigmalang.compress(bytearray(data), segment_size=16384) == want
    assert sigmalang.compress(memoryview(data), segment_size=16384) == want
    assert sigmalang.compress(array.array("B", data), segment_size=16384) == want
    # A strided view is copied in C order.
    assert sigmalang.decompress(sigmalang.compress(memoryview(data)[::2])) == data[::2]
    assert sigmalang.decompress(bytearray(want)) == data
    assert sigmalang.decompress(memoryview(want)) == data
    with pytest.raises(TypeError):
        sigmalang.compress("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        sigmalang.compress(12)  # type: ignore[arg-type]


def test_output_independent_of_threads(data):
    blobs = {sigmalang.compress(data, threads=t, segment_size=8192) for t in (1, 2, 0)}
    assert len(blobs) == 1


def test_segment_size_forms(data):
    assert sigmalang.compress(data, segment_size=65536) == sigmalang.compress(data, segment_size="64K")
    assert sigmalang.info(io.BytesIO(sigmalang.compress(data, segment_size="auto")))["segment_size"] == 64 << 10
    assert sigmalang.info(io.BytesIO(sigmalang.compress(data)))["segment_size"] == 4 << 20
    assert sigmalang.info(io.BytesIO(sigmalang.compress(data, level=9)))["segment_size"] == 16 << 20


def test_concatenated_streams(data):
    a, b = data[:70_000], data[70_000:]
    joined = sigmalang.compress(a, segment_size=8192) + sigmalang.compress(b, level=1)
    assert sigmalang.decompress(joined) == data
    with sigmalang.open(io.BytesIO(joined)) as f:
        assert f.size == len(data)
        f.seek(69_990)
        assert f.read(20) == data[69_990:70_010]


# -- the CLI gives the same bytes ---------------------------------------------------------------


@pytest.mark.parametrize(
    "level,segment_size,cli_seg",
    [(1, 16384, "16K"), (3, None, None), (9, 65536, "64K"), (3, "auto", "auto")],
)
def test_compress_equals_cli(tmp_path, data, level, segment_size, cli_seg):
    exe = sigma_bin()
    if exe is None:
        pytest.skip("no sigma binary built (target/release/sigma or target/debug/sigma)")
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    out = tmp_path / "out.sigma"
    cmd = [exe, "encode", "-q", "-f", "-l", str(level), "-o", str(out), str(src)]
    if cli_seg:
        cmd[2:2] = ["--segment-size", cli_seg]
    subprocess.run(cmd, check=True)
    assert sigmalang.compress(data, level=level, segment_size=segment_size) == out.read_bytes()
    # encode_file too, and the Writer (whose "auto" is the default size: the length is unknown).
    mine = tmp_path / "mine.sigma"
    sigmalang.encode_file(src, mine, level=level, segment_size=segment_size)
    assert mine.read_bytes() == out.read_bytes()


def test_info_equals_cli_json(tmp_path, data):
    exe = sigma_bin()
    if exe is None:
        pytest.skip("no sigma binary built")
    path = tmp_path / "x.sigma"
    path.write_bytes(sigmalang.compress(data, segment_size=16384))
    cli = json.loads(subprocess.run([exe, "info", "--json", str(path)], check=True, capture_output=True).stdout)
    assert sigmalang.info(str(path)) == cli


# -- open(): reading ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_segments(data):
    """`data` encoded in 4 KiB segments (about 50 of them)."""
    return sigmalang.compress(data, segment_size=4096)


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


# -- info / verify / read_range / salvage / files ------------------------------------------------


def test_info_verify_read_range(tmp_path, data, small_segments):
    path = tmp_path / "i.sigma"
    path.write_bytes(small_segments)
    i = sigmalang.info(path)
    assert set(i) == {
        "file", "format_version", "level", "segment_size", "segments", "stored_segments",
        "raw_bytes", "encoded_bytes", "ratio", "stream_xxh3", "segment_list",
    }
    assert i["file"] == str(path) and i["raw_bytes"] == len(data)
    assert i["encoded_bytes"] == len(small_segments) and i["segment_size"] == 4096
    assert i["segments"] == len(i["segment_list"]) == -(-len(data) // 4096)
    assert 0 < i["stored_segments"] < i["segments"]  # the noise in the middle is stored
    assert set(i["segment_list"][0]) == {"ordinal", "raw_offset", "encoded_offset", "raw_len", "encoded_len", "stored", "xxh3"}
    assert sigmalang.info(io.BytesIO(small_segments))["stream_xxh3"] == i["stream_xxh3"]

    v = sigmalang.verify(path, threads=2)
    assert v["ok"] and v["bytes_out"] == len(data) and v["bytes_in"] == len(small_segments)
    assert v["segments"] == i["segments"]
    assert sigmalang.verify(str(path))["ok"]

    assert sigmalang.read_range(path, 5000, 5100) == data[5000:5100]
    assert sigmalang.read_range(path, 0, 10**12) == data
    assert sigmalang.read_range(path, len(data) + 1, len(data) + 9) == b""
    assert sigmalang.read_range(io.BytesIO(small_segments), 4090, 4200) == data[4090:4200]


def test_encode_decode_file(tmp_path, data):
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    enc = tmp_path / "in.bin.sigma"
    s = sigmalang.encode_file(src, enc, level=4, threads=2, segment_size="32K")
    assert {"bytes_in", "bytes_out", "segments", "threads", "wall_s", "ratio"} <= set(s)
    assert s["bytes_in"] == len(data) and s["bytes_out"] == enc.stat().st_size
    assert s["segments"] == -(-len(data) // 32768) and s["ratio"] == pytest.approx(len(data) / s["bytes_out"])
    assert enc.read_bytes() == sigmalang.compress(data, level=4, segment_size=32768)
    dec = tmp_path / "out.bin"
    d = sigmalang.decode_file(str(enc), str(dec), threads=1)
    assert dec.read_bytes() == data and d["bytes_out"] == len(data) and d["threads"] == 1
    # Replaces an existing output atomically; no temporary files left.
    sigmalang.decode_file(enc, dec)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.bin", "in.bin.sigma", "out.bin"]


def test_salvage(tmp_path, data, small_segments):
    offsets = segment_offsets(small_segments)
    damaged = bytearray(small_segments)
    at, length = offsets[3]
    damaged[at + length - 1] ^= 0xFF
    src = tmp_path / "d.sigma"
    src.write_bytes(bytes(damaged))
    out = tmp_path / "d.out"
    lost = sigmalang.salvage(src, out)
    assert lost == [(3 * 4096, 4 * 4096)]
    got = out.read_bytes()
    assert len(got) == len(data)
    assert got[: 3 * 4096] == data[: 3 * 4096] and got[4 * 4096 :] == data[4 * 4096 :]
    assert got[3 * 4096 : 4 * 4096] == bytes(4096)
    # Intact input: nothing lost; a file object as output.
    src.write_bytes(small_segments)
    sink = io.BytesIO()
    assert sigmalang.salvage(src, sink) == []
    assert sink.getvalue() == data
    # Refused: nothing recognisable, and no output left.
    src.write_bytes(b"\x00" * 1000)
    with pytest.raises(sigmalang.SigmaError):
        sigmalang.salvage(src, tmp_path / "none.out")
    assert not (tmp_path / "none.out").exists()


# -- parts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("segment_size", [4096, "auto", None])
def test_parts_join_equals_compress(tmp_path, data, segment_size):
    n = 3
    parts = []
    for k in range(n):
        start, end, seg = sigmalang.part_range(len(data), k, n, level=2, segment_size=segment_size)
        assert seg == {4096: 4096, "auto": 64 << 10, None: 4 << 20}[segment_size]
        parts.append(sigmalang.encode_part(data[start:end], len(data), k, n, level=2, segment_size=segment_size))
    ranges = [sigmalang.part_range(len(data), k, n, level=2, segment_size=segment_size)[:2] for k in range(n)]
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    want = sigmalang.compress(data, level=2, segment_size=segment_size)
    # Paths, in any order.
    paths = []
    for k, p in enumerate(parts):
        path = tmp_path / f"part.{k}"
        path.write_bytes(p)
        paths.append(path)
    out = tmp_path / "joined.sigma"
    stats = sigmalang.join(list(reversed(paths)), out)
    assert out.read_bytes() == want
    assert stats["bytes_in"] == len(data) and stats["bytes_out"] == len(want)
    # File objects, to a file object.
    sink = io.BytesIO()
    sigmalang.join([io.BytesIO(p) for p in parts], sink)
    assert sink.getvalue() == want


def test_join_refuses_bad_parts(tmp_path, data):
    n = 3
    parts = []
    for k in range(n):
        start, end, _ = sigmalang.part_range(len(data), k, n, segment_size=4096)
        parts.append(sigmalang.encode_part(data[start:end], len(data), k, n, segment_size=4096))
    out = tmp_path / "j.sigma"
    damaged = bytearray(parts[1])
    damaged[-1] ^= 0xFF
    with pytest.raises(sigmalang.CorruptError) as e:
        sigmalang.join([io.BytesIO(parts[0]), io.BytesIO(bytes(damaged)), io.BytesIO(parts[2])], out)
    assert e.value.part == 1 and e.value.segment is not None
    with pytest.raises(sigmalang.TruncatedError) as e:
        sigmalang.join([io.BytesIO(parts[0]), io.BytesIO(parts[1][:-10]), io.BytesIO(parts[2])], out)
    assert e.value.part == 1
    with pytest.raises(sigmalang.CorruptError):
        sigmalang.join([io.BytesIO(parts[0]), io.BytesIO(parts[2])], out)  # one missing
    with pytest.raises(sigmalang.CorruptError):
        sigmalang.join([io.BytesIO(p) for p in (parts[0], parts[1], parts[1])], out)
    assert not out.exists() and list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError):
        sigmalang.encode_part(data[:10], len(data), 0, n, segment_size=4096)  # wrong length


# -- the GIL ----------------------------------------------------------------------------------------


def test_gil_released_during_compress():
    """While one thread compresses, another runs Python code.

    With forced switches disabled (a huge switch interval), a thread that holds the GIL keeps it
    until it blocks or releases it. The main thread counts loop turns and sleeps between them
    (releasing the GIL); the worker reads the count right before and right after compress(). Had
    compress() held the GIL, the count could not change in between."""
    big = text_data(6 << 20)
    counter = 0
    seen = {}
    done = threading.Event()

    def work():
        seen["before"] = counter
        sigmalang.compress(big, level=6, threads=1, segment_size=1 << 20)
        seen["after"] = counter
        done.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        t = threading.Thread(target=work)
        t.start()
        while not done.is_set():
            counter += 1
            time.sleep(0.0005)
        t.join()
    finally:
        sys.setswitchinterval(old)
    assert seen["after"] - seen["before"] > 0, seen
