"""ΣLANG beyond one machine: encode, decode and read ``.sigma`` files with Dask.

A ΣLANG stream is a run of independent segments whose boundaries depend only on the input's length
and the segment size, so the work splits cleanly (docs/DISTRIBUTED.md has the whole design):

* :func:`encode` splits the input into ``parts`` runs of whole segments. One Dask task per part
  range-reads exactly its raw bytes (:func:`sigmalang._native.part_range`), encodes them into a
  *part file* (:func:`sigmalang._native.encode_part`) at ``DST.parts/part-K-of-N``; one last task
  checks the full set of parts and writes the stream (:func:`sigmalang._native.join`) to a temporary
  name beside ``DST``, moves it to ``DST`` and removes the parts. The result is **byte-identical to
  ``sigma encode``** of the same input with the same level and segment size, whatever the number of
  workers or parts; every task is idempotent, so a retried or lost task changes nothing.
* :func:`decode` decodes runs of whole segments (located through the index) in parallel tasks and
  writes them at their offsets in a temporary file (local or shared file systems), or as pieces that
  a last task concatenates (object storage); byte-identical to ``sigma decode``.
* :func:`read_bytes` / :func:`to_bag` give the decoded contents as ``dask.delayed`` partitions, each
  a run of whole segments read by range through the index, so a 500 GB archive is processed in
  parallel without any task reading the whole file.

Sources and destinations are local paths or any fsspec URL (``s3://bucket/key``, ``gs://…``,
``memory://…``); ``storage_options`` are passed to fsspec (e.g. ``{"anon": False}`` or
credentials for s3fs). Workers must see the same storage as the client: object storage, or a shared
file system for local paths.

``client=None`` uses the current ``distributed`` client when there is one (``Client()`` created in
this process, or inside a task), and otherwise dask's default scheduler (threads in this process).
"""

from __future__ import annotations

import os
import posixpath
import uuid
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import dask
import fsspec
from dask.base import tokenize
from dask.delayed import Delayed, delayed
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from . import _native

__all__ = ["encode", "decode", "read_bytes", "to_bag", "plan_parts"]

#: Largest raw bytes one encode task holds by default (its input range; the part it writes is
#: smaller). Inputs larger than ``2 × threads × MAX_PART_BYTES`` get more parts than that; finer
#: parts also even out the end of the run, when parts that compress slowly are left.
MAX_PART_BYTES = 128 << 20
#: Default raw bytes per partition of :func:`read_bytes` / :func:`to_bag` and per decode task.
PARTITION_BYTES = 128 << 20
#: Retries Dask gives each task that raised (a lost worker is handled by the scheduler itself:
#: the task runs again elsewhere, up to ``distributed.scheduler.allowed-failures`` times).
RETRIES = 3
_COPY_CHUNK = 16 << 20

StorageOptions = Optional[Mapping[str, Any]]


# --------------------------------------------------------------------------------------------
# helpers


