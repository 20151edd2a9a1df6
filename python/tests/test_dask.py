"""sigmalang.dask on a real Dask cluster: a ``distributed.LocalCluster`` of two worker processes
started here, byte-identity with the CLI, a worker killed mid-encode, corrupt parts, decode, and
range reads through fsspec's local and in-memory file systems."""

from __future__ import annotations

import io
import os
import random
import re
import sys
import signal
import subprocess
from pathlib import Path

import pytest

dask = pytest.importorskip(
    "dask", reason="dask is not installed (scripts/test_python.sh installs it)"
)
distributed = pytest.importorskip(
    "distributed", reason="dask.distributed is not installed (scripts/test_python.sh installs it)"
)
fsspec = pytest.importorskip("fsspec", reason="fsspec is not installed")

import cloudpickle  # noqa: E402  (comes with distributed)
from distributed.diagnostics.plugin import WorkerPlugin  # noqa: E402

import sigmalang  # noqa: E402
import sigmalang.dask as sd  # noqa: E402
from sigmalang import _native  # noqa: E402

# The plugins below travel to the worker processes by value, not as an import of this file.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

ROOT = Path(__file__).resolve().parents[2]
SEG = 64 << 10  # small segments, so a few MB make dozens of them


def _cli() -> str | None:
    """The `sigma` binary to compare with: $SIGMALANG_TEST_SIGMA (empty: none, use
    sigmalang.compress), else target/release/sigma or target/debug/sigma when built."""
    if "SIGMALANG_TEST_SIGMA" in os.environ:
        return os.environ["SIGMALANG_TEST_SIGMA"] or None
    for build in ("release", "debug"):
        p = ROOT / "target" / build / "sigma"
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
    return None


def reference_encode(
    src: Path, tmp: Path, level: int = 3, segment_size: int | None = None
) -> bytes:
    """The one-machine encode: ``sigma encode`` when the CLI is built, else sigmalang.compress."""
    cli = _cli()
    if cli is None:
        return sigmalang.compress(src.read_bytes(), level=level, segment_size=segment_size)
    out = tmp / (src.name + f".ref-{level}-{segment_size}.sigma")
    cmd = [cli, "encode", "-q", "-f", "-l", str(level), "-T", "2", "-o", str(out), str(src)]
    if segment_size:
        cmd[2:2] = ["--segment-size", str(segment_size)]
    r = subprocess.run(cmd, capture_output=True)
    if r.returncode != 0 and b"-q" in r.stderr:  # a CLI without -q
        cmd.remove("-q")
        r = subprocess.run(cmd, capture_output=True)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return out.read_bytes()


def make_data(size: int, seed: int = 21) -> bytes:
    """Text-like lines with some incompressible runs: compressible, but not trivially."""
    rng = random.Random(seed)
    words = [
        bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
        for _ in range(2000)
    ]
    out = bytearray()
    while len(out) < size:
        if rng.random() < 0.03:
            out += rng.randbytes(rng.randint(100, 3000)) + b"\n"
        else:
            out += b" ".join(rng.choice(words) for _ in range(rng.randint(3, 14))) + b"\n"
    return bytes(out[:size])


def leftovers(dst: Path) -> list[str]:
    """Anything an encode or decode may leave beside ``dst``: temporary files, parts."""
    return sorted(p.name for p in dst.parent.iterdir() if p.name.startswith(dst.name + "."))


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        memory_limit="2GiB",
    )
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("dask-corpus")
    src = d / "input.bin"
    data = make_data(3_000_000 + 12_345)  # not a multiple of the segment size
    src.write_bytes(data)
    ref = reference_encode(src, d, 3, SEG)
    return {"dir": d, "src": src, "data": data, "ref": ref}


# ---------------------------------------------------------------------------------------------
# encode


