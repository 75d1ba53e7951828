"""Which files to read and with which reader: the format registry, auto-detection and the walk.

Readers are named here by module path and imported only when a file needs them. A reader is
built per file with a `ReadContext`, through which it reports skipped parts (warnings) and how
many bytes it has consumed (for the progress bar).
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator

from memcli.readers import Reader, ReadError

HEAD_BYTES = 256 * 1024  # enough to see past a LoCoMo sample's QA list to its conversation
NOTE_SUFFIXES = {".md", ".markdown", ".txt"}
CHAT_SUFFIXES = {".json", ".jsonl", ".ndjson"}

# name -> "module:factory". A factory takes a ReadContext and returns a Reader.
READERS: dict[str, str] = {
    "markdown": "memcli.readers.notes:MarkdownReader",
    "text": "memcli.readers.notes:TextReader",
    "chatgpt": "memcli.readers.chatgpt:ChatGPTReader",
    "claude": "memcli.readers.claude:ClaudeReader",
    "jsonl": "memcli.readers.jsonl:JsonlReader",
    "locomo": "memcli.readers.detect:_locomo",
}
# The order auto-detection sniffs in: the most specific formats first.
SNIFF_ORDER = ("chatgpt", "claude", "locomo", "jsonl")


@dataclass
class ReadContext:
    """What a reader may tell its caller while it reads one file."""

    warn: Callable[[str], None] = lambda message: None
    advance: Callable[[int], None] = lambda nbytes: None


class CountingFile:
    """A binary file that reports how many bytes were read, so streaming parsers can show progress."""

    def __init__(self, fh: BinaryIO, advance: Callable[[int], None]) -> None:
        self._fh = fh
        self._advance = advance

    def read(self, size: int = -1) -> bytes:
        data = self._fh.read(size)
        self._advance(len(data))
        return data

    def readline(self) -> bytes:
        line = self._fh.readline()
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
        from memcli.plugins import registered_importers  # type: ignore[attr-defined]
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
    with open(path, "rb") as fh:
        return fh.read(HEAD_BYTES)


def looks_binary(head: bytes) -> bool:
    return b"\x00" in head[:8192]


def detect(path: Path, head: bytes) -> str | None:
    """The format of `path`, or None when no reader recognises it."""
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix == ".txt":
        return "text"
    context = ReadContext()
    for name in [*SNIFF_ORDER, *(n for n in factories() if n not in READERS)]:
        reader = make_reader(name, context)
        try:
            if reader.sniff(path, head):
                return name
        except Exception:  # a sniffer that chokes on odd bytes simply does not match
            continue
    return None


# Files no one means to ingest: editor swap and backup files, vim's write test, sync leftovers.
IGNORED_SUFFIXES = (".swp", ".swo", ".swx", ".tmp", ".part", ".crdownload", "~", "-wal", "-shm", "-journal")
IGNORED_NAMES = {"4913", ".DS_Store", "Thumbs.db"}


def is_ignored_name(name: str) -> bool:
    return (name in IGNORED_NAMES or name.startswith((".#", "~$", ".~")) or name.endswith(IGNORED_SUFFIXES)
            or (name.startswith("#") and name.endswith("#")))


@dataclass
class Walk:
    """The files found under the given paths, and what could not be walked."""

    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    missing: list[Path] = field(default_factory=list)  # given paths that do not exist
    roots: list[Path] = field(default_factory=list)    # given directories


def walk(paths: Iterable[str | os.PathLike[str]], exclude: Iterable[Path] = ()) -> Walk:
    """Expand files and directory trees. In a tree only note and chat-export files are taken;
    hidden folders (.obsidian, .git, .trash) are skipped, and symlink loops are cut once."""
    found = Walk()
    excluded = {os.path.abspath(p) for p in exclude}
    seen: set[str] = set()
    for given in paths:
        path = Path(os.path.abspath(os.path.expanduser(str(given))))
        if not path.exists():
            (found.problems.append(f"{path}: broken symlink") if path.is_symlink() else found.missing.append(path))
            continue
        if path.is_dir():
            found.roots.append(path)
            _walk_dir(path, found, excluded, seen)
        elif str(path) not in seen:
            seen.add(str(path))
            found.files.append(path)
    return found


def _walk_dir(root: Path, found: Walk, excluded: set[str], seen: set[str]) -> None:
    visited: set[str] = set()

    def on_error(error: OSError) -> None:
        found.problems.append(f"{error.filename}: cannot list ({error.strerror})")

    for directory, dirs, files in os.walk(root, followlinks=True, onerror=on_error):
        real = os.path.realpath(directory)
        if real in visited:  # a symlink back up the tree
            found.problems.append(f"{directory}: symlink loop, skipped")
            dirs[:] = []
            continue
        visited.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if is_ignored_name(name) or name.startswith("."):
                continue
            if Path(name).suffix.lower() not in NOTE_SUFFIXES | CHAT_SUFFIXES:
                continue
            full = os.path.join(directory, name)
            if full in excluded or full in seen:
                continue
            if not os.path.exists(full):
                found.problems.append(f"{full}: broken symlink")
                continue
            seen.add(full)
            found.files.append(Path(full))


def open_counted(path: Path, context: ReadContext) -> CountingFile:
    """Open `path` for a streaming parser; bytes read are reported to the context."""
    return CountingFile(open(path, "rb"), context.advance)


def stream_conversations(path: Path, context: ReadContext, messages_key: str, messages_type: type,
                         export: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, conversation) from a JSON array export, parsed as it streams (ijson): a 200 MB
    export never sits in memory whole. Each conversation must hold `messages_key` as a
    `messages_type`; anything else is not this export's format."""
    import ijson

    count = 0
    with open_counted(path, context) as fh:
        try:
            for index, conversation in enumerate(ijson.items(fh, "item", use_float=True)):
                if not isinstance(conversation, dict) or not isinstance(conversation.get(messages_key), messages_type):
                    raise ReadError(f"conversation {index + 1} has no '{messages_key}': not a {export} export")
                count += 1
                yield index, conversation
        except ijson.JSONError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ReadError(f"invalid JSON after {count} conversations ({reason})") from exc
    if count == 0:
        raise ReadError(f"no conversations in this {export} export")


class ConversationExportReader:
    """A reader for exports that are one JSON array of conversations (ChatGPT, Claude): sniffing
    and streaming are shared; subclasses say which key holds the messages and read one
    conversation."""

    name = ""
    export = ""                       # how the user calls it, for error messages
    messages_key = ""
    messages_type: type = list
    global_ids = True  # message ids are unique across exports: a later export is not stored again

    def __init__(self, context: ReadContext | None = None) -> None:
        self.context = context or ReadContext()

    def sniff(self, path: Path, head: bytes) -> bool:
        return head.lstrip().startswith(b"[") and f'"{self.messages_key}"'.encode() in head

    def read(self, path: Path) -> Iterator[Any]:
        for index, conversation in stream_conversations(path, self.context, self.messages_key,
                                                        self.messages_type, self.export):
            yield from self.conversation(conversation, index)

    def conversation(self, conversation: dict[str, Any], index: int) -> Iterator[Any]:
        raise NotImplementedError
