"""The lexical channels: BM25 over records with their session context, and over sessions.

User text never reaches FTS syntax: every term is quoted, so AND/OR/NOT/NEAR, `*`, `:` and
`"` are plain words.
"""

from __future__ import annotations


from memcli.store import Store
from memcli.text import words
from memcli.store.records import Filters

# BM25 weights of search_fts's columns: the record's own text, its neighbours one and two
# turns away, and its date in words. Chosen on LoCoMo dev conversations (decaying context
# weights beat flat ones; a third ring added nothing).
COLUMN_WEIGHTS = (1.0, 0.5, 0.25, 0.3)
LEXICAL_DEPTH = 500
# A match in the record or in a turn next to it is evidence. Its date in words counts only when the
# query names a time ("in May 2023"): then records of that date match it (on LoCoMo dev this is
# worth +0.010 R@10); otherwise "may" or "march" as plain words would match every date.
TEXT_COLUMNS = "{text ctx1 ctx2}"
COMMON_DOCS = 5000
COMMON_SHARE = 0.05


def query_terms(text: str) -> list[str]:
    """The words of a query, deduplicated, in order. Punctuation and FTS syntax vanish."""
    return list(dict.fromkeys(words(text)))


def match_expression(terms: list[str], columns: str | None = None) -> str:
    expression = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
    return f"{columns} : ({expression})" if columns else expression


def discriminating(store: Store, terms: list[str]) -> list[str]:
    """Drop terms found in so many records that they only cost time (BM25 gives them little
    weight anyway): more than COMMON_DOCS matches and more than COMMON_SHARE of all records.
    Counting stops at the cap, so this is cheap; at least one term is always kept."""
    if len(terms) < 2:
        return terms
    total = store.execute("SELECT max(id) FROM records").fetchone()[0] or 0
    cap = max(COMMON_DOCS, int(total * COMMON_SHARE))
    kept = []
    for term in terms:
        hits = store.execute(
            "SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH ? LIMIT ?)",
            (match_expression([term]), cap + 1),
        ).fetchone()[0]
        if hits <= cap:
            kept.append(term)
    return kept or terms


def lexical(store: Store, terms: list[str], filters: Filters, limit: int = LEXICAL_DEPTH, *,
            dates: bool = False) -> list[tuple[int, float]]:
    """(record id, BM25 score, higher is better) over text + context + date, best first.

    BM25 first, filters after, on a deeper cut; only when the filters leave too few does the
    slower filtered scan over every match run."""
    if not terms:
        return []
    where, params = filters.sql("r")
    weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
    expression = match_expression(terms, None if dates else TEXT_COLUMNS)
    deep = limit * 4
    rows = store.execute(
        f"""
        SELECT r.id, -f.score FROM (
            SELECT rowid, bm25(search_fts, {weights}) AS score FROM search_fts
            WHERE search_fts MATCH ? ORDER BY score LIMIT ?
        ) f JOIN records r ON r.id = f.rowid
        WHERE {where} ORDER BY f.score LIMIT ?
        """,
        [expression, deep, *params, limit],
    ).fetchall()
    if len(rows) < limit:
        complete = store.execute(
            "SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH ? LIMIT ?)", [expression, deep + 1]
        ).fetchone()[0] <= deep
        if not complete:
            rows = store.execute(
                f"""
                SELECT r.id, -bm25(search_fts, {weights}) AS score
                FROM search_fts JOIN records r ON r.id = search_fts.rowid
                WHERE search_fts MATCH ? AND {where}
                ORDER BY bm25(search_fts, {weights}) LIMIT ?
                """,
                [expression, *params, limit],
            ).fetchall()
    return [(row[0], row[1]) for row in rows]


def session_scores(store: Store, terms: list[str], limit: int = 2000) -> dict[str, float]:
    """Session name -> BM25 score of all its text."""
    if not terms:
        return {}
    rows = store.execute(
        "SELECT s.name, -bm25(session_fts) FROM session_fts JOIN sessions s ON s.id = session_fts.rowid "
        "WHERE session_fts MATCH ? ORDER BY bm25(session_fts) LIMIT ?",
        [match_expression(terms), limit],
    )
    return {row[0]: row[1] for row in rows}


def speakers(store: Store) -> list[str]:
    """Distinct speakers, walking the speaker index one value at a time (cheap at any size)."""
    rows = store.execute(
        """
        WITH RECURSIVE s(name) AS (
            SELECT min(speaker) FROM records WHERE speaker IS NOT NULL
            UNION ALL
            SELECT (SELECT min(speaker) FROM records WHERE speaker > s.name) FROM s WHERE s.name IS NOT NULL
        ) SELECT name FROM s WHERE name IS NOT NULL
        """
    )
    return [row[0] for row in rows]
