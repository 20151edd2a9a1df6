"""Constants and helpers shared by the Dask tasks: file systems, clients, atomic writes."""

from __future__ import annotations

import os
import posixpath
import uuid
from typing import Any, Mapping, Optional, Tuple

import dask
import fsspec
from dask.base import tokenize
from dask.delayed import Delayed
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem



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