@pytest.mark.parametrize("parts", [1, 2, 7])
def test_encode_identical_to_cli(client, corpus, tmp_path, parts):
    dst = tmp_path / "out.sigma"
    stats = sd.encode(
        str(corpus["src"]), str(dst), client=client, level=3, segment_size=SEG, parts=parts
    )
    assert dst.read_bytes() == corpus["ref"]
    assert stats["parts"] == parts and stats["segment_size"] == SEG
    assert leftovers(dst) == []  # parts directory and temporary files gone


def test_encode_default_parts_and_file_url(client, corpus, tmp_path):
    """parts=None (two per worker thread here), the current client, fsspec file:// URLs."""
    dst = tmp_path / "out.sigma"
    stats = sd.encode(
        "file://" + str(corpus["src"]), "file://" + str(dst), level=3, segment_size=SEG
    )
    assert stats["parts"] == 4  # 2 workers x 1 thread x 2
    assert dst.read_bytes() == corpus["ref"]
    assert leftovers(dst) == []


def test_encode_default_segment_size_and_level(client, corpus, tmp_path):
    src = corpus["src"]
    for level in (1, 6):
        dst = tmp_path / f"out-{level}.sigma"
        sd.encode(str(src), str(dst), level=level, parts=3)
        assert dst.read_bytes() == reference_encode(src, tmp_path, level, None)


def test_encode_empty_and_tiny_inputs(client, tmp_path):
    for name, data in (("empty", b""), ("tiny", b"sigma\n" * 7)):
        src = tmp_path / name
        src.write_bytes(data)
        dst = tmp_path / (name + ".sigma")
        sd.encode(str(src), str(dst), parts=None, segment_size=SEG)
        assert dst.read_bytes() == reference_encode(src, tmp_path, 3, SEG)
        assert sigmalang.decompress(dst.read_bytes()) == data


def register_kill_once_fs(marker: str) -> None:
    """Registers the protocol ``sigmakill://`` in this process: local files whose first range read
    in the whole cluster kills the reading process (SIGKILL, like a lost node) in the middle of an
    encode task; the marker file (created exclusively) makes it once. (The class is made here, in
    each process, as fsspec's classes do not pickle.)"""

    class KillOnceFS(fsspec.AbstractFileSystem):
        protocol = "sigmakill"
        root_marker = "/"
        marker = ""

        @classmethod
        def _strip_protocol(cls, path):
            path = fsspec.utils.stringify_path(path)
            return path[len("sigmakill://") :] if path.startswith("sigmakill://") else path

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.local = fsspec.filesystem("file")

        def info(self, path, **kwargs):
            return self.local.info(self._strip_protocol(path))

        def ls(self, path, detail=True, **kwargs):
            return self.local.ls(self._strip_protocol(path), detail=detail)

        def _open(self, path, mode="rb", **kwargs):
            return self.local._open(self._strip_protocol(path), mode, **kwargs)

        def cat_file(self, path, start=None, end=None, **kwargs):
            try:
                fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return self.local.cat_file(self._strip_protocol(path), start=start, end=end)
            os.write(fd, f"{os.getpid()} {start} {end}".encode())
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)

    KillOnceFS.marker = marker
    fsspec.register_implementation("sigmakill", KillOnceFS, clobber=True)


class RegisterKillOnceFS(WorkerPlugin):
    """Registers ``sigmakill://`` on every worker, restarted ones included."""

    name = "sigma-test-killfs"

    def __init__(self, marker: str):
        self.marker = marker

    def setup(self, worker):
        register_kill_once_fs(self.marker)


def test_encode_survives_a_killed_worker(client, corpus, tmp_path):
    marker = tmp_path / "killed"
    pids_before = set(client.run(os.getpid).values())
    client.register_plugin(RegisterKillOnceFS(str(marker)))
    register_kill_once_fs(str(marker))
    try:
        dst = tmp_path / "out.sigma"
        sd.encode(
            "sigmakill://" + str(corpus["src"]),
            str(dst),
            client=client,
            segment_size=SEG,
            parts=7,
            retries=2,
        )
    finally:
        client.unregister_worker_plugin(RegisterKillOnceFS.name)
    pid, start, end = marker.read_text().split()
    assert int(pid) in pids_before  # a worker process died in the middle of a part task ...
    assert dst.read_bytes() == corpus["ref"]  # ... and the result is the same bytes
    assert leftovers(dst) == []
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker
    assert int(pid) not in set(client.run(os.getpid).values())


