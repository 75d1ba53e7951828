"""The `llm_calls` table: one row per request sent to a model, for `mem stats` and audits."""

from __future__ import annotations

from typing import Any

from memcli.store.db import Store
from memcli.timeparse import now_local, to_db


def record(store: Store, *, purpose: str, model: str, prompt_tokens: int = 0, completion_tokens: int = 0,
           cost_usd: float | None = None, duration_ms: float | None = None, ok: bool = True,
           error: str | None = None, run_id: str | None = None) -> int:
    with store.transaction():
        cursor = store.execute(
            "INSERT INTO llm_calls (at, purpose, model, prompt_tokens, completion_tokens, cost_usd, duration_ms,"
            " ok, error, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (to_db(now_local()), purpose, model, int(prompt_tokens), int(completion_tokens), cost_usd,
             duration_ms, int(ok), error, run_id),
        )
    return cursor.lastrowid


def totals(store: Store) -> dict[str, Any]:
    row = store.execute(
        "SELECT count(*), coalesce(sum(1 - ok), 0), coalesce(sum(prompt_tokens), 0),"
        " coalesce(sum(completion_tokens), 0), sum(cost_usd) FROM llm_calls"
    ).fetchone()
    return {"calls": row[0], "failed": row[1], "prompt_tokens": row[2], "completion_tokens": row[3],
            "cost_usd": round(row[4], 6) if row[4] is not None else None}


def for_run(store: Store, run_id: str) -> list[dict[str, Any]]:
    rows = store.execute("SELECT * FROM llm_calls WHERE run_id = ? ORDER BY id", (run_id,))
    return [dict(row) for row in rows]
