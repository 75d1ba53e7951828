"""Exact and near-duplicate facts and procedures, merged into the oldest with all sources kept.

Near duplicates are judged by cosine similarity of their embeddings (when vectors exist) at
NEAR_DUPLICATE_SIMILARITY, a threshold set on paraphrase fixtures: high enough that "prefers
aisle seats" and "prefers window seats" stay apart. Raw episodes are never merged.
"""

from __future__ import annotations

from typing import Any

from memcli.services.consolidate.ops import Op
from memcli.store.journal import Journal
from memcli.store import Store, derived, records, vectors
from memcli.store.records import Filters

NEAR_DUPLICATE_SIMILARITY = 0.95


def plan(store: Store, embedder: Any = None) -> list[Op]:
    ops: list[Op] = []
    merged: set[int] = set()
    for group in derived.exact_duplicate_groups(store):
        keep, *rest = group
        for dup in rest:
            ops.append(Op("merge", target=keep.id, sources=[dup.id], type=keep.type, extra={"why": "same text"}))
            merged.add(dup.id)
    if embedder is not None and vectors.model(store) is not None:
        ops += _near_duplicates(store, merged)
    return ops


def _near_duplicates(store: Store, merged: set[int]) -> list[Op]:
    ops: list[Op] = []
    candidates = [r for r in derived.current_derived(store) if r.id not in merged]
    stored = vectors.get_many(store, [r.id for r in candidates])
    for record in candidates:
        if record.id in merged or record.id not in stored:
            continue
        near = vectors.knn(store, stored[record.id], 6, Filters(types=[record.type]))
        for other_id, distance in near:
            similarity = 1.0 - distance
            if other_id < record.id and other_id not in merged and similarity >= NEAR_DUPLICATE_SIMILARITY:
                ops.append(Op("merge", target=other_id, sources=[record.id], type=record.type,
                              extra={"why": f"similarity {similarity:.3f}"}))
                merged.add(record.id)
                break
    return ops


def apply(journal: Journal, ops: list[Op], now: str) -> None:
    store = journal.store
    for op in ops:
        dup_id = op.sources[0]
        if op.target is None:
            continue
        keep = records.get(store, op.target)
        dup = records.get(store, dup_id)
        if keep is None or dup is None or dup.superseded_by:
            continue
        journal.add_provenance(keep.id, records.derived_from(store, dup.id) or [dup.id])
        tags = list(dict.fromkeys(keep.tags + dup.tags))
        if tags != keep.tags:
            import json

            journal.update_record(keep.id, tags=json.dumps(tags, ensure_ascii=False))
        journal.update_record(dup.id, valid_to=now, superseded_by=keep.id)
