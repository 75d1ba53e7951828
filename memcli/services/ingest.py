"""Bringing items from readers into the store: batched, idempotent, resumable.

Each batch is one transaction. An item with a `source_ref` already stored from the same
source is skipped, so an interrupted ingest resumes without duplicates when run again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from memcli.models import Record, content_hash
from memcli.readers import Item
from memcli.store import Store, events, records
from memcli.timeparse import now_local, to_db

BATCH = 500


@dataclass
class IngestReport:
    added: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)


def to_record(item: Item, source: str, now: str, extra_tags: Iterable[str] = ()) -> Record:
    tags = list(dict.fromkeys([*item.tags, *extra_tags]))
    return Record(
        type=item.type, text=item.text.strip(), observed_at=item.observed_at or now, created_at=now,
        source=source, source_ref=item.source_ref, session=item.session, speaker=item.speaker,
        tags=tags, metadata=item.metadata, content_hash=content_hash(item.text),
        valid_from=None if item.type == "episodic" else (item.observed_at or now),
    )


def ingest_items(store: Store, items: Iterable[Item], source: str, *, tags: Iterable[str] = (),
                 actor: str = "ingest", on_batch: Callable[[int], None] | None = None,
                 batch_size: int = BATCH) -> IngestReport:
    report = IngestReport()
    tags = list(tags)
    batch: list[Item] = []

    def flush() -> None:
        if not batch:
            return
        now = to_db(now_local())
        first = len(report.record_ids)
        with store.transaction():
            for item in batch:
                if not item.text.strip():
                    report.skipped += 1
                    continue
                if item.source_ref and records.find_by_source_ref(store, source, item.source_ref):
                    report.skipped += 1
                    continue
                record = to_record(item, source, now, tags)
                report.record_ids.append(records.insert(store, record))
                report.added += 1
            added = report.record_ids[first:]
            if added:  # one event per batch, naming the ids it added
                events.log(store, actor, "ingest", None, source=source, count=len(added),
                           first_id=added[0], last_id=added[-1])
        if on_batch:
            on_batch(len(batch))
        batch.clear()

    for item in items:
        batch.append(item)
        if len(batch) >= batch_size:
            flush()
    flush()
    return report
