"""Distributed encode: one range read and one part per task, then one join task."""

from __future__ import annotations

import uuid
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import fsspec
from dask.delayed import delayed

from .. import _native
from ._common import (
    MAX_PART_BYTES,
    RETRIES,
    StorageOptions,
    _COPY_CHUNK,
    _canonical,
    _compute,
    _fs,
    _get_client,
    _is_local,
    _join_path,
    _move_into_place,
    _remove_quietly,
    _remove_stale,
    _segment_count,
    _token,
    _total_threads,
    _write_atomic,
)


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
