"""ΣLANG for Python: segment-parallel compression of large files, with random access.

The interface follows :mod:`lzma`, :mod:`bz2` and ``pyzstd``::

    import sigmalang

    blob = sigmalang.compress(data, level=3)          # the bytes of `sigma encode`
    assert sigmalang.decompress(blob) == data

    with sigmalang.open("big.tar.sigma") as f:        # seekable: reads only the segments needed
        f.seek(40 << 30)
        chunk = f.read(1 << 20)

    with sigmalang.open("out.sigma", "wb", level=6) as f:
        f.write(payload)

    import fsspec                                     # registered as compression "sigma"
    with fsspec.open("s3://bucket/x.tar.sigma", compression="infer") as f:
        ...

All the work runs in Rust with the GIL released, on as many threads as ``threads`` says (0: one
per core); the output never depends on the thread count. Errors raised by the package derive from
:class:`SigmaError` (:class:`CorruptError` and :class:`TruncatedError` carry the ``segment`` and
encoded byte ``offset`` of the damage; :class:`MemoryLimitError`); invalid options raise
:class:`ValueError` and I/O errors :class:`OSError`.
"""

from __future__ import annotations

import errno
import io
import os
from typing import Any, Optional, Union

from . import _native
from ._native import (
    DEFAULT_LEVEL,
    MAX_LEVEL,
    MIN_LEVEL,
    CorruptError,
    MemoryLimitError,
    Reader,
    SigmaError,
    TruncatedError,
    Writer,
    __version__,
    compress,
    decode_file,
    decompress,
    encode_file,
    encode_part,
    info,
    join,
    part_range,
    read_range,
    salvage,
    verify,
)

__all__ = [
    "CorruptError",
    "DEFAULT_LEVEL",
    "MAX_LEVEL",
    "MIN_LEVEL",
    "MemoryLimitError",
    "Reader",
    "SigmaError",
    "SigmaFile",
    "TruncatedError",
    "Writer",
    "__version__",
    "compress",
    "decode_file",
    "decompress",
    "encode_file",
    "encode_part",
    "info",
    "join",
    "open",
    "part_range",
    "read_range",
    "salvage",
    "verify",
]

# Bytes fetched at once by small reads in read mode (served from this buffer afterwards).
_READ_CHUNK = 256 << 10

_MODES = {"r": "r", "rb": "r", "w": "w", "wb": "w", "x": "x", "xb": "x"}


def _is_path(file: Any) -> bool:
    return isinstance(file, (str, bytes, os.PathLike))


