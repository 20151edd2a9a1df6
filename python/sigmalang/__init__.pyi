"""Type stubs of the sigmalang package (ΣLANG for Python)."""

import io
from types import TracebackType
from typing import Any, Literal, Optional, Type, Union, overload

from typing_extensions import Buffer

from ._native import (
    DEFAULT_LEVEL as DEFAULT_LEVEL,
    MAX_LEVEL as MAX_LEVEL,
    MIN_LEVEL as MIN_LEVEL,
    CorruptError as CorruptError,
    MemoryLimitError as MemoryLimitError,
    Reader as Reader,
    _SegmentSize,
    SigmaError as SigmaError,
    TruncatedError as TruncatedError,
    Writer as Writer,
    __version__ as __version__,
    compress as compress,
    decode_file as decode_file,
    decompress as decompress,
    encode_file as encode_file,
    encode_part as encode_part,
    info as info,
    join as join,
    part_range as part_range,
    read_range as read_range,
    salvage as salvage,
    verify as verify,
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

class SigmaFile(io.BufferedIOBase):
    """A ΣLANG file opened for reading (seekable through the index) or writing."""

    mode: str
    name: Any
    def __init__(
        self,
        file: Any,
        mode: str = "rb",
        *,
        level: int = 3,
        threads: int = 0,
        segment_size: _SegmentSize = None,
        memory_limit: Optional[int] = None,
    ) -> None: ...
    @property
    def size(self) -> int:
        """Length of the original data (read mode), or bytes written so far (write mode)."""
    def read(self, size: Optional[int] = -1) -> bytes: ...
    def read1(self, size: int = -1) -> bytes: ...
    def readinto(self, b: Buffer) -> int: ...
    def readinto1(self, b: Buffer) -> int: ...
    def peek(self, size: int = 0) -> bytes: ...
    def readline(self, size: Optional[int] = -1) -> bytes: ...
    def seek(self, offset: int, whence: int = 0) -> int: ...
    def tell(self) -> int: ...
    def write(self, b: Buffer) -> int: ...
    def abandon(self) -> None:
        """Write mode: closes without finishing the stream (a path target is not created)."""
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None: ...

_BinaryMode = Literal["r", "rb", "w", "wb", "x", "xb"]
_TextMode = Literal["rt", "wt", "xt"]

@overload
def open(
    file: Any,
    mode: _BinaryMode = "rb",
    *,
    level: int = 3,
    threads: int = 0,
    segment_size: _SegmentSize = None,
    memory_limit: Optional[int] = None,
    encoding: None = None,
    errors: None = None,
    newline: None = None,
) -> SigmaFile: ...
@overload
def open(
    file: Any,
    mode: _TextMode,
    *,
    level: int = 3,
    threads: int = 0,
    segment_size: _SegmentSize = None,
    memory_limit: Optional[int] = None,
    encoding: Optional[str] = None,
    errors: Optional[str] = None,
    newline: Optional[str] = None,
) -> io.TextIOWrapper: ...
