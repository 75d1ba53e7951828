"""Small writes on one record (tags, pin) and the read queries the TUI's browser needs.

The counting queries live here rather than in records.py only because this module is the one
the TUI work owns; they are plain reads and may move to records.py.
"""

from __future__ import annotations

import json
from typing import Sequence

from memcli.models import Record
from memcli.store.db import Store
from memcli.store.records import Filters


def set_tags(store: Store, record_id: int, tags: Sequence[str]) -> None:
    # Tags are not in the FTS index (its update trigger fires on text only), so no reindex.
    store.execute("UPDATE records SET tags = ? WHERE id = ?", (json.dumps(list(tags), ensure_ascii=False), record_id))


def set_pinned(store: Store, record_id: int, pinned: bool) -> None:
    store.execute("UPDATE records SET pinned = ? WHERE id = ?", (int(pinned), record_id))


def count_matching(store: Store, filters: Filters) -> int:
    where, params = filters.sql()
    return store.execute(f"SELECT count(*) FROM records WHERE {where}", params).fetchone()[0]


def counts_by_month(store: Store, filters: Filters | None = None) -> list[tuple[str, int]]:
    """(YYYY-MM, count) oldest first, by when things happened (stored times are UTC)."""
    where, params = (filters or Filters(view="all")).sql()
    rows = store.execute(
        f"SELECT substr(observed_at, 1, 7) AS month, count(*) FROM records WHERE {where} GROUP BY month ORDER BY month",
        params,
    )
    return [(row[0], row[1]) for row in rows]


def page(store: Store, filters: Filters, limit: int, after: tuple[str, int] | None = None) -> list[Record]:
    """Newest first, `limit` records older than `after` (observed_at, id): keyset paging.

    OFFSET paging on 100k records took ~0.6 s per page deep in the list, because the planner picks
    the unselective state index and sorts every row; walking the date index is ~1 ms per page.
    """
    where, params = filters.sql()
    if after is not None:
        where += " AND (observed_at, id) < (?, ?)"
        params = [*params, *after]
    rows = store.execute(
        f"SELECT * FROM records INDEXED BY records_observed WHERE {where} "
        "ORDER BY observed_at DESC, id DESC LIMIT ?",
        [*params, limit],
    )
    return [Record.from_row(row) for row in rows]
