"""Chat exports that are one JSON array of conversations (ChatGPT, Claude), as a file or inside
the `.zip` the site sends.

The array is streamed with ijson, one conversation in memory at a time, under the limits of
`bounds.JsonShape` (nesting depth, bytes per conversation). Inside a zip only the export's own
members are read (`conversations.json`, and Claude's `projects.json`), straight from the archive.
"""

from __future__ import annotations

import functools

import zipfile
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

from memcli.readers import ReadError, bounds
from memcli.readers.detect import CountingFile, ReadContext

ZIP_MAGIC = b"PK\x03\x04"
MAX_ZIP_RATIO = 200  # JSON deflates ~10x; a member that claims far more is a zip bomb
MAX_ZIP_MEMBERS = 100_000


def is_zip(head: bytes) -> bool:
    return head.startswith(ZIP_MAGIC)


def _members(archive: zipfile.ZipFile, names: tuple[str, ...]) -> list[zipfile.ZipInfo]:
    """The export's members: at the top of the archive or in one folder, in the order of `names`."""
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ReadError(f"zip with more than {MAX_ZIP_MEMBERS:,} members (the limit); not an export")
    found: list[zipfile.ZipInfo] = []
    for name in names:
        for info in infos:
            parts = info.filename.split("/")
            if parts[-1] == name and len(parts) <= 2 and not info.is_dir():
                if info.file_size > bounds.MAX_ITEM_BYTES and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
                    raise ReadError(f"{info.filename} in the zip unpacks to {MAX_ZIP_RATIO}x its size or more (the limit)")
                found.append(info)
                break
    return found


def open_zip(fh: BinaryIO) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadError(f"not a readable zip ({exc})") from exc


def zip_head(path: Path, names: tuple[str, ...], nbytes: int) -> bytes:
    """The first bytes of the export inside a zip, for sniffing."""
    with bounds.open_regular(path) as fh, open_zip(fh) as archive:
        members = _members(archive, names)
        if not members:
            raise ReadError(f"a zip without {' or '.join(names)}: not a ChatGPT or Claude export")
        with archive.open(members[0]) as member:
            return member.read(nbytes)


def streams(path: Path, names: tuple[str, ...], context: ReadContext) -> Iterator[tuple[str, CountingFile]]:
    """(member name, stream) for a plain export file, or for each member of a zip export. Bytes
    read are reported to the context, in the file's own (compressed) bytes."""
    with bounds.open_regular(path) as fh:
        if not is_zip(fh.read(4)):
            fh.seek(0)
            yield path.name, CountingFile(fh, context.advance, bounds.JsonShape())
            return
        fh.seek(0)
        with open_zip(fh) as archive:
            members = _members(archive, names)
            if not members:
                raise ReadError(f"a zip without {' or '.join(names)}: not a ChatGPT or Claude export")
            for info in members:
                ratio = info.compress_size / max(info.file_size, 1)
                advance = functools.partial(_scaled, context.advance, ratio)
                try:
                    with archive.open(info) as member:
                        yield info.filename, CountingFile(member, advance, bounds.JsonShape())  # type: ignore[arg-type]
                except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:  # corrupt, or encrypted
                    raise ReadError(f"{info.filename} in the zip cannot be read ({exc})") from exc


def stream_items(stream: CountingFile, what: str) -> Iterator[dict[str, Any]]:
    """The objects of a JSON array, parsed as they stream (ijson): a 200 MB export never sits in
    memory whole, and one deeper or longer than the limits stops the reading with a ReadError."""
    import ijson

    count = 0
    try:
        for item in ijson.items(stream, "item", use_float=True):
            if not isinstance(item, dict):
                raise ReadError(f"{what} {count + 1} is not a JSON object")
            count += 1
            yield item
    except bounds.TooLarge as exc:
        raise ReadError(f"{what} {count + 1} {exc}; the rest of the file was not read") from None
    except ijson.JSONError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReadError(f"invalid JSON after {count} {what}s ({reason})") from exc


class ConversationExportReader:
    """A reader for exports that are JSON arrays of conversations: sniffing, zips and streaming
    are shared; subclasses say which key holds the messages and read one item."""

    name = ""
    export = ""                       # how the user calls it, for error messages
    messages_key = ""
    messages_type: type = list
    members: tuple[str, ...] = ("conversations.json",)  # what is read from the site's zip
    global_ids = True  # message ids are unique across exports: a later export is not stored again

    def __init__(self, context: ReadContext | None = None) -> None:
        self.context = context or ReadContext()

    def sniff(self, path: Path, head: bytes) -> bool:
        return head.lstrip().startswith(b"[") and f'"{self.messages_key}"'.encode() in head

    def read(self, path: Path) -> Iterator[Any]:
        count = 0
        for member, stream in streams(path, self.members, self.context):
            for index, item in enumerate(stream_items(stream, "conversation")):
                count += 1
                yield from self.item(item, index, member)
        if count == 0:
            raise ReadError(f"no conversations in this {self.export} export")

    def item(self, item: dict[str, Any], index: int, member: str) -> Iterator[Any]:
        """One element of the array: a conversation unless a subclass knows other kinds."""
        if not isinstance(item.get(self.messages_key), self.messages_type):
            raise ReadError(f"conversation {index + 1} has no '{self.messages_key}': not a {self.export} export")
        yield from self.conversation(item, index)

    def conversation(self, conversation: dict[str, Any], index: int) -> Iterator[Any]:
        raise NotImplementedError


def _scaled(advance: Callable[[int], None], ratio: float, nbytes: int) -> None:
    """Progress in bytes of the zip file for `nbytes` read from a member compressed at `ratio`."""
    advance(int(nbytes * ratio))
