"""Strength and decay, after MemoryBank's use of the Ebbinghaus curve.

retention = exp(-days since last use / (strength × HALF_LIFE_DAYS)). A memory starts at
strength 1; each retrieval or citation adds 1 and restarts its clock (store.derived.touch).
Derived, unpinned facts and procedures whose retention falls below ARCHIVE_BELOW are archived:
hidden from default search, restorable with `mem restore`. Episodes are never archived.
"""

from __future__ import annotations

import math

from memcli.models import Record
from memcli.services.consolidate.ops import Op
from memcli.store.journal import Journal
from memcli.store import Store, derived
from memcli.timeparse import from_db

HALF_LIFE_DAYS = 30.0
ARCHIVE_BELOW = 0.02  # ~4 months unused at strength 1; ~10 months at strength 3


def retention(record: Record, now: str) -> float:
    since = record.last_used_at or record.created_at or record.observed_at
    days = max(0.0, (from_db(now) - from_db(since)).total_seconds() / 86400)
    return math.exp(-days / (max(record.strength, 0.1) * HALF_LIFE_DAYS))


def plan(store: Store, now: str) -> list[Op]:
    ops = []
    for record in derived.decay_candidates(store):
        kept = retention(record, now)
        if kept < ARCHIVE_BELOW:
            ops.append(Op("archive", target=record.id, type=record.type, text=record.text,
                          extra={"retention": round(kept, 4)}))
    return ops


def apply(journal: Journal, ops: list[Op], now: str) -> None:
    for op in ops:
        if op.target is not None:  # an archive op always names its record
            journal.update_record(op.target, state="archived")
