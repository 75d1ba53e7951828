"""What `mem stats` reports."""

from __future__ import annotations

from typing import Any

from memcli.store import Store, events, info, llm_calls, records, vectors


def collect(store: Store) -> dict[str, Any]:
    return {
        "records": records.count(store),
        "by_type": records.counts_by(store, "type"),
        "by_source": records.counts_by(store, "source"),
        "events": events.count(store),
        "db": info.file_info(store),
        "llm": llm_calls.totals(store),
        "vectors": _vectors(store),
    }


def _vectors(store: Store) -> dict[str, Any]:
    made_with = vectors.model(store)
    return {
        "model": made_with[0] if made_with else None,
        "dim": made_with[1] if made_with else None,
        "count": vectors.count(store),
        "pending": vectors.pending_count(store) if made_with else None,
    }


def collect_with_history(store: Store) -> dict[str, Any]:
    """`collect`, with memories by month and the last consolidation run (the TUI's stats screen)."""
    from memcli.store import edits, runs

    data = collect(store)
    data["by_month"] = edits.counts_by_month(store)
    data["last_run"] = next(iter(runs.recent(store, 1)), None)
    return data