# ---------------------------------------------------------------------------------------------
# join refuses bad parts and leaves nothing


class CorruptPart(WorkerPlugin):
    """Flips the last byte (a segment payload byte) of part 1 once its task has finished."""

    name = "sigma-test-corrupt-part"

    def __init__(self, parts_dir: str, parts: int):
        self.path = os.path.join(parts_dir, f"part-1-of-{parts}")

    def transition(self, key, start, finish, **kwargs):
        if (
            start == "executing"
            and finish == "memory"
            and str(key).endswith("-1")
            and "sigma-encode-part" in str(key)
        ):
            with open(self.path, "r+b") as f:
                f.seek(-1, io.SEEK_END)
                b = f.read(1)
                f.seek(-1, io.SEEK_END)
                f.write(bytes([b[0] ^ 0x55]))


def test_corrupt_part_is_refused_and_nothing_is_left(client, corpus, tmp_path):
    dst = tmp_path / "out.sigma"
    client.register_plugin(CorruptPart(str(dst) + ".parts", 3))
    try:
        with pytest.raises(sigmalang.SigmaError) as e:
            sd.encode(
                str(corpus["src"]), str(dst), client=client, segment_size=SEG, parts=3, retries=0
            )
    finally:
        client.unregister_worker_plugin(CorruptPart.name)
    assert isinstance(e.value, sigmalang.CorruptError), repr(e.value)
    assert not dst.exists()
    assert leftovers(dst) == []


def _make_parts(src: Path, parts_dir: Path, parts: int, segment_size: int = SEG) -> list[str]:
    data = src.read_bytes()
    parts_dir.mkdir(exist_ok=True)
    paths = []
    for k in range(parts):
        start, end, _ = _native.part_range(len(data), k, parts, 3, segment_size)
        p = parts_dir / f"part-{k}-of-{parts}"
        p.write_bytes(
            _native.encode_part(
                data[start:end], len(data), k, parts, level=3, segment_size=segment_size
            )
        )
        paths.append(str(p))
    return paths


def test_join_task_refuses_foreign_truncated_and_missing_parts(client, corpus, tmp_path):
    src = corpus["src"]
    other = tmp_path / "other.bin"
    other.write_bytes(corpus["data"][:-100])
    good = _make_parts(src, tmp_path / "good.parts", 3)
    foreign = _make_parts(other, tmp_path / "foreign.parts", 3)
    n = len(corpus["data"])
    dst = tmp_path / "out.sigma"

    def join(paths, parts_dir):
        fut = client.submit(
            sd._join_task,
            [(p, 0) for p in paths],
            str(dst),
            None,
            str(parts_dir),
            n,
            SEG,
            "t",
            pure=False,
        )
        return fut.result()

    with pytest.raises(sigmalang.SigmaError):  # a part of another encode
        join([good[0], foreign[1], good[2]], tmp_path / "good.parts")
    assert not dst.exists() and leftovers(dst) == []
    cut = tmp_path / "cut"
    cut.write_bytes(Path(good[1]).read_bytes()[:-7])
    with pytest.raises(sigmalang.SigmaError):  # a part cut short
        join([good[0], str(cut), good[2]], tmp_path / "good.parts")
    assert not dst.exists() and leftovers(dst) == []
    with pytest.raises((sigmalang.SigmaError, OSError)):  # a part missing
        join([good[0], str(tmp_path / "nope"), good[2]], tmp_path / "good.parts")
    assert not dst.exists() and leftovers(dst) == []
    # and the good set joins into the reference, removing its parts directory
    join(good, tmp_path / "good.parts")
    assert dst.read_bytes() == corpus["ref"]
    assert not (tmp_path / "good.parts").exists()


# ---------------------------------------------------------------------------------------------
# decode and reading by range


