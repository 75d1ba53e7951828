"""Writes that a consolidation run can take back exactly.

Every row a run inserts or changes is noted in `run_journal` (a before-image, or NULL for an
insert) inside the same transaction as the change, so `undo` restores the prior state byte for
byte even after a crash mid-run (a batch either committed with its journal or not at all).
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from memcli.models import Record
from memcli.store import events, records, vectors
from memcli.store.db import Store

KEYS = {"records": ("id",), "provenance": ("derived_id", "source_id"), "consolidated": ("record_id", "stage")}


class Journal:
    def __init__(self, store: Store, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        row = store.execute("SELECT coalesce(max(seq), 0) FROM run_journal WHERE run_id = ?", (run_id,)).fetchone()
        self.seq = row[0]

    def _note(self, table: str, key: dict[str, Any], before: dict[str, Any] | None) -> None:
        self.seq += 1
        self.store.execute(
            "INSERT INTO run_journal (run_id, seq, table_name, row_key, before) VALUES (?, ?, ?, ?, ?)",
            (self.run_id, self.seq, table, json.dumps(key, sort_keys=True),
             None if before is None else json.dumps(before, sort_keys=True)),
        )

    def insert_record(self, record: Record) -> int:
        record_id = records.insert(self.store, record)
        self._note("records", {"id": record_id}, None)
        events.log(self.store, "consolidate", "add", record_id, self.run_id, type=record.type)
        return record_id

    def update_record(self, record_id: int, **changes: Any) -> None:
        row = self.store.execute("SELECT * FROM records WHERE id = ?", (record_id,)).fetchone()
        self._note("records", {"id": record_id}, dict(row))
        sets = ", ".join(f"{column} = ?" for column in changes)
        self.store.execute(f"UPDATE records SET {sets} WHERE id = ?", [*changes.values(), record_id])
        events.log(self.store, "consolidate", "update", record_id, self.run_id, columns=sorted(changes))

    def add_provenance(self, derived_id: int, source_ids: Iterable[int]) -> None:
        for source_id in source_ids:
            cursor = self.store.execute(
                "INSERT OR IGNORE INTO provenance (derived_id, source_id, run_id) VALUES (?, ?, ?)",
                (derived_id, source_id, self.run_id),
            )
            if cursor.rowcount:
                self._note("provenance", {"derived_id": derived_id, "source_id": source_id}, None)

    def mark_consolidated(self, record_ids: Iterable[int], stage: str) -> None:
        for record_id in record_ids:
            cursor = self.store.execute(
                "INSERT OR IGNORE INTO consolidated (record_id, stage, run_id) VALUES (?, ?, ?)",
                (record_id, stage, self.run_id),
            )
            if cursor.rowcount:
                self._note("consolidated", {"record_id": record_id, "stage": stage}, None)


def undo(store: Store, run_id: str) -> int:
    """Reverse a run's journal, newest change first. Call inside a transaction."""
    entries = store.execute(
        "SELECT table_name, row_key, before FROM run_journal WHERE run_id = ? ORDER BY seq DESC", (run_id,)
    ).fetchall()
    for table, raw_key, raw_before in entries:
        key = json.loads(raw_key)
        where = " AND ".join(f"{column} = ?" for column in KEYS[table])
        values = [key[column] for column in KEYS[table]]
        if raw_before is None:
            if table == "records":
                _forget_vector(store, key["id"])
            store.execute(f"DELETE FROM {table} WHERE {where}", values)
        else:
            before = json.loads(raw_before)
            columns = [c for c in before if c not in KEYS[table]]
            store.execute(
                f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)} WHERE {where}",
                [before[c] for c in columns] + values,
            )
    store.execute("DELETE FROM run_journal WHERE run_id = ?", (run_id,))
    return len(entries)


def _forget_vector(store: Store, record_id: int) -> None:
    vectors.remove(store, [record_id])
