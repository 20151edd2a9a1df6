"""Type stubs of sigmalang._native, the Rust extension (PyO3). Import ``sigmalang`` instead."""

import os
from types import TracebackType
from typing import Any, Dict, Iterable, List, Optional, Protocol, Tuple, Type, Union

from typing_extensions import Buffer, Self, final

__all__ = [
    "SigmaError",
    "CorruptError",
    "TruncatedError",
    "MemoryLimitError",
    "__version__",
    "DEFAULT_LEVEL",
    "MIN_LEVEL",
    "MAX_LEVEL",
    "compress",
    "decompress",
    "encode_file",
    "decode_file",
    "info",
    "verify",
    "read_range",
    "salvage",
    "part_range",
    "encode_part",
    "join",
    "Reader",
    "Writer",
]

__version__: str
DEFAULT_LEVEL: int
MIN_LEVEL: int
MAX_LEVEL: int

_StrPath = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
_SegmentSize = Union[int, str, None]

class _ReadSeekable(Protocol):
    def read(self, n: int, /) -> bytes: ...
    def seek(self, offset: int, whence: int = ..., /) -> int: ...

class _Readable(Protocol):
    def read(self, n: int, /) -> bytes: ...

class _Writable(Protocol):
    def write(self, data: bytes, /) -> Optional[int]: ...

class SigmaError(Exception):
    """Base class of the errors sigmalang raises itself."""

class CorruptError(SigmaError):
    """The encoded data is damaged or is not ΣLANG."""

    segment: Optional[int]
    """Ordinal of the damaged segment, None when unknown."""
    offset: Optional[int]
    """Byte offset in the encoded stream where the damage was found, None when unknown."""
    part: Optional[int]
    """join(): the position (from 0) in ``parts`` of the part file at fault; None otherwise."""

class TruncatedError(CorruptError):
    """The encoded data ends too early; ``offset`` is where it ends."""

class MemoryLimitError(SigmaError):
    """A run would need more memory than its limit, even with one segment on one thread."""

    needed: Optional[int]
    limit: Optional[int]

def compress(
    data: Buffer, level: int = 3, threads: int = 0, segment_size: _SegmentSize = None
) -> bytes:
    """Encodes ``data`` into a ΣLANG stream: the bytes of ``sigma encode`` with these options."""

def decompress(data: Buffer, threads: int = 0) -> bytes:
    """Decodes a ΣLANG stream (streams back to back: their concatenation), verifying it."""

def encode_file(
    src: _StrPath,
    dst: _StrPath,
    level: int = 3,
    threads: int = 0,
    segment_size: _SegmentSize = None,
) -> Dict[str, Any]:
    """Encodes the file ``src`` into ``dst`` (replaced atomically); returns statistics."""

def decode_file(src: _StrPath, dst: _StrPath, threads: int = 0) -> Dict[str, Any]:
    """Decodes the ΣLANG file ``src`` into ``dst`` (replaced atomically); returns statistics."""

def info(file: Union[_StrPath, _ReadSeekable]) -> Dict[str, Any]:
    """Header, index and footer of a ΣLANG file: the keys of ``sigma info --json``."""

def verify(file: Union[_StrPath, _Readable], threads: int = 0) -> Dict[str, Any]:
    """Checks every checksum and the structure; raises CorruptError on damage."""

def read_range(file: Union[_StrPath, _ReadSeekable], start: int, end: int) -> bytes:
    """Original bytes ``start:end`` (``end`` clamped), decoding only the segments needed."""

def salvage(src: _StrPath, dst: Union[_StrPath, _Writable]) -> List[Tuple[int, Optional[int]]]:
    """Recovers the intact segments of ``src`` into ``dst``; returns the lost ranges."""

def part_range(
    input_len: int, part: int, parts: int, level: int = 3, segment_size: _SegmentSize = None
) -> Tuple[int, int, int]:
    """``(start, end, segment_size)``: the raw bytes part ``part`` of ``parts`` encodes."""

def encode_part(
    data: Buffer,
    input_len: int,
    part: int,
    parts: int,
    level: int = 3,
    segment_size: _SegmentSize = None,
    threads: int = 0,
) -> bytes:
    """A part file's bytes, from exactly the part's raw bytes."""

def join(
    parts: Iterable[Union[_StrPath, _Readable]], dst: Union[_StrPath, _Writable]
) -> Dict[str, Any]:
    """Checks a full set of parts and writes the stream they make (the bytes of ``compress``)."""

@final
class Reader:
    """Random access to the original bytes of a ΣLANG file through its index."""

    def __new__(
        cls, file: Union[_StrPath, _ReadSeekable], memory_limit: Optional[int] = None
    ) -> Self: ...
    @property
    def size(self) -> int:
        """Length of the original data."""
    @property
    def segment_size(self) -> int:
        """Raw bytes per segment (of the first stream)."""
    @property
    def segments(self) -> int:
        """Number of segments (of all streams)."""
    @property
    def closed(self) -> bool:
        """True once close() was called."""
    def read_at(self, pos: int, n: int) -> bytes:
        """Up to ``n`` bytes of the original from ``pos``."""
    def read1_at(self, pos: int, n: int) -> bytes:
        """As read_at(), but no further than the end of the segment holding ``pos``."""
    def close(self) -> None:
        """Releases the input (a file object given stays open)."""
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]] = None,
        exc: Optional[BaseException] = None,
        tb: Optional[TracebackType] = None,
    ) -> bool: ...

@final
class Writer:
    """Encodes what is written to it into a path (atomically) or a binary file object."""

    def __new__(
        cls,
        file: Union[_StrPath, _Writable],
        level: int = 3,
        threads: int = 0,
        segment_size: _SegmentSize = None,
    ) -> Self: ...
    def write(self, data: Buffer) -> int:
        """Queues ``data`` for encoding; returns its length in bytes."""
    def finish(self) -> Dict[str, Any]:
        """Writes the index and footer; returns statistics. The writer is closed afterwards."""
    def close(self) -> None:
        """Abandons an unfinished writer (a path target is not created)."""
    @property
    def closed(self) -> bool:
        """True once finish() or close() was called."""
    @property
    def bytes_written(self) -> int:
        """Bytes written so far."""
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]] = None,
        exc: Optional[BaseException] = None,
        tb: Optional[TracebackType] = None,
    ) -> bool: ...
