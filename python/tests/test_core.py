"""Tests of the sigmalang package's one-shot API: compress() and decompress(), the CLI giving the
same bytes, info(), verify(), read_range(), encode_file(), decode_file(), salvage(), parts and
join(), and the GIL being released. open() and file objects are in test_open.py, errors in
test_errors.py, sigmalang.dask in test_dask.py.

Data is made in helpers.py, small; the CLI comparisons run when a `sigma` binary is built
($SIGMALANG_TEST_SIGMA or $SIGMA_BIN, else the newer of target/release/sigma and
target/debug/sigma) and are skipped otherwise.
"""

from __future__ import annotations

import array
import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import sigmalang
from helpers import segment_offsets, text_data

ROOT = Path(__file__).resolve().parents[2]


# -- helpers --------------------------------------------------------------------------------------


def sigma_bin():
    """The `sigma` CLI to compare with, or None: $SIGMALANG_TEST_SIGMA (what scripts/test.sh
    sets; as in test_dask.py), or $SIGMA_BIN, else the newer build."""
    env = os.environ.get("SIGMALANG_TEST_SIGMA") or os.environ.get("SIGMA_BIN")
    if env:
        return env if Path(env).exists() else None
    found = [p for p in (ROOT / "target/release/sigma", ROOT / "target/debug/sigma") if p.exists()]
    return str(max(found, key=lambda p: p.stat().st_mtime)) if found else None


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
