"""Distributed decode: runs of segments decoded in parallel, written at their offsets or as pieces."""

from __future__ import annotations

import os
import uuid
from typing import Any, Dict, Optional, Sequence, Tuple

from dask.delayed import delayed

from .. import _native
from ._common import (
    PARTITION_BYTES,
    RETRIES,
    StorageOptions,
    _COPY_CHUNK,
    _canonical,
    _compute,
    _fs,
    _get_client,
    _is_local,
    _move_into_place,
    _remove_quietly,
    _remove_stale,
    _sync_dir,
    _token,
    _total_threads,
    _write_atomic,
)
from ._read import (
    _info,
    _read_run,
    _runs,
)


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
