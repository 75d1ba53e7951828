"""JSON Lines, one object a line: chat turns and plain records.

A chat turn: `{"role"|"speaker": ..., "content"|"text": ..., "timestamp"?: ISO or epoch,
"session"?: ..., "id"?: ...}` (content may be OpenAI-style parts). A record: `{"text": ...,
"type"?: episodic|semantic|procedural, "at"?: ISO or epoch, "tags"?: [...] or "a, b",
"source_ref"?: a stable id, "session"?, "speaker"?, "metadata"?: {...}}`. Any line may carry
any of these fields (docs/formats.md has the table).

Read line by line; a line longer than bounds.MAX_LINE_BYTES, or bad, is skipped with a warning;
a file with no good line is an error. Without a time a line takes the file's modification time;
a turn without a session has the file as its session. Without an id a line is known by a hash
of its fields (plus how many times that hash came before), which stays stable when the file
grows by appending. A `mem export` file is refused: `mem import` loads those.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from memcli.models import RECORD_TYPES
from memcli.readers import Item, ReadError, bounds
from memcli.readers.chatgpt import epoch
from memcli.readers.claude import iso
from memcli.readers.detect import HEAD_BYTES, ReadContext, open_counted
from memcli.timeparse import to_db

SHOWN_LINE_ERRORS = 5  # per file; the rest are counted in one warning
EXPORT_FORMAT = "memcli-export"  # the header of `mem export` (services/transfer.py)


def first(obj: dict[str, Any], *keys: str) -> Any:
    return next((obj[k] for k in keys if obj.get(k) not in (None, "")), None)


def turn_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):  # OpenAI-style content parts
        return "\n".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in value
                         if not isinstance(p, dict) or isinstance(p.get("text", ""), str)).strip()
    return ""


def timestamp(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return epoch(value)
    return iso(value)


def is_turn(obj: Any) -> bool:
    return isinstance(obj, dict) and first(obj, "role", "speaker") is not None and (
        "content" in obj or "text" in obj)


def is_record(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("text"), str)


def is_export_header(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("format") == EXPORT_FORMAT


def is_line(obj: Any) -> bool:
    return is_turn(obj) or is_record(obj)


def json_lines(path: Path, context: ReadContext) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) for each non-blank line; a line too long, not UTF-8 or not
    JSON gives (number, ValueError) instead."""
    with open_counted(path, context) as fh:
        number = 0
        while True:
            raw, cut = bounds.read_line(fh)  # type: ignore[arg-type]
            number += 1
            if cut:
                yield number, ValueError(f"longer than {bounds.size_text(bounds.MAX_LINE_BYTES)} (the limit)")
                continue
            if not raw:
                return
            if not raw.strip():
                continue
            try:
                yield number, json.loads(raw.decode("utf-8"))
            except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
                yield number, ValueError(str(exc).splitlines()[0][:120] if str(exc) else "nested too deep")


def sniff_lines(head: bytes, accept: Any) -> bool:
    """Any of the first few complete lines being accepted will do: one bad line must not hide a log."""
    lines = head.splitlines()
    if len(head) >= HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # cut off mid-line
    for line in [line for line in lines if line.strip()][:5]:
        try:
            if accept(json.loads(line)):
                return True
        except (ValueError, RecursionError):
            continue
    return False


class LineErrors:
    """Bad lines: the first few named, the rest counted."""

    def __init__(self, path: Path, context: ReadContext) -> None:
        self.path, self.context, self.count = path, context, 0

    def add(self, number: int, reason: str) -> None:
        self.count += 1
        if self.count <= SHOWN_LINE_ERRORS:
            self.context.warn(f"{self.path}:{number}: skipped, {reason}")

    def finish(self) -> None:
        if self.count > SHOWN_LINE_ERRORS:
            self.context.warn(f"{self.path}: {self.count - SHOWN_LINE_ERRORS} more bad lines skipped")


class JsonlReader:
    name = "jsonl"
    global_ids = False

    def __init__(self, context: ReadContext | None = None) -> None:
        self.context = context or ReadContext()

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniff_lines(head, lambda obj: is_line(obj) or is_export_header(obj))  # read() refuses an export

    def read(self, path: Path) -> Iterator[Item]:
        mtime = to_db(datetime.fromtimestamp(os.stat(path).st_mtime, tz=timezone.utc))
        good = 0
        errors = LineErrors(path, self.context)
        seen: dict[str, int] = {}
        for number, obj in json_lines(path, self.context):
            if number == 1 and is_export_header(obj):
                raise ReadError("a mem export, not a chat log: load it with mem import (into an empty database)")
            if isinstance(obj, ValueError) or not is_line(obj):
                errors.add(number, str(obj) if isinstance(obj, ValueError) else "needs text, or role/speaker and content")
                continue
            item = self.item(obj, path, number, mtime, seen)
            if item is not None:
                good += 1
                yield item
        errors.finish()
        if good == 0:
            raise ReadError(f"no chat turns or records in {errors.count} line(s)" if errors.count else "no chat turns or records")

    def item(self, obj: dict[str, Any], path: Path, number: int, mtime: str, seen: dict[str, int]) -> Item | None:
        from memcli.readers.notes import meta_tags

        text = turn_text(first(obj, "content", "text"))
        if not text:
            return None
        speaker = first(obj, "role", "speaker")
        session = first(obj, "session", "session_id", "conversation_id")
        if session is None and speaker is not None:
            session = str(path)  # a chat log is one conversation unless it says otherwise
        when = timestamp(first(obj, "timestamp", "time", "created_at", "at", "observed_at"))
        type_ = str(obj["type"]) if obj.get("type") in RECORD_TYPES else "episodic"
        ref = first(obj, "id", "message_id", "source_ref")
        if ref is None:
            digest = hashlib.sha256(json.dumps([session, speaker, text, when, type_]).encode()).hexdigest()[:16]
            seen[digest] = seen.get(digest, 0) + 1
            ref = f"line:{digest}:{seen[digest]}"
        meta = obj.get("metadata")
        extra: dict[str, Any] = meta if isinstance(meta, dict) else {}
        try:
            tags = meta_tags({"tags": obj.get("tags")}) if obj.get("tags") else []
        except TypeError:
            tags = []
        return Item(text=text, observed_at=when or mtime, source_ref=str(ref),
                    session=None if session is None else str(session),
                    speaker=None if speaker is None else str(speaker), type=type_, tags=tags,
                    metadata={**extra, "line": number, "format": self.name})
