"""Which reader reads a file: the format registry and auto-detection (the walk is in walk.py).

Readers are named here by module path and imported only when a file needs them. A reader is
built per file with a `ReadContext`, through which it reports skipped parts (warnings) and how
many bytes it has consumed (for the progress bar).

Detection: a note suffix (.md, .markdown, .txt) is a note unless a plugin's sniffer claims the
file first (a WhatsApp chat is a .txt); any other file is offered to the built-in sniffers, most
specific first, then to the plugins'.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

from memcli.readers import Reader, ReadError, bounds
from memcli.readers.walk import (CHAT_SUFFIXES, NOTE_SUFFIXES, Walk, is_drawing, is_ignored_name,  # noqa: F401
                                 walk)

HEAD_BYTES = 256 * 1024  # enough to see past a LoCoMo sample's QA list to its conversation
NOTE_READERS = {".md": "markdown", ".markdown": "markdown", ".txt": "text"}

# name -> "module:factory". A factory takes a ReadContext and returns a Reader.
READERS: dict[str, str] = {
    "markdown": "memcli.readers.notes:MarkdownReader",
    "text": "memcli.readers.notes:TextReader",
    "chatgpt": "memcli.readers.chatgpt:ChatGPTReader",
    "claude": "memcli.readers.claude:ClaudeReader",
    "mcp-memory": "memcli.readers.mcp_memory:McpMemoryReader",
    "jsonl": "memcli.readers.jsonl:JsonlReader",
    "locomo": "memcli.readers.detect:_locomo",
}
# The order auto-detection sniffs in: the most specific formats first.
SNIFF_ORDER = ("chatgpt", "claude", "locomo", "mcp-memory", "jsonl")


@dataclass
class ReadContext:
    """What a reader may tell its caller while it reads one file."""

    warn: Callable[[str], None] = lambda message: None
    advance: Callable[[int], None] = lambda nbytes: None


class CountingFile:
    """A binary file that reports how many bytes were read, so streaming parsers can show
    progress; with a `shape`, the JSON read through it is held to the shape's limits."""

    def __init__(self, fh: BinaryIO, advance: Callable[[int], None], shape: bounds.JsonShape | None = None) -> None:
        self._fh = fh
        self._advance = advance
        self._shape = shape

    def read(self, size: int = -1) -> bytes:
        shape = self._shape
        if shape is not None and shape.fault:
            raise shape.fault
        data = self._fh.read(size)
        self._advance(len(data))
        if shape is not None:
            keep = shape.feed(data)
            if keep < len(data):  # the parser gets what comes before the fault, then the fault
                if keep == 0:
                    raise shape.fault  # type: ignore[misc]
                data = data[:keep]
        return data

    def readline(self, size: int = -1) -> bytes:
        line = self._fh.readline(size)
        self._advance(len(line))
        return line

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "CountingFile":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _locomo(context: ReadContext) -> Reader:
    from memcli.readers.locomo import LocomoReader

    return LocomoReader()


def factories() -> dict[str, str | Callable[[ReadContext], Reader]]:
    """Built-in readers plus those plugins register (name -> factory)."""
    found: dict[str, str | Callable[[ReadContext], Reader]] = dict(READERS)
    try:
        from memcli.plugins import registered_importers
    except ImportError:
        return found
    try:
        found.update(registered_importers())
    except Exception:  # a broken plugin must not break ingest of the built-in formats
        pass
    return found


def format_names() -> list[str]:
    return list(factories())


def make_reader(name: str, context: ReadContext) -> Reader:
    factory = factories()[name]
    if isinstance(factory, str):
        module, _, attr = factory.partition(":")
        factory = getattr(importlib.import_module(module), attr)
    return factory(context)


def read_head(path: Path) -> bytes:
    """The first bytes of `path` for sniffing; of the export inside, for a ChatGPT or Claude zip."""
    with bounds.open_regular(path) as fh:
        head = fh.read(HEAD_BYTES)
    from memcli.readers import exports

    if exports.is_zip(head):
        return exports.zip_head(path, ("conversations.json", "projects.json"), HEAD_BYTES)
    return head


def looks_binary(head: bytes) -> bool:
    return b"\x00" in head[:8192]


def _sniff(names: list[str], path: Path, head: bytes) -> str | None:
    context = ReadContext()
    for name in names:
        try:
            if make_reader(name, context).sniff(path, head):
                return name
        except Exception:  # a sniffer that chokes on odd bytes simply does not match
            continue
    return None


def detect(path: Path, head: bytes) -> str | None:
    """The format of `path`, or None when no reader recognises it."""
    if is_drawing(path.name):  # given with --format auto past the walk (which leaves drawings out)
        raise ReadError("an Excalidraw drawing, not a note; skipped")
    plugin_names = [name for name in factories() if name not in READERS]
    note = NOTE_READERS.get(path.suffix.lower())
    if note:
        return _sniff(plugin_names, path, head) or note
    return _sniff([*SNIFF_ORDER, *plugin_names], path, head)


def plugin_suffixes() -> set[str]:
    """File suffixes that plugin readers declare (`suffixes`), for the walk to take them too."""
    found: set[str] = set()
    for name in factories():
        if name in READERS:
            continue
        try:
            found.update(str(s).lower() for s in getattr(make_reader(name, ReadContext()), "suffixes", ()) or ())
        except Exception:
            continue
    return found


def open_counted(path: Path, context: ReadContext) -> CountingFile:
    """Open `path` (a regular file only) for a streaming parser; bytes read are reported to the context."""
    return CountingFile(bounds.open_regular(path), context.advance)