@pytest.fixture(scope="module")
def encoded(corpus):
    p = corpus["dir"] / "input.bin.sigma"
    p.write_bytes(corpus["ref"])
    return p


@pytest.mark.parametrize("runs", [1, 3, None])
def test_decode_identical(client, corpus, encoded, tmp_path, runs):
    dst = tmp_path / "decoded.bin"
    out = sd.decode(str(encoded), str(dst), client=client, runs=runs)
    assert dst.read_bytes() == corpus["data"]
    assert out["raw_bytes"] == len(corpus["data"])
    assert leftovers(dst) == []


def test_decode_damaged_file_leaves_nothing(client, corpus, encoded, tmp_path):
    bad = tmp_path / "bad.sigma"
    blob = bytearray(corpus["ref"])
    seg = _native.info(str(encoded))["segment_list"][5]
    blob[_enc_offset(seg) + _enc_len(seg) - 1] ^= 0xFF
    bad.write_bytes(bytes(blob))
    dst = tmp_path / "decoded.bin"
    with pytest.raises(sigmalang.SigmaError):
        sd.decode(str(bad), str(dst), client=client, runs=4, retries=0)
    assert not dst.exists() and leftovers(dst) == []


def _enc_offset(seg: dict) -> int:
    """Where a segment (its header) starts in the encoded stream (``sigma info --json``)."""
    return int(seg["encoded_offset"])


def _enc_len(seg: dict) -> int:
    """A segment's encoded bytes, header included."""
    return int(seg["encoded_len"])


def _segment_runs(path: str, partition_size: int) -> list[tuple[int, int]]:
    meta = _native.info(path)
    return sd._runs(meta, None, partition_size)


def test_read_bytes_and_to_bag_partitions(client, corpus, encoded):
    data = corpus["data"]
    parts = sd.read_bytes(str(encoded), partition_size=5 * SEG)
    runs = _segment_runs(str(encoded), 5 * SEG)
    assert len(parts) == len(runs) == -(-len(data) // (5 * SEG))
    blocks = dask.compute(*parts)
    assert b"".join(blocks) == data
    for (start, length), b in zip(runs, blocks):
        assert start % SEG == 0 and b == data[start : start + length]
    bag = sd.to_bag(str(encoded), partition_size=5 * SEG)
    assert bag.npartitions == len(parts)
    assert b"".join(bag.compute()) == data
    lines = sd.to_bag(str(encoded), partition_size=3 * SEG, delimiter=b"\n")
    got = lines.compute()
    assert b"".join(got) == data
    records = re.findall(rb"[^\n]*\n|[^\n]+$", data)
    assert got == records  # no record split across partitions
    assert lines.npartitions == len(_segment_runs(str(encoded), 3 * SEG))
    assert lines.count().compute() == len(records)


def test_each_partition_decodes_only_its_segments(client, corpus, encoded, tmp_path):
    """Damage every segment outside one partition: that partition still reads right (its task never
    decodes the others), and the others fail."""
    meta = _native.info(str(encoded))
    segs = meta["segment_list"]
    runs = _segment_runs(str(encoded), 8 * SEG)
    keep = 2
    lo, n = runs[keep]
    blob = bytearray(corpus["ref"])
    for s in segs:
        if not lo <= int(s["raw_offset"]) < lo + n:
            blob[_enc_offset(s) + _enc_len(s) - 1] ^= 0xFF
    damaged = tmp_path / "damaged.sigma"
    damaged.write_bytes(bytes(blob))
    parts = sd.read_bytes(str(damaged), partition_size=8 * SEG)
    assert client.compute(parts[keep]).result() == corpus["data"][lo : lo + n]
    with pytest.raises(sigmalang.SigmaError):
        client.compute(parts[0]).result()


# ---------------------------------------------------------------------------------------------
# fsspec's in-memory file system (in this process: dask's threaded scheduler)


class _CountingFile(io.RawIOBase):
    """A seekable read-only file over bytes that adds up the bytes read from it."""

    def __init__(self, data: bytes, log: list):
        self._b = io.BytesIO(data)
        self._log = log
        self.size = len(data)

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, pos, whence=0):
        return self._b.seek(pos, whence)

    def tell(self):
        return self._b.tell()

    def readinto(self, b):
        n = self._b.readinto(b)
        self._log.append(n)
        return n

    def read(self, n=-1):
        b = self._b.read(n)
        self._log.append(len(b))
        return b


