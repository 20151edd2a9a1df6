"""Reading by index ranges: runs of whole segments as dask.delayed partitions and bags."""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Mapping, Optional, Tuple

from dask.base import tokenize
from dask.delayed import Delayed, delayed

from .. import _native
from ._common import (
    PARTITION_BYTES,
    StorageOptions,
    _canonical,
    _fs,
    _is_local,
)


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
