"""Tending a memory in place where that is not rewriting it: its tags and its pin.

Text changes never come through here: an edit is a new version (`forget.plan(..., "supersede")`).
Each change is one transaction with its event, so `mem show` can tell who changed what.
"""

from __future__ import annotations

from typing import Sequence

from memcli.errors import MemError
from memcli.models import Record
from memcli.services.remember import clean_tags
from memcli.store import Store, edits, events, records


def _get(store: Store, record_id: int) -> Record:
    from memcli.services.remember import check_id

    record = records.get(store, check_id(record_id))
    if record is None:
        raise MemError(f"no memory with id {record_id}", "find ids with mem list or mem search")
    return record


def set_tags(store: Store, record_id: int, tags: Sequence[str], actor: str = "cli") -> Record:
    """Replace the record's tags (cleaned: no '#', no duplicates). Returns the updated record."""
    cleaned = clean_tags(tags)
    with store.transaction():
        record = _get(store, record_id)
        if cleaned != record.tags:
            edits.set_tags(store, record_id, cleaned)
            events.log(store, actor, "tag", record_id, before=record.tags, after=cleaned)
            record.tags = cleaned
    return record


def add_tags(store: Store, record_id: int, tags: Sequence[str], actor: str = "cli") -> Record:
    with store.transaction():  # read and write under one lock: set_tags joins this transaction
        current = _get(store, record_id).tags
        return set_tags(store, record_id, current + [t for t in clean_tags(tags) if t not in current], actor)


def remove_tags(store: Store, record_id: int, tags: Sequence[str], actor: str = "cli") -> Record:
    gone = set(clean_tags(tags))
    with store.transaction():
        return set_tags(store, record_id, [t for t in _get(store, record_id).tags if t not in gone], actor)


def set_pinned(store: Store, record_id: int, pinned: bool, actor: str = "cli") -> Record:
    """Pinned memories are kept out of decay. A no-op (and no event) when already so."""
    with store.transaction():
        record = _get(store, record_id)
        if record.pinned != pinned:
            edits.set_pinned(store, record_id, pinned)
            events.log(store, actor, "pin" if pinned else "unpin", record_id)
            record.pinned = pinned
    return record