@pytest.fixture
def memfs():
    fs = fsspec.filesystem("memory")
    yield fs
    for p in list(fs.store):
        if p.startswith("/sigma-test"):
            fs.store.pop(p, None)
    fs.pseudo_dirs[:] = [d for d in fs.pseudo_dirs if not d.startswith("/sigma-test")]


def test_memory_filesystem_encode_decode_read(corpus, memfs):
    data = corpus["data"]
    memfs.pipe_file("/sigma-test/input.bin", data)
    with dask.config.set(scheduler="threads"):
        st = sd.encode(
            "memory://sigma-test/input.bin",
            "memory://sigma-test/out.sigma",
            segment_size=SEG,
            parts=5,
        )
        assert st["parts"] == 5
        assert memfs.cat_file("/sigma-test/out.sigma") == corpus["ref"]
        assert not memfs.exists("/sigma-test/out.sigma.parts")
        sd.decode("memory://sigma-test/out.sigma", "memory://sigma-test/back.bin", runs=4)
        assert memfs.cat_file("/sigma-test/back.bin") == data
        assert [p for p in memfs.find("/sigma-test")] == [
            "/sigma-test/back.bin",
            "/sigma-test/input.bin",
            "/sigma-test/out.sigma",
        ]
        blocks = dask.compute(
            *sd.read_bytes("memory://sigma-test/out.sigma", partition_size=4 * SEG)
        )
        assert b"".join(blocks) == data


def test_range_reads_touch_only_their_segments(corpus, memfs, monkeypatch):
    """Each read_bytes task reads its own segments and the file's ends (header, index, footer):
    counted on the in-memory file system, in this process."""
    from fsspec.implementations.memory import MemoryFileSystem

    ref = corpus["ref"]
    memfs.pipe_file("/sigma-test/count.sigma", ref)
    log: list = []
    real_open = MemoryFileSystem._open

    def counting_open(self, path, mode="rb", *a, **kw):
        f = real_open(self, path, mode, *a, **kw)
        if mode == "rb" and self._strip_protocol(path) == "/sigma-test/count.sigma":
            return _CountingFile(f.getvalue(), log)
        return f

    monkeypatch.setattr(MemoryFileSystem, "_open", counting_open)
    url = "memory://sigma-test/count.sigma"
    psize = 6 * SEG
    parts = sd.read_bytes(url, partition_size=psize)
    meta = _native.info(str(corpus["dir"] / "input.bin.sigma"))
    segs = meta["segment_list"]
    seg_bytes = sum(_enc_len(s) for s in segs)
    overhead = len(ref) - seg_bytes  # header, index, footer (and segment headers)
    for i, (start, length) in enumerate(sd._runs(meta, None, psize)):
        own = sum(_enc_len(s) for s in segs if start <= int(s["raw_offset"]) < start + length)
        log.clear()
        with dask.config.set(scheduler="sync"):
            block = parts[i].compute()
        assert block == corpus["data"][start : start + length]
        read = sum(log)
        assert own <= read <= own + overhead + (128 << 10), (i, read, own, overhead)
        assert read < len(ref) // 3


def test_local_filesystem_range_reads(client, corpus, encoded, tmp_path):
    """A .sigma file read through fsspec's local file system, as a file object (range reads)."""
    fs = fsspec.filesystem("file")
    with fs.open(str(encoded), "rb") as f:
        r = _native.Reader(f)
        assert r.size == len(corpus["data"])
        assert r.read_at(1_000_003, 70_000) == corpus["data"][1_000_003:1_070_003]
    parts = sd.read_bytes("file://" + str(encoded), partition_size=10 * SEG)
    assert b"".join(client.gather(client.compute(parts))) == corpus["data"]
