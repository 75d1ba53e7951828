"""Generic chat logs as JSON Lines: one turn per line,
`{"role"|"speaker": ..., "content"|"text": ..., "timestamp"?: ISO or epoch, "session"?: ..., "id"?: ...}`.

Read line by line. A bad line is skipped with a warning; a file with no good line is an error.
Without a timestamp a turn takes the file's modification time; without a session, the file is
the session. Without an id, a turn is known by a hash of its fields (plus how many times that
hash came before), which stays stable when a log grows by appending.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from memcli.readers import Item, ReadError
from memcli.readers.chatgpt import epoch
from memcli.readers.claude import iso
from memcli.readers.detect import HEAD_BYTES, ReadContext, open_counted
from memcli.timeparse import to_db

SHOWN_LINE_ERRORS = 5  # per file; the rest are counted in one warning


def first(obj: dict[str, Any], *keys: str) -> Any:
    return next((obj[k] for k in keys if obj.get(k) not in (None, "")), None)


def turn_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):  # OpenAI-style content parts
        return "\n".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in value).strip()
    return ""


def timestamp(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return epoch(value)
    return iso(value)


def is_turn(obj: Any) -> bool:
    return isinstance(obj, dict) and first(obj, "role", "speaker") is not None and (
        "content" in obj or "text" in obj)


class JsonlReader:
    name = "jsonl"
    global_ids = False

    def __init__(self, context: ReadContext | None = None) -> None:
        self.context = context or ReadContext()

    def sniff(self, path: Path, head: bytes) -> bool:
        # Any of the first few complete lines being a turn will do: one bad line must not hide a log.
        lines = head.splitlines()
        if len(head) >= HEAD_BYTES and len(lines) > 1:
            lines = lines[:-1]  # cut off mid-line
        for line in [line for line in lines if line.strip()][:5]:
            try:
                if is_turn(json.loads(line)):
                    return True
            except ValueError:
                continue
        return False

    def read(self, path: Path) -> Iterator[Item]:
        mtime = to_db(datetime.fromtimestamp(os.stat(path).st_mtime, tz=timezone.utc))
        good = bad = 0
        seen: dict[str, int] = {}
        with open_counted(path, self.context) as fh:
            for number, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw.decode("utf-8"))
                    if not is_turn(obj):
                        raise ValueError("needs role or speaker, and content or text")
                except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
                    bad += 1
                    if bad <= SHOWN_LINE_ERRORS:
                        self.context.warn(f"{path}:{number}: skipped, {str(exc).splitlines()[0][:120]}")
                    continue
                text = turn_text(first(obj, "content", "text"))
                if not text:
                    continue
                good += 1
                speaker = str(first(obj, "role", "speaker"))
                session = str(first(obj, "session", "session_id", "conversation_id") or path)
                when = timestamp(first(obj, "timestamp", "time", "created_at"))
                ref = first(obj, "id", "message_id")
                if ref is None:
                    digest = hashlib.sha256(json.dumps([session, speaker, text, when]).encode()).hexdigest()[:16]
                    seen[digest] = seen.get(digest, 0) + 1
                    ref = f"line:{digest}:{seen[digest]}"
                yield Item(text=text, observed_at=when or mtime, source_ref=str(ref), session=session,
                           speaker=speaker, metadata={"line": number, "format": self.name})
        if bad > SHOWN_LINE_ERRORS:
            self.context.warn(f"{path}: {bad - SHOWN_LINE_ERRORS} more bad lines skipped")
        if good == 0:
            raise ReadError(f"no chat turns in {bad} line(s)" if bad else "no chat turns")