class SigmaFile(io.BufferedIOBase):
    """A ΣLANG file opened for reading (seekable) or writing; made by :func:`open`.

    Read mode decodes through the file's index: ``seek`` costs nothing, and a read decodes and
    verifies only the segments that cover it, so random access into a multi-GB file (local, or
    remote through an fsspec file object that does range reads) reads a few segments. Write mode
    encodes on ``threads`` workers as data arrives; ``close()`` writes the index and footer (a path
    target appears only then, renamed into place). Leaving a ``with`` block by an exception
    abandons a write: a path target is not created.

    ``file`` is a path (str, bytes, os.PathLike) or a binary file object: with ``read`` and
    ``seek`` for reading, with ``write`` for writing. A file object given is not closed by
    :meth:`close`.
    """

    def __init__(
        self,
        file: Any,
        mode: str = "rb",
        *,
        level: int = DEFAULT_LEVEL,
        threads: int = 0,
        segment_size: Union[int, str, None] = None,
        memory_limit: Optional[int] = None,
    ) -> None:
        # Every attribute first: a failed __init__ still gets close() (from IOBase.__del__).
        self._reader: Optional[Reader] = None
        self._writer: Optional[Writer] = None
        self._pos = 0
        self._buf = b""
        self._buf_start = 0
        self._size = 0
        self.name: Any = os.fsdecode(file) if _is_path(file) else getattr(file, "name", None)
        self.mode = mode
        if mode not in _MODES:
            raise ValueError(f"invalid mode {mode!r} (expected 'rb', 'wb' or 'xb')")
        kind = _MODES[mode]
        self.mode = "rb" if kind == "r" else "wb"
        if kind == "r":
            self._reader = Reader(file, memory_limit=memory_limit)
            self._size = self._reader.size
        else:
            if kind == "x" and _is_path(file) and os.path.lexists(file):
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), os.fsdecode(file))
            self._writer = Writer(file, level=level, threads=threads, segment_size=segment_size)

    # -- state ----------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def readable(self) -> bool:
        """True in read mode."""
        self._check_open()
        return self._reader is not None

    def writable(self) -> bool:
        """True in write mode."""
        self._check_open()
        return self._writer is not None

    def seekable(self) -> bool:
        """True in read mode (seeking goes through the index)."""
        self._check_open()
        return self._reader is not None

    @property
    def size(self) -> int:
        """Length of the original data (read mode), or bytes written so far (write mode)."""
        if self._writer is not None:
            return self._pos
        return self._size

    # -- reading --------------------------------------------------------------------------------

    def _need_reader(self) -> Reader:
        self._check_open()
        if self._reader is None:
            raise io.UnsupportedOperation("not readable (opened for writing)")
        return self._reader

    def _read_some(self, reader: Reader, n: int, one_segment: bool = False) -> bytes:
        """Up to ``n`` (> 0) bytes at the position: from the buffer when it holds the position;
        else a large read straight from the decoder (exactly the segments it covers, or with
        ``one_segment`` up to the end of the segment holding the position), or a refill of the
        buffer with the rest of the segment holding the position (at most one segment decoded)."""
        off = self._pos - self._buf_start
        if not 0 <= off < len(self._buf):
            if n >= _READ_CHUNK:
                if one_segment:
                    data = reader.read1_at(self._pos, n)
                else:
                    data = reader.read_at(self._pos, n)
                self._pos += len(data)
                return data
            self._buf = reader.read1_at(self._pos, _READ_CHUNK)
            self._buf_start = self._pos
            off = 0
        data = self._buf[off : off + n]
        self._pos += len(data)
        return data

    def read(self, size: Optional[int] = -1) -> bytes:
        """Up to ``size`` bytes from the current position (all the rest when ``size`` is negative
        or None); fewer only at the end of the data, ``b""`` there. Decodes only the segments
        that the bytes returned come from."""
        reader = self._need_reader()
        left = self._size - self._pos
        n = left if size is None or size < 0 else min(size, left)
        pieces = []
        while n > 0:
            piece = self._read_some(reader, n)
            if not piece:
                break
            pieces.append(piece)
            n -= len(piece)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def read1(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes from the current position (when ``size`` is negative: the rest of
        the current segment), decoding at most one segment; ``b""`` only at the end of the
        data."""
        reader = self._need_reader()
        left = self._size - self._pos
        n = left if size is None or size < 0 else min(size, left)
        if n <= 0:
            return b""
        return self._read_some(reader, n, one_segment=True)

    def readinto(self, b: Any) -> int:
        """Reads into the writable bytes-like object ``b``; returns the number of bytes read."""
        with memoryview(b) as view, view.cast("B") as target:
            data = self.read(len(target))
            target[: len(data)] = data
            return len(data)

    def readinto1(self, b: Any) -> int:
        """As :meth:`readinto`, with at most one segment decoded (see :meth:`read1`)."""
        with memoryview(b) as view, view.cast("B") as target:
            data = self.read1(len(target)) if len(target) else b""
            target[: len(data)] = data
            return len(data)

    def peek(self, size: int = 0) -> bytes:
        """Bytes from the current position without moving it: what is buffered (at least one byte
        unless at the end; at most the rest of the current segment, whatever ``size`` is)."""
        reader = self._need_reader()
        off = self._pos - self._buf_start
        if not (0 <= off < len(self._buf)):
            if self._pos >= self._size:
                return b""
            self._buf = reader.read1_at(self._pos, _READ_CHUNK)
            self._buf_start = self._pos
            off = 0
        return self._buf[off:]

    def readline(self, size: Optional[int] = -1) -> bytes:
        """One line (up to and including b"\\n"), at most ``size`` bytes when that is >= 0."""
        reader = self._need_reader()
        limit = -1 if size is None else size
        parts = []
        got = 0
        while limit < 0 or got < limit:
            off = self._pos - self._buf_start
            if not 0 <= off < len(self._buf):
                if self._pos >= self._size:
                    break
                self._buf = reader.read1_at(self._pos, _READ_CHUNK)
                self._buf_start = self._pos
                off = 0
                if not self._buf:
                    break
            nl = self._buf.find(b"\n", off)
            end = len(self._buf) if nl < 0 else nl + 1
            if limit >= 0:
                end = min(end, off + limit - got)
            parts.append(self._buf[off:end])
            got += end - off
            self._pos += end - off
            if nl >= 0 and end == nl + 1:
                break
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Moves to ``offset`` from the start (SEEK_SET), the current position (SEEK_CUR) or the
        end of the original data (SEEK_END); returns the new position. Costs nothing: the
        segments are decoded when read. A position past the end reads as empty."""
        self._need_reader()
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError(f"invalid whence ({whence!r}, should be 0, 1 or 2)")
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def tell(self) -> int:
        """The position in the original data (read mode), or the bytes written (write mode)."""
        self._check_open()
        return self._pos

    # -- writing --------------------------------------------------------------------------------

    def write(self, b: Any) -> int:
        """Encodes the bytes-like ``b``; returns its length in bytes."""
        self._check_open()
        if self._writer is None:
            raise io.UnsupportedOperation("not writable (opened for reading)")
        n = self._writer.write(b)
        self._pos += n
        return n

    def flush(self) -> None:
        """Nothing to do: segment boundaries depend only on the data, so a partial segment stays
        buffered until more data or :meth:`close`."""
        self._check_open()

    # -- closing --------------------------------------------------------------------------------

    def close(self) -> None:
        """Read mode: releases the input. Write mode: encodes what is buffered and writes the
        index and footer (a path target is renamed into place). A file object given is left
        open."""
        if self.closed:
            return
        try:
            if self._writer is not None:
                if not self._writer.closed:
                    self._writer.finish()
            elif self._reader is not None:
                self._reader.close()
        finally:
            self._buf = b""
            super().close()

    def abandon(self) -> None:
        """Write mode: closes without finishing the stream (a path target is not created)."""
        if self.closed:
            return
        try:
            if self._writer is not None:
                self._writer.close()
            elif self._reader is not None:
                self._reader.close()
        finally:
            super().close()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """Closes; in write mode after an exception, abandons instead (see :meth:`abandon`)."""
        if exc_type is not None and self._writer is not None:
            self.abandon()
        else:
            self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else getattr(self, "mode", "?")
        return f"<sigmalang.SigmaFile name={getattr(self, 'name', None)!r} {state}>"


def open(  # noqa: A001 - the name of the module-level open() in lzma, bz2, gzip
    file: Any,
    mode: str = "rb",
    *,
    level: int = DEFAULT_LEVEL,
    threads: int = 0,
    segment_size: Union[int, str, None] = None,
    memory_limit: Optional[int] = None,
    encoding: Optional[str] = None,
    errors: Optional[str] = None,
    newline: Optional[str] = None,
) -> Any:
    """Opens a ΣLANG file; returns a :class:`SigmaFile` (an :class:`io.BufferedIOBase`).

    ``file``: a path, or a binary file object (``read`` + ``seek`` to read, ``write`` to write;
    e.g. one from ``fsspec.open``). ``mode``: ``"rb"`` (the default; seekable through the index),
    ``"wb"``, ``"xb"`` (fails if the path exists), or ``"rt"``/``"wt"``/``"xt"`` for text, wrapped
    in :class:`io.TextIOWrapper` with ``encoding``, ``errors`` and ``newline``. Write options:
    ``level`` 1..9, ``threads`` (0: one per core), ``segment_size`` (None: the level's default; an
    int; a size such as "4M"; "auto" means the default, the length being unknown). Read option:
    ``memory_limit`` in bytes (a file whose longest segment needs more raises
    :class:`MemoryLimitError`).
    """
    text = "t" in mode
    if text and "b" in mode:
        raise ValueError(f"invalid mode {mode!r}")
    if not text and (encoding is not None or errors is not None or newline is not None):
        raise ValueError("encoding, errors and newline are for text mode only")
    binary = mode.replace("t", "")
    f = SigmaFile(
        file,
        binary,
        level=level,
        threads=threads,
        segment_size=segment_size,
        memory_limit=memory_limit,
    )
    if text:
        return io.TextIOWrapper(f, encoding=encoding, errors=errors, newline=newline)
    return f


def _fsspec_open(infile: Any, mode: str = "rb", **kwargs: Any) -> SigmaFile:
    """fsspec's compression callback: wraps the file object that fsspec opened."""
    mode = mode.replace("t", "")
    if "b" not in mode:
        mode += "b"
    return SigmaFile(infile, mode, **kwargs)


def _register_fsspec() -> None:
    """Registers the "sigma" compression (and the .sigma suffix for compression="infer") with
    fsspec when it is installed. Idempotent: a re-import replaces only our own registration."""
    try:
        import fsspec.compression
        import fsspec.utils
    except ImportError:
        return
    existing = fsspec.compression.compr.get("sigma")
    if existing is not None and getattr(existing, "__module__", None) != __name__:
        return  # someone else's "sigma": leave it
    ext_owner = fsspec.utils.compressions.get("sigma")
    extensions = ["sigma"] if ext_owner in (None, "sigma") else []
    try:
        fsspec.compression.register_compression(
            "sigma", _fsspec_open, extensions, force=existing is not None or ext_owner == "sigma"
        )
    except ValueError:  # pragma: no cover - registered meanwhile by someone else
        pass


_register_fsspec()
