"""The FTS5 channel: user text becomes a safe MATCH expression, ranked by BM25."""

from __future__ import annotations

import re

from memcli.store import Store
from memcli.store.records import Filters

WORD = re.compile(r"\w+", re.UNICODE)


def query_terms(text: str) -> list[str]:
    """The words of a query, deduplicated, in order. Punctuation and FTS syntax vanish."""
    seen: list[str] = []
    for word in WORD.findall(text.lower()):
        if word not in seen:
            seen.append(word)
    return seen


def match_expression(terms: list[str]) -> str:
    # Every term is quoted, so AND/OR/NOT/NEAR, `*`, `:` and `"` in user text are plain words.
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def search(store: Store, terms: list[str], filters: Filters, limit: int) -> list[tuple[int, float]]:
    """(record id, bm25 score; higher is better) for the best `limit` matches."""
    if not terms:
        return []
    where, params = filters.sql("r")
    rows = store.execute(
        f"""
        SELECT r.id, -bm25(records_fts) AS score
        FROM records_fts JOIN records r ON r.id = records_fts.rowid
        WHERE records_fts MATCH ? AND {where}
        ORDER BY bm25(records_fts) LIMIT ?
        """,
        [match_expression(terms), *params, limit],
    )
    return [(row[0], row[1]) for row in rows]
