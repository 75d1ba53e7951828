"""The search service: what `mem search`, `mem ask` and the TUI call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from memcli.errors import MemError
from memcli.models import Record
from memcli.retrieve import fts
from memcli.store import Store, records
from memcli.store.records import Filters


@dataclass
class Hit:
    record: Record
    score: float
    signals: dict[str, Any] = field(default_factory=dict)
    turn_ids: list[int] = field(default_factory=list)  # a derived hit's source turns, for eval

    def to_json(self) -> dict[str, Any]:
        return self.record.to_json(score=round(self.score, 6), signals=self.signals)


def search(store: Store, query: str, *, k: int = 10, filters: Filters | None = None,
           now: datetime | None = None) -> list[Hit]:
    """The best `k` memories for `query`. `now` anchors relative time phrases in the query
    ("last summer"); it defaults to the current time (`mem ask --as-of` passes its own)."""
    if k < 1:
        raise MemError(f"-k must be at least 1 (got {k})", "ask for one or more results")
    terms = fts.query_terms(query)
    if not terms:
        raise MemError(f"nothing to search for in {query!r}", "use words, not only punctuation")
    filters = filters or Filters()
    ranked = fts.search(store, terms, filters, k)
    found = records.get_many(store, [record_id for record_id, _ in ranked])
    return [
        Hit(found[record_id], score, {"fts": {"rank": rank, "score": round(score, 4)}})
        for rank, (record_id, score) in enumerate(ranked, 1)
        if record_id in found
    ]