def _fs(url: str, storage_options: StorageOptions) -> Tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec file system and the path within it for ``url`` (a path or URL)."""
    return url_to_fs(os.fspath(url), **dict(storage_options or {}))


def _canonical(url: Any, storage_options: StorageOptions) -> str:
    """``url`` as the tasks should see it: local paths made absolute (a worker's working directory
    is not the client's), URLs unchanged."""
    url = os.fspath(url)
    fs, path = _fs(url, storage_options)
    return path if _is_local(fs) else url


def _is_local(fs: fsspec.AbstractFileSystem) -> bool:
    return isinstance(fs, LocalFileSystem)


def _join_path(fs: fsspec.AbstractFileSystem, base: str, name: str) -> str:
    return os.path.join(base, name) if _is_local(fs) else posixpath.join(base, name)


def _get_client(client: Any) -> Any:
    """The distributed client to run on: ``client``, else the one dask would use now (the current
    ``distributed`` client, unless ``dask.config`` names another scheduler), else None (dask's
    default scheduler)."""
    if client is not None:
        return client
    try:
        sched = dask.base.get_scheduler()
    except (RuntimeError, ValueError):
        return None
    owner = getattr(sched, "__self__", sched)  # older dask: the client's bound get method
    if owner is not None and "Client" in type(owner).__name__ and hasattr(owner, "compute"):
        return owner
    return None


def _total_threads(client: Any) -> int:
    """Worker threads in the cluster (or this machine's CPUs for dask's default scheduler)."""
    if client is not None:
        try:
            n = sum(client.nthreads().values())
            if n > 0:
                return n
        except Exception:  # noqa: BLE001 - a client that cannot say: assume one worker thread
            return 1
    return int(dask.config.get("num_workers", None) or os.cpu_count() or 1)


def _compute(obj: Delayed, client: Any, retries: int) -> Any:
    """Runs ``obj`` on ``client`` (with ``retries``) or on dask's default scheduler."""
    if client is not None:
        return client.compute(obj, retries=retries).result()
    return dask.compute(obj)[0]


def _write_atomic(fs: fsspec.AbstractFileSystem, path: str, data: bytes) -> None:
    """Writes ``data`` to ``path`` so that a reader never sees a partial file under that name.

    Local files: a temporary name in the same directory, then a rename (a task killed half-way
    leaves only the temporary file, removed with the directory later). Object stores make an
    object visible only when its upload completes, so ``pipe_file`` is already atomic there.
    Writing the same bytes twice (a retried or duplicated task) gives the same file.
    """
    if _is_local(fs):
        tmp = f"{path}.tmp-{uuid.uuid4().hex}"
        try:
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            _remove_quietly(fs, tmp)
            raise
    else:
        fs.pipe_file(path, data)


def _remove_quietly(fs: fsspec.AbstractFileSystem, path: str, recursive: bool = False) -> None:
    try:
        if fs.exists(path):
            fs.rm(path, recursive=recursive)
    except (FileNotFoundError, OSError):
        pass


def _sync_dir(path: str) -> None:
    """fsyncs a local directory, so a rename in it survives a power loss (best effort)."""
    try:
        fd = os.open(path or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _move_into_place(fs: fsspec.AbstractFileSystem, tmp: str, dst: str) -> None:
    """Moves a finished temporary file to its final name (a rename locally, a copy on stores)."""
    if _is_local(fs):
        os.replace(tmp, dst)
        _sync_dir(os.path.dirname(dst))
    else:
        fs.mv(tmp, dst)


def _remove_stale(fs: fsspec.AbstractFileSystem, pattern: str) -> None:
    """Removes temporary files an earlier (killed) attempt of a task left, matching ``pattern``."""
    try:
        for p in fs.glob(pattern):
            _remove_quietly(fs, p)
    except (FileNotFoundError, OSError):
        pass


def _segment_count(input_len: int, segment_size: int) -> int:
    return -(-input_len // segment_size) if segment_size else 0


def _token(*parts: Any) -> str:
    """A key prefix unique to one call (keys of two calls never collide in a shared cluster)."""
    return tokenize(*parts, uuid.uuid4().hex)[:16]


# --------------------------------------------------------------------------------------------
# encode


def plan_parts(
    input_len: int,
    segment_size: int,
    threads: int,
    max_part_bytes: int = MAX_PART_BYTES,
) -> int:
    """The default number of parts: about two per worker thread (so a slow or lost task does not
    hold the whole encode back), more when a part would exceed ``max_part_bytes`` of input (the
    memory one task holds), at most one per segment and at least one."""
    segments = _segment_count(input_len, segment_size)
    n = max(2 * max(threads, 1), -(-input_len // max(max_part_bytes, 1)))
    return max(1, min(n, segments))


def _part_name(k: int, n: int) -> str:
    return f"part-{k}-of-{n}"


def _encode_part_task(
    src: str,
    storage_options: StorageOptions,
    input_len: int,
    part: int,
    parts: int,
    level: int,
    segment_size: int,
    parts_dir: str,
    threads: int,
) -> Tuple[str, int]:
    """One encode task: range-reads part ``part`` of ``parts`` of ``src`` and writes its part file.

    Reads exactly the raw bytes ``part_range`` names (one range request on object storage),
    encodes them and writes ``parts_dir/part-K-of-N`` atomically. Idempotent: running it again
    writes the same bytes. Returns ``(part path, part bytes)``.
    """
    fs, path = _fs(src, storage_options)
    start, end, seg = _native.part_range(input_len, part, parts, level, segment_size)
    if seg != segment_size:  # cannot happen with a fixed segment size; guards a changed build
        raise _native.SigmaError(f"segment size {seg} where the plan has {segment_size}")
    size = fs.size(path)
    if size != input_len:
        raise _native.SigmaError(
            f"{src} changed during the encode: {size} bytes, where it had {input_len}"
        )
    data = fs.cat_file(path, start=start, end=end) if end > start else b""
    if len(data) != end - start:
        raise _native.SigmaError(
            f"{src} changed during the encode: bytes {start}..{end} gave {len(data)} bytes"
        )
    blob = _native.encode_part(
        data, input_len, part, parts, level=level, segment_size=segment_size, threads=threads
    )
    del data
    pfs, pdir = _fs(parts_dir, storage_options)
    target = _join_path(pfs, pdir, _part_name(part, parts))
    _write_atomic(pfs, target, blob)
    return target, len(blob)


def _finished_earlier(
    fs: fsspec.AbstractFileSystem, dst: str, input_len: int, segment_size: int
) -> Optional[Dict[str, Any]]:
    """When a join task runs again after it already moved the stream into place and began removing
    the parts, ``dst`` is there and describes the same input: the info of it, else None."""
    if not fs.exists(dst):
        return None
    try:
        if _is_local(fs):
            meta = _native.info(dst)
        else:
            with fs.open(dst, "rb") as f:
                meta = _native.info(f)
    except _native.SigmaError:
        return None
    if meta.get("raw_bytes") == input_len and meta.get("segment_size") == segment_size:
        return meta
    return None


def _join_task(
    parts: Sequence[Tuple[str, int]],
    dst: str,
    storage_options: StorageOptions,
    parts_dir: str,
    input_len: int,
    segment_size: int,
    token: str,
) -> Dict[str, Any]:
    """The last encode task: joins the part files into ``dst`` and removes the parts directory.

    Writes ``DST.tmp-TOKEN-…`` and moves it to ``DST`` only when ``join`` succeeded (every part
    present once, from this encode, every segment's checksum right); on any error the temporary file
    is removed and nothing is left under ``DST``. Idempotent: a retry rejoins the same parts into
    the same bytes, or finds the work done when the parts are already gone.
    """
    fs, path = _fs(dst, storage_options)
    pfs, pdir = _fs(parts_dir, storage_options)
    part_paths = [p for p, _ in parts]
    _remove_stale(fs, f"{path}.tmp-{token}-*")
    if not all(pfs.exists(p) for p in part_paths):
        done = _finished_earlier(fs, path, input_len, segment_size)
        if done is not None:
            _remove_quietly(pfs, pdir, recursive=True)
            return done
    tmp = f"{path}.tmp-{token}-{uuid.uuid4().hex[:8]}"
    try:
        if _is_local(fs) and _is_local(pfs):
            stats = _native.join(part_paths, tmp)
        else:
            files = [pfs.open(p, "rb", block_size=_COPY_CHUNK) for p in part_paths]
            try:
                with fs.open(tmp, "wb", block_size=_COPY_CHUNK) as out:
                    stats = _native.join(files, out)
            finally:
                for f in files:
                    f.close()
        _move_into_place(fs, tmp, path)
    except BaseException:
        _remove_quietly(fs, tmp)
        raise
    _remove_quietly(pfs, pdir, recursive=True)
    return dict(stats) if isinstance(stats, Mapping) else {"stats": stats}


def encode(
    src: str,
    dst: str,
    client: Any = None,
    level: int = 3,
    segment_size: Union[int, str, None] = None,
    parts: Optional[int] = None,
    storage_options: StorageOptions = None,
    *,
    threads: int = 1,
    retries: int = RETRIES,
    max_part_bytes: int = MAX_PART_BYTES,
) -> Dict[str, Any]:
    """Encodes ``src`` into the ΣLANG stream ``dst`` on a Dask cluster.

    The output is byte-identical to ``sigma encode -l LEVEL [--segment-size SIZE] SRC`` (and to
    :func:`sigmalang.compress`), whatever the number of workers, parts or retries.

    Args:
        src: path or fsspec URL of the input (read by range: each task reads only its part).
        dst: path or fsspec URL of the output. Parts go to ``dst + ".parts/"`` and the stream is
            written to ``dst + ".tmp-…"`` and moved to ``dst`` once complete; both are removed on
            success, and nothing is left under ``dst`` on failure.
        client: a ``distributed.Client``; None for the current one, or dask's default scheduler.
        level: codec level, as ``sigma encode -l``.
        segment_size: raw bytes per segment (an int, or a size such as ``"64K"``; ``"auto"``
            chooses it from the input's length); None for the CLI's default (the level's: 4 MiB,
            16 MiB at levels 8-9).
        parts: how many parts (tasks); None for about two per worker thread, more when a part
            would be larger than ``max_part_bytes``, at most one per segment.
        storage_options: passed to fsspec for ``src``, ``dst`` and the parts.
        threads: threads each encode task uses (1: Dask runs one task per worker thread).
        retries: how often Dask retries a task that raised (a lost worker is retried anyway).
        max_part_bytes: the most raw bytes one task encodes when ``parts`` is None (its memory is
            about this plus its part's size).

    Returns:
        The join's statistics (a dict from :func:`sigmalang._native.join`) plus ``parts``,
        ``segment_size``, ``level`` and ``input_len``.

    Raises:
        sigmalang.SigmaError: a bad option, an input that changed during the encode, a part that
            failed its checks at the join.
        OSError / FileNotFoundError: from the file systems.
    """
    src = _canonical(src, storage_options)
    dst = _canonical(dst, storage_options)
    fs, path = _fs(src, storage_options)
    input_len = int(fs.size(path))
    _, _, seg = _native.part_range(input_len, 0, 1, level, segment_size)
    client = _get_client(client)
    segments = _segment_count(input_len, seg)
    if parts is None:
        parts = plan_parts(input_len, seg, _total_threads(client), max_part_bytes)
    parts = int(parts)
    if parts < 1:
        raise ValueError(f"parts must be at least 1, not {parts}")
    parts_dir = dst + ".parts"
    pfs, pdir = _fs(parts_dir, storage_options)
    _remove_quietly(pfs, pdir, recursive=True)  # stale parts of an earlier, failed run
    pfs.makedirs(pdir, exist_ok=True)
    token = _token(src, dst, input_len, level, seg, parts)
    part_tasks = [
        delayed(_encode_part_task, pure=False)(
            src,
            storage_options,
            input_len,
            k,
            parts,
            level,
            seg,
            parts_dir,
            threads,
            dask_key_name=f"sigma-encode-part-{token}-{k}",
        )
        for k in range(parts)
    ]
    joined = delayed(_join_task, pure=False)(
        part_tasks,
        dst,
        storage_options,
        parts_dir,
        input_len,
        seg,
        token,
        dask_key_name=f"sigma-encode-join-{token}",
    )
    try:
        stats = _compute(joined, client, retries)
    except BaseException:
        _remove_quietly(pfs, pdir, recursive=True)
        raise
    stats = dict(stats)
    stats.update(
        parts=parts,
        segment_size=seg,
        level=level,
        input_len=input_len,
        segments=stats.get("segments", segments),
    )
    return stats


# --------------------------------------------------------------------------------------------
# reading: runs of segments through the index


def _info(src: str, storage_options: StorageOptions) -> Dict[str, Any]:
    """``sigma info`` of ``src``: header, footer and index only (range reads at both ends)."""
    fs, path = _fs(src, storage_options)
    if _is_local(fs):
        return dict(_native.info(path))
    with fs.open(path, "rb") as f:
        return dict(_native.info(f))


def _runs(
    meta: Mapping[str, Any], runs: Optional[int], partition_size: Optional[int]
) -> List[Tuple[int, int]]:
    """Splits the stream's segments into runs of whole segments: ``(raw start, raw length)`` each.

    ``runs`` runs of (nearly) equal segment counts when given, else runs of about
    ``partition_size`` raw bytes (at least one segment each).
    """
    seglist = meta.get("segment_list") or []
    s = len(seglist)
    if s == 0:
        return []
    if runs is None:
        seg = int(meta.get("segment_size") or seglist[0]["raw_len"] or 1)
        per = max(1, (partition_size or PARTITION_BYTES) // seg)
        runs = -(-s // per)
    runs = max(1, min(int(runs), s))
    out = []
    for k in range(runs):
        a, b = s * k // runs, s * (k + 1) // runs
        start = int(seglist[a]["raw_offset"])
        end = int(seglist[b - 1]["raw_offset"]) + int(seglist[b - 1]["raw_len"])
        out.append((start, end - start))
    return out


class _ReaderFile:
    """A minimal seekable binary file over :class:`sigmalang._native.Reader` (decoded bytes), so
    ``fsspec.utils.read_block`` can find delimiters. Each read touches only its segments; a short
    read fetches up to the end of its segment and keeps it, so scanning for a delimiter in small
    steps decodes each segment once."""

    def __init__(self, reader: Any, segment_size: int):
        self._r = reader
        self._seg = max(int(segment_size), 1)
        self._pos = 0
        self._buf = b""
        self._buf_at = 0
        self.size = int(reader.size)

    def seek(self, pos: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self.size}[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.size - self._pos
        n = max(0, min(n, self.size - self._pos))
        if n == 0:
            return b""
        pos, end = self._pos, self._pos + n
        if not (self._buf_at <= pos and end <= self._buf_at + len(self._buf)):
            fetch_end = end
            if n < self._seg:  # to the end of the segment holding the last byte asked for
                fetch_end = min(self.size, -(-end // self._seg) * self._seg)
            self._buf = bytes(self._r.read_at(pos, fetch_end - pos))
            self._buf_at = pos
        b = self._buf[pos - self._buf_at : end - self._buf_at]
        self._pos += len(b)
        return b


def _open_reader(src: str, storage_options: StorageOptions, block_size: int) -> Tuple[Any, Any]:
    """A :class:`Reader` on ``src`` and the fsspec file it reads from (None for a local path)."""
    fs, path = _fs(src, storage_options)
    if _is_local(fs):
        return _native.Reader(path), None
    f = fs.open(path, "rb", block_size=max(block_size, 1 << 20))
    try:
        return _native.Reader(f), f
    except BaseException:
        f.close()
        raise


def _read_run(
    src: str,
    storage_options: StorageOptions,
    start: int,
    length: int,
    delimiter: Optional[bytes] = None,
    segment_size: int = 1 << 20,
) -> bytes:
    """The decoded bytes ``start..start+length`` of ``src``, through its index (only the segments
    that hold them are read and decoded). With ``delimiter``, the block is moved to the delimiters
    that follow ``start`` and ``start+length``, as ``dask.bytes.read_bytes`` does."""
    reader, f = _open_reader(src, storage_options, length)
    try:
        if delimiter:
            from fsspec.utils import read_block

            return read_block(_ReaderFile(reader, segment_size), start, length, delimiter)
        return bytes(reader.read_at(start, length)) if length else b""
    finally:
        reader.close()
        if f is not None:
            f.close()


def read_bytes(
    src: str,
    partition_size: Optional[int] = None,
    storage_options: StorageOptions = None,
    *,
    delimiter: Optional[bytes] = None,
) -> List[Delayed]:
    """The decoded contents of ``src`` as a list of ``dask.delayed`` partitions, in order.

    Each partition is the decoded bytes of a run of whole segments of about ``partition_size``
    raw bytes (default 128 MiB; at least one segment), located through the index: a task reads only
    its own segments (plus the index), never the rest of the file, so any size of archive is
    processed in parallel by range. Their concatenation is the decoded stream.

    Args:
        src: path or fsspec URL of a ``.sigma`` file (the client reads its header and index now).
        partition_size: raw bytes per partition, rounded to whole segments.
        storage_options: passed to fsspec.
        delimiter: when given (e.g. ``b"\\n"``), each partition starts after the first delimiter at
            or after its run's start and ends with the first delimiter at or after its run's end
            (the first starts at 0), so records are never split; they still concatenate to the
            whole stream.

    Returns:
        ``dask.delayed`` objects, each computing to ``bytes``.
    """
    src = _canonical(src, storage_options)
    meta = _info(src, storage_options)
    fs, path = _fs(src, storage_options)
    try:
        version = fs.ukey(path)
    except Exception:  # noqa: BLE001 - a file system without ukey: no caching across calls
        version = uuid.uuid4().hex
    token = tokenize(src, version, partition_size, delimiter)[:16]
    return [
        delayed(_read_run, pure=True)(
            src,
            storage_options,
            start,
            length,
            delimiter,
            int(meta.get("segment_size") or 1),
            dask_key_name=f"sigma-read-{token}-{i}",
        )
        for i, (start, length) in enumerate(_runs(meta, None, partition_size))
    ]


def _as_records(block: bytes, delimiter: Optional[bytes]) -> List[bytes]:
    if delimiter is None:
        return [block]
    if not block:
        return []
    recs = block.split(delimiter)
    out = [r + delimiter for r in recs[:-1]]
    if recs[-1]:
        out.append(recs[-1])
    return out


def to_bag(
    src: str,
    partition_size: Optional[int] = None,
    storage_options: StorageOptions = None,
    *,
    delimiter: Optional[bytes] = None,
) -> Any:
    """The decoded contents of ``src`` as a ``dask.bag.Bag``, one partition per
    :func:`read_bytes` partition.

    Without ``delimiter`` each partition holds one element, the ``bytes`` of its run of segments;
    with one (e.g. ``b"\\n"``) the elements are the records, each ending with the delimiter (like
    ``dask.bag.read_text`` on bytes), none split across partitions.
    """
    import dask.bag as db

    parts = read_bytes(src, partition_size, storage_options, delimiter=delimiter)
    return db.from_delayed([delayed(_as_records, pure=True)(p, delimiter) for p in parts])


# --------------------------------------------------------------------------------------------
# decode


def _decode_prepare_task(dst_tmp: str, size: int) -> str:
    """Creates the local temporary output at its full length (sparse), for writes at offsets."""
    with open(dst_tmp, "wb") as f:
        f.truncate(size)
    return dst_tmp


def _decode_run_local_task(
    src: str, storage_options: StorageOptions, start: int, length: int, dst_tmp: str
) -> int:
    """Decodes one run and writes it at its offset in the local temporary output (idempotent)."""
    data = _read_run(src, storage_options, start, length)
    fd = os.open(dst_tmp, os.O_WRONLY)
    try:
        view = memoryview(data)
        done = 0
        while done < len(view):
            done += os.pwrite(fd, view[done:], start + done)
    finally:
        os.close(fd)
    return len(data)


def _decode_run_piece_task(
    src: str, storage_options: StorageOptions, start: int, length: int, piece: str
) -> Tuple[str, int]:
    """Decodes one run and writes it as a piece file (idempotent)."""
    data = _read_run(src, storage_options, start, length)
    fs, path = _fs(piece, storage_options)
    _write_atomic(fs, path, data)
    return piece, len(data)


def _decode_finish_local_task(done: Sequence[int], dst_tmp: str, dst: str, size: int) -> int:
    """Checks the temporary output's length, syncs it and renames it to ``dst``."""
    if sum(done) != size:
        raise _native.SigmaError(f"decoded {sum(done)} bytes where the index has {size}")
    if not os.path.exists(dst_tmp) and os.path.exists(dst) and os.path.getsize(dst) == size:
        return size  # a retry after the rename: done already
    fd = os.open(dst_tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(dst_tmp, dst)
    _sync_dir(os.path.dirname(dst))
    return size


def _decode_finish_pieces_task(
    pieces: Sequence[Tuple[str, int]],
    dst: str,
    storage_options: StorageOptions,
    pieces_dir: str,
    size: int,
    token: str,
) -> int:
    """Concatenates the pieces in order into ``DST.tmp-…``, moves it to ``dst``, removes them."""
    fs, path = _fs(dst, storage_options)
    pfs, pdir = _fs(pieces_dir, storage_options)
    _remove_stale(fs, f"{path}.tmp-{token}-*")
    if sum(n for _, n in pieces) != size:
        raise _native.SigmaError(
            f"decoded pieces hold {sum(n for _, n in pieces)} bytes, not {size}"
        )
    if (
        not all(pfs.exists(_fs(p, storage_options)[1]) for p, _ in pieces)
        and fs.exists(path)
        and fs.size(path) == size
    ):
        _remove_quietly(pfs, pdir, recursive=True)  # a retry after the move: done already
        return size
    tmp = f"{path}.tmp-{token}-{uuid.uuid4().hex[:8]}"
    try:
        with fs.open(tmp, "wb", block_size=_COPY_CHUNK) as out:
            for piece, _ in pieces:
                with pfs.open(_fs(piece, storage_options)[1], "rb", block_size=_COPY_CHUNK) as f:
                    while True:
                        b = f.read(_COPY_CHUNK)
                        if not b:
                            break
                        out.write(b)
        _move_into_place(fs, tmp, path)
    except BaseException:
        _remove_quietly(fs, tmp)
        raise
    _remove_quietly(pfs, pdir, recursive=True)
    return size


def decode(
    src: str,
    dst: str,
    client: Any = None,
    storage_options: StorageOptions = None,
    *,
    partition_size: Optional[int] = None,
    runs: Optional[int] = None,
    retries: int = RETRIES,
) -> Dict[str, Any]:
    """Decodes the ΣLANG file ``src`` into ``dst`` on a Dask cluster; byte-identical to
    ``sigma decode``.

    The client reads the header and index; one task per run of whole segments reads only those
    segments (by range), decodes and checks them (each segment's raw hash). On a local or shared
    file system the runs are written at their offsets into ``DST.tmp-…``, which the last task syncs
    and renames to ``dst``; elsewhere each run is written as a piece under ``DST.parts/`` and the
    last task concatenates them into ``DST.tmp-…`` and moves it to ``dst``. Nothing is left under
    ``dst`` on failure; every task is idempotent.

    Args:
        src: path or fsspec URL of the ``.sigma`` file.
        dst: path or fsspec URL of the decoded output.
        client: a ``distributed.Client``; None for the current one, or dask's default scheduler.
        storage_options: passed to fsspec.
        partition_size: raw bytes per task when ``runs`` is None (default: enough runs for two per
            worker thread, each at most 128 MiB, which bounds a task's memory).
        runs: exactly this many tasks (at most one per segment).
        retries: how often Dask retries a task that raised.

    Returns:
        ``{"raw_bytes", "segments", "runs"}``.
    """
    src = _canonical(src, storage_options)
    dst = _canonical(dst, storage_options)
    meta = _info(src, storage_options)
    size = int(meta.get("raw_bytes", 0))
    nseg = len(meta.get("segment_list") or [])
    client = _get_client(client)
    if runs is None and partition_size is None and nseg:
        seg = int(meta.get("segment_size") or 1)
        want = max(2 * _total_threads(client), -(-size // PARTITION_BYTES))
        runs = min(nseg, want)
        if -(-nseg // runs) * seg > PARTITION_BYTES:  # keep a task's memory bounded
            runs = min(nseg, -(-nseg // max(1, PARTITION_BYTES // seg)))
    plan = _runs(meta, runs, partition_size)
    token = _token(src, dst, size)
    fs, path = _fs(dst, storage_options)
    if _is_local(fs):
        tmp = f"{path}.tmp-{token}"
        prep = delayed(_decode_prepare_task, pure=False)(
            tmp, size, dask_key_name=f"sigma-decode-prep-{token}"
        )
        done = [
            delayed(_decode_run_local_task, pure=False)(
                src,
                storage_options,
                start,
                length,
                prep,
                dask_key_name=f"sigma-decode-run-{token}-{i}",
            )
            for i, (start, length) in enumerate(plan)
        ]
        final = delayed(_decode_finish_local_task, pure=False)(
            done, tmp, path, size, dask_key_name=f"sigma-decode-finish-{token}"
        )
        try:
            _compute(final, client, retries)
        except BaseException:
            _remove_quietly(fs, tmp)
            raise
    else:
        pieces_dir = dst + ".parts"
        pfs, pdir = _fs(pieces_dir, storage_options)
        _remove_quietly(pfs, pdir, recursive=True)
        pfs.makedirs(pdir, exist_ok=True)
        n = len(plan)
        done = [
            delayed(_decode_run_piece_task, pure=False)(
                src,
                storage_options,
                start,
                length,
                pieces_dir + "/" + f"piece-{i}-of-{n}",
                dask_key_name=f"sigma-decode-run-{token}-{i}",
            )
            for i, (start, length) in enumerate(plan)
        ]
        final = delayed(_decode_finish_pieces_task, pure=False)(
            done,
            dst,
            storage_options,
            pieces_dir,
            size,
            token,
            dask_key_name=f"sigma-decode-finish-{token}",
        )
        try:
            _compute(final, client, retries)
        except BaseException:
            _remove_quietly(pfs, pdir, recursive=True)
            raise
    return {"raw_bytes": size, "segments": nseg, "runs": len(plan)}
