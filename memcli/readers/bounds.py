"""Limits every reader keeps, so that a small hostile file cannot make mem's work unbounded.

A 200 KB export of nested brackets, a 600-byte YAML alias bomb or a named pipe must cost a
warning, not gigabytes, minutes or a hang. Each limit is far above what real notes and exports
need; a file past one is skipped (or read up to it) with a warning that names the limit.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import BinaryIO

from memcli.readers import ReadError

MiB = 1024 * 1024
MAX_JSON_DEPTH = 64             # real exports nest about 12 deep
MAX_ITEM_BYTES = 64 * MiB       # one conversation (or project) of an export
MAX_LINE_BYTES = 8 * MiB        # one JSON Lines record
MAX_WHOLE_JSON_BYTES = 64 * MiB  # formats read whole (LoCoMo: ~3 MB)
MAX_NOTE_BYTES = 16 * MiB       # one Markdown or text note
MAX_FRONT_MATTER = 64 * 1024
MAX_YAML_DEPTH = 16


def size_text(nbytes: int) -> str:
    return f"{nbytes // MiB} MiB" if nbytes >= MiB else f"{nbytes // 1024} KiB"


def kind_of(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, name in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a regular file"


def not_regular(path: str | os.PathLike[str]) -> str | None:
    """Why `path` must not be opened (a pipe would block forever, a device never ends), or None."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # the open that follows reports it
    kind = kind_of(mode)
    return f"{kind}, not a regular file; skipped" if kind else None


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading; anything else is a ReadError and is never read from.

    The path is checked before it is opened; O_NONBLOCK keeps the open itself from hanging if
    a pipe took the file's place in between, and the open file is checked again."""
    reason = not_regular(path)
    if reason:
        raise ReadError(reason)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise ReadError(f"cannot read ({exc.strerror})") from exc
    try:
        kind = kind_of(os.fstat(fd).st_mode)
        if kind:
            raise ReadError(f"{kind}, not a regular file; skipped")
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_capped(path: Path, limit: int, what: str) -> bytes:
    """The whole file, or a ReadError when it is larger than `limit` (checked before reading)."""
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise ReadError(f"{what} larger than {size_text(limit)} (the limit); skipped")
        data = fh.read(limit + 1)
    if len(data) > limit:  # it grew while we looked
        raise ReadError(f"{what} larger than {size_text(limit)} (the limit); skipped")
    return data


class TooLarge(Exception):
    """A JSON item nests deeper or runs longer than its limit; the message names the limit."""


_ESCAPE = re.compile(rb"\\.", re.S)
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPEN = (ord("["), ord("{"))


class JsonShape:
    """Follows the bracket depth of a JSON byte stream as it is read, outside strings, so that a
    streaming parser (ijson, whose memory grows with the square of the depth) is stopped before a
    too-deep or too-long item costs memory. Items are the elements of the top-level array.

    Works on whole chunks with regular expressions (about 0.3 s per 100 MB): escapes are dropped
    first, so every quote left opens or closes a string; a string or an escape cut by the chunk
    boundary is carried over. Only a chunk that goes too deep is walked byte by byte, to pass on
    what comes before the fault (the items before it are read) and stop there."""

    def __init__(self, max_depth: int | None = None, max_item: int | None = None) -> None:
        self.max_depth = MAX_JSON_DEPTH if max_depth is None else max_depth
        self.max_item = MAX_ITEM_BYTES if max_item is None else max_item
        self.depth = 0
        self.item_bytes = 0
        self.in_string = False
        self.pending = b""  # a backslash that ended the last chunk
        self.fault: TooLarge | None = None  # raised at the next read

    def feed(self, chunk: bytes) -> int:
        """Account for `chunk`; returns how many of its bytes may go on to the parser. Fewer than
        all: the item goes too deep there, and `fault` is set."""
        state = (self.depth, self.in_string, self.pending)
        data = _ESCAPE.sub(b"", self.pending + chunk)
        self.pending = b""
        if data.endswith(b"\\"):
            self.pending, data = b"\\", data[:-1]
        ended = False  # an item ended (or the array did) in this chunk
        if self.in_string:
            end = data.find(b'"')
            data = b"" if end < 0 else data[end + 1:]
            self.in_string = end < 0
        if not self.in_string:
            data = _STRING.sub(b"", data)
            start = data.find(b'"')
            if start >= 0:
                self.in_string, data = True, data[:start]
        depth = self.depth
        for byte in data.translate(None, _NOT_BRACKETS):
            if byte in _OPEN:
                depth += 1
                if depth > self.max_depth:
                    self.fault = TooLarge(f"nested deeper than {self.max_depth} levels (the limit)")
                    return _offset_of_depth(chunk, *state, self.max_depth)
            else:
                depth -= 1
                ended = ended or depth <= 1
        self.depth = depth
        # Counted per chunk: an item that ended here leaves at most this chunk to the next one.
        self.item_bytes = len(chunk) if ended else self.item_bytes + len(chunk)
        if self.depth > 1 and self.item_bytes > self.max_item:
            raise TooLarge(f"larger than {size_text(self.max_item)} (the limit)")
        return len(chunk)


def _offset_of_depth(chunk: bytes, depth: int, in_string: bool, pending: bytes, limit: int) -> int:
    """Where in `chunk` the nesting first passes `limit`, walked byte by byte (the rare case)."""
    escaped = bool(pending)
    for offset, byte in enumerate(chunk):
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return offset
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return len(chunk)


def read_line(fh: BinaryIO, limit: int | None = None) -> tuple[bytes, bool]:
    """The next line (b"" at the end) and whether it was cut: a line longer than `limit`
    (MAX_LINE_BYTES) is skipped to its end without being kept."""
    limit = MAX_LINE_BYTES if limit is None else limit
    line = fh.readline(limit + 1)
    if len(line) <= limit or line.endswith(b"\n"):
        return line, False
    while (rest := fh.readline(MiB)) and not rest.endswith(b"\n"):
        pass
    return b"", True
