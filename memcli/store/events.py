"""The append-only log of mutations."""

from __future__ import annotations

import json
from typing import Any

from memcli.store.db import Store
from memcli.timeparse import now_local, to_db


def log(store: Store, actor: str, action: str, record_id: int | None = None, run_id: str | None = None,
        **detail: Any) -> None:
    store.execute(
        "INSERT INTO events (at, actor, action, record_id, run_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (to_db(now_local()), actor, action, record_id, run_id, json.dumps(detail, ensure_ascii=False, sort_keys=True)),
    )


def for_record(store: Store, record_id: int) -> list[dict[str, Any]]:
    rows = store.execute(
        "SELECT at, actor, action, run_id, detail FROM events WHERE record_id = ? ORDER BY id", (record_id,)
    )
    return [{**dict(row), "detail": json.loads(row["detail"])} for row in rows]


def count(store: Store) -> int:
    return store.execute("SELECT count(*) FROM events").fetchone()[0]


def for_run(store: Store, run_id: str) -> list[dict[str, Any]]:
    rows = store.execute("SELECT record_id, at, actor, action, detail FROM events WHERE run_id = ? ORDER BY id", (run_id,))
    return [{**dict(row), "detail": json.loads(row["detail"])} for row in rows]
