"""What `mem stats` reports."""

from __future__ import annotations

from typing import Any

from memcli.store import Store, events, info, llm_calls, records


def collect(store: Store) -> dict[str, Any]:
    return {
        "records": records.count(store),
        "by_type": records.counts_by(store, "type"),
        "by_source": records.counts_by(store, "source"),
        "events": events.count(store),
        "db": info.file_info(store),
        "llm": llm_calls.totals(store),
    }
