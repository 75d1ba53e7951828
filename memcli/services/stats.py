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
        "backlog": backlog(store),
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


def backlog(store: Store) -> dict[str, Any] | None:
    """Memories the vector channel does not cover yet, with the embedding rate measured here and
    the time left at that rate (None when unknown). None when no embedder is configured."""
    from memcli.embed.registry import configured_name

    if configured_name() == "none":
        return None
    waiting = vectors.pending_count(store) if vectors.model(store) else records.count(store)
    rate = vectors.rate(store)
    return {"records": waiting, "rate_per_s": rate, "eta_s": round(waiting / rate) if rate and waiting else
            (0 if not waiting else None)}


def describe_backlog(backlog: dict[str, Any] | None) -> str | None:
    """One line for people: "1,200 waiting, about 6 min at 3.4/s"; None when there is nothing to say."""
    if backlog is None or not backlog["records"]:
        return None
    text = f"{backlog['records']:,} memories waiting to be embedded"
    if backlog["eta_s"] is None:
        return text + " (no embedding rate measured here yet)"
    minutes = backlog["eta_s"] / 60
    left = f"{backlog['eta_s']} s" if minutes < 1 else f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h"
    return f"{text}, about {left} at {backlog['rate_per_s']:.1f}/s"
