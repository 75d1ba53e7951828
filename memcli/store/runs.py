"""Consolidation runs and the episodes each stage has seen."""

from __future__ import annotations

import json
from typing import Any, Sequence

from memcli.store import visibility
from memcli.store.db import Store


def start(store: Store, run_id: str, started_at: str, model: str | None) -> None:
    store.execute("INSERT INTO consolidation_runs (id, started_at, status, model) VALUES (?, ?, 'running', ?)",
                  (run_id, started_at, model))


def finish(store: Store, run_id: str, finished_at: str, status: str, counts: dict[str, int],
           prompt_tokens: int = 0, completion_tokens: int = 0, cost_usd: float | None = None,
           error: str | None = None) -> None:
    store.execute(
        "UPDATE consolidation_runs SET finished_at = ?, status = ?, counts = ?, prompt_tokens = ?, "
        "completion_tokens = ?, cost_usd = ?, error = ? WHERE id = ?",
        (finished_at, status, json.dumps(counts, sort_keys=True), prompt_tokens, completion_tokens, cost_usd, error,
         run_id),
    )


def mark_abandoned(store: Store, finished_at: str) -> int:
    """Every run still `running` becomes `abandoned`. Call only while holding the consolidation
    lock: then no live process is running any of them."""
    cursor = store.execute(
        "UPDATE consolidation_runs SET status = 'abandoned', finished_at = ?, "
        "error = 'the process running it stopped before finishing (killed?); mem consolidate --undo RUN_ID "
        "takes back what it applied' WHERE status = 'running'", (finished_at,))
    return cursor.rowcount


def get(store: Store, run_id: str) -> dict[str, Any] | None:
    row = store.execute("SELECT * FROM consolidation_runs WHERE id = ?", (run_id,)).fetchone()
    return _as_dict(row) if row else None


def later_than(store: Store, run_id: str) -> list[str]:
    """Runs started after `run_id` that still stand (not undone)."""
    rows = store.execute(
        "SELECT id FROM consolidation_runs WHERE rowid > (SELECT rowid FROM consolidation_runs WHERE id = ?) "
        "AND status != 'undone' ORDER BY rowid",
        (run_id,),
    )
    return [row[0] for row in rows]


def recent(store: Store, limit: int = 10) -> list[dict[str, Any]]:
    rows = store.execute("SELECT * FROM consolidation_runs ORDER BY rowid DESC LIMIT ?", (limit,))
    return [_as_dict(row) for row in rows]


def _as_dict(row: Any) -> dict[str, Any]:
    data = dict(row)
    data["counts"] = json.loads(data["counts"] or "{}")
    return data


def set_status(store: Store, run_id: str, status: str) -> None:
    store.execute("UPDATE consolidation_runs SET status = ? WHERE id = ?", (status, run_id))


def unconsolidated(store: Store, stage: str, *, skip_sources: Sequence[str] = ()) -> list[Any]:
    """Live raw episodes (not consolidation's own digests) not yet seen by `stage`, oldest first;
    `skip_sources` leaves out records of those sources (shell history, say)."""
    skip = ["consolidate", *skip_sources]
    return store.execute(
        f"SELECT r.* FROM records r WHERE {visibility.live('r')} AND r.type = 'episodic' "
        f"AND r.source NOT IN ({','.join('?' * len(skip))}) AND NOT EXISTS "
        f"(SELECT 1 FROM consolidated c WHERE c.record_id = r.id AND c.stage = ?) ORDER BY r.observed_at, r.id",
        (*skip, stage),
    ).fetchall()
