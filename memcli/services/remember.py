"""Storing a memory: validation, de-duplication and the event, in one transaction.

No model is ever called here: writes must never wait on an LLM.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from memcli import plugins
from memcli.errors import MemError
from memcli.models import RECORD_TYPES, Record, content_hash
from memcli.store import Store
from memcli.store import events, records
from memcli.timeparse import now_local, to_db


@dataclass
class Remembered:
    record: Record
    created: bool


MAX_ID = 2**63 - 1


def check_id(record_id: int) -> int:
    """Ids are SQLite integers: anything outside 1..2^63-1 names no memory (and would overflow)."""
    if not 1 <= record_id <= MAX_ID:
        raise MemError(f"no memory with id {record_id}", "ids are the positive numbers mem add and mem list print")
    return record_id


def check_text(text: str, what: str = "the text") -> str:
    """Text that SQLite and every file can hold: valid Unicode (a lone surrogate, as Python makes
    of an undecodable byte in an argument, is not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MemError(f"{what} is not valid Unicode (an undecodable byte at position {exc.start})",
                       "pass UTF-8 text, e.g. convert it with iconv -t utf-8") from None
    if "\x00" in text:  # SQLite's text functions stop at a NUL: it would cut the memory short
        raise MemError(f"{what} holds a NUL character (binary data?)", "pass text, not a binary file")
    return text


def check_type(type_: str) -> str:
    if type_ not in RECORD_TYPES:
        raise MemError(f"unknown type {type_!r}", f"use one of: {', '.join(RECORD_TYPES)}")
    return type_


def clean_tags(tags: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        tag = check_text(tag, "a tag").strip().lstrip("#")
        if not tag:
            raise MemError("empty tag", "give --tag a non-empty name")
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def build_record(text: str, type_: str = "episodic", *, observed_at: str | None = None, source: str = "cli",
                 tags: Sequence[str] = (), metadata: dict[str, Any] | None = None, **fields: Any) -> Record:
    text = check_text(text).strip()
    if not text:
        raise MemError("nothing to remember: the text is empty", "give the memory as arguments or on stdin")
    now = to_db(now_local())
    record = Record(
        type=check_type(type_), text=text, observed_at=observed_at or now, created_at=now, source=source,
        tags=clean_tags(tags), metadata=dict(metadata or {}), content_hash=content_hash(text),
        valid_from=observed_at or now if type_ != "episodic" else None, **fields,
    )
    return plugins.process_record(record)  # e.g. extra redaction; free when no plugin is installed


def remember(store: Store, record: Record, actor: str = "cli") -> Remembered:
    """Store `record` unless it is already there. A fact or a how-to is the same memory when its
    text is; an event is the same event only at the same moment ("went to the gym" on three days
    is three memories). Only current memories count: a released or superseded one added again
    comes back as a new current memory."""
    with store.transaction():
        at = record.observed_at if record.type == "episodic" else None
        existing = records.find_same(store, record.type, record.content_hash, at)
        if existing is not None:
            return Remembered(existing, created=False)
        records.insert(store, record)
        events.log(store, actor, "add", record.id, type=record.type, source=record.source)
    return Remembered(record, created=True)
