"""`mem history`: the versions of a memory, where each came from and what changed it."""

from __future__ import annotations

from typing import Any

from memcli.errors import MemError
from memcli.models import Record
from memcli.store import Store, lifecycle, records


def chain(store: Store, record_id: int) -> list[Record]:
    """Every version linked to `record_id` through superseded_by, oldest first."""
    from memcli.services.remember import check_id

    start = records.get(store, check_id(record_id))
    if start is None:
        raise MemError(f"no memory with id {record_id}", "purged memories have no history")
    seen: dict[int, Record] = {start.id: start}
    backward = [start]
    while backward:
        for older in lifecycle.predecessors(store, backward.pop().id):
            if older.id not in seen:
                seen[older.id] = older
                backward.append(older)
    newest = start
    while newest.superseded_by and newest.superseded_by not in seen:
        newer = records.get(store, newest.superseded_by)
        if newer is None:
            break
        seen[newer.id] = newer
        newest = newer
    return sorted(seen.values(), key=lambda r: (r.valid_from or r.observed_at, r.id))


def history(store: Store, record_id: int) -> list[dict[str, Any]]:
    return [
        version.to_json(
            derived_from=records.derived_from(store, version.id),
            runs=lifecycle.run_ids(store, version.id),
            current=version.is_current,
        )
        for version in chain(store, record_id)
    ]
