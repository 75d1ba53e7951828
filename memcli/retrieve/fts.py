"""The lexical channels: BM25 over records with their session context, and over sessions.

User text never reaches FTS syntax: every term is quoted, so AND/OR/NOT/NEAR, `*`, `:` and
`"` are plain words.
"""

from __future__ import annotations

from dataclasses import dataclass

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
# Bounds that keep a search's work the same at any size. BM25 costs ~2 µs per match scored (FTS5
# scores every match before it can sort), counting ~0.04 µs: a query scores at most SCORED
# matches per slice, a term's share is counted among the newest SAMPLE records, and a filtered
# search that needs more looks through the newest SCAN matches.
SCORED = 4_000
SAMPLE = 100_000
SCAN = 100_000


def query_terms(text: str) -> list[str]:
    """The words of a query, deduplicated, in order. Punctuation and FTS syntax vanish."""
    return list(dict.fromkeys(words(text)))


def match_expression(terms: list[str], columns: str | None = None, join: str = "OR") -> str:
    expression = f" {join} ".join('"' + term.replace('"', '""') + '"' for term in terms)
    return f"{columns} : ({expression})" if columns else expression


@dataclass
class Terms:
    """The words a query searches for. `ranked` False: every one is in so many records (more
    than COMMON_SHARE) that BM25 would cost a pass over each word's whole posting list; such a
    query takes its matches newest first instead of by score, once there are more than SCORED."""
    words: list[str]
    ranked: bool = True


def _count(store: Store, table: str, expression: str, cap: int, above: int = 0) -> int:
    """Matches of `expression` with rowid > `above`, counted up to `cap` (so never more work)."""
    return store.execute(
        f"SELECT count(*) FROM (SELECT rowid FROM {table} WHERE {table} MATCH ? AND rowid > ? LIMIT ?)",
        (expression, above, cap),
    ).fetchone()[0]


def discriminating(store: Store, terms: list[str]) -> Terms:
    """Drop terms found in so many records that they only cost time (BM25 gives them little
    weight anyway): more than COMMON_DOCS matches and more than COMMON_SHARE of all records.
    Each term's share is counted among the newest SAMPLE records, up to the cap, so this costs
    the same at any size (and is exact below SAMPLE records). At least one term is always kept;
    when every term is that common, the query is not `ranked`."""
    if not terms:
        return Terms([])
    total = store.execute("SELECT max(id) FROM records").fetchone()[0] or 0
    window = min(total, SAMPLE)
    cap = max(int(COMMON_DOCS * window / total) if total else 0, int(window * COMMON_SHARE))
    kept = [term for term in terms
            if _count(store, "search_fts", match_expression([term]), cap + 1, total - window) <= cap]
    if len(terms) == 1:
        return Terms(terms, ranked=bool(kept))
    return Terms(kept) if kept else Terms(terms, ranked=False)


def _nth_newest(store: Store, table: str, expression: str, n: int, below: int | None = None) -> int:
    """The rowid of the n-th newest match (the oldest of the newest n), 0 when there are fewer."""
    bound = "AND rowid < ?" if below is not None else ""
    row = store.execute(
        f"SELECT rowid FROM {table} WHERE {table} MATCH ? {bound} ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        [expression, *([below] if below is not None else []), n - 1],
    ).fetchone()
    return row[0] if row else 0


def lexical(store: Store, terms: Terms | list[str], filters: Filters, limit: int = LEXICAL_DEPTH, *,
            dates: bool = False) -> list[tuple[int, float]]:
    """(record id, BM25 score, higher is better) over text + context + date, best first.

    BM25 first, filters after, on a deeper cut. The work is bounded whatever the size of the
    store: at most SCORED matches are scored in each of two slices, the newest matches of any
    term and, older than those, the newest that hold every term (same words, so the same
    scores); a query whose every word is common takes its matches newest first. Filters that
    leave too few rows look again among the newest SCAN matches only."""
    if isinstance(terms, list):
        terms = Terms(terms)
    if not terms.words:
        return []
    where, params = filters.sql("r")
    columns = None if dates else TEXT_COLUMNS
    expression = match_expression(terms.words, columns)
    everything = match_expression(terms.words, columns, join="AND")
    deep = limit * 4
    small = _count(store, "search_fts", expression, SCORED + 1) <= SCORED
    if not terms.ranked and not small:
        return _newest(store, terms.words, filters, limit)
    slices: list[tuple[str, int, int | None]] = [
        (expression, _nth_newest(store, "search_fts", expression, SCORED) if not small else 0, None)]
    if slices[0][1] and len(terms.words) > 1:
        older = slices[0][1]
        slices.append((everything, _nth_newest(store, "search_fts", everything, SCORED, below=older), older))
    weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
    parts, values = [], []
    for match, start, stop in slices:
        parts.append(f"SELECT * FROM (SELECT rowid, bm25(search_fts, {weights}) AS score FROM search_fts "
                     f"WHERE search_fts MATCH ? AND rowid >= ? {'AND rowid < ?' if stop else ''} "
                     "ORDER BY score LIMIT ?)")
        values += [match, start, *([stop] if stop else []), deep]
    rows = store.execute(
        f"SELECT r.id, -f.score FROM ({' UNION ALL '.join(parts)}) f CROSS JOIN records r ON r.id = f.rowid "
        f"WHERE {where} ORDER BY f.score LIMIT ?",
        [*values, *params, limit],
    ).fetchall()
    if len(rows) < limit:
        complete = small and _count(store, "search_fts", expression, deep + 1) <= deep  # all were scored
        if not complete:
            start = _nth_newest(store, "search_fts", expression, SCAN)
            rows = [*rows, *store.execute(
                f"""
                SELECT r.id, -bm25(search_fts, {weights}) AS score
                FROM search_fts CROSS JOIN records r ON r.id = search_fts.rowid
                WHERE search_fts MATCH ? AND search_fts.rowid >= ? AND {where}
                ORDER BY bm25(search_fts, {weights}) LIMIT ?
                """,
                [expression, start, *params, limit],
            ).fetchall()]
            best = {row[0]: row[1] for row in rows}  # the slices' hits and the look-again's, once each
            return sorted(best.items(), key=lambda pair: -pair[1])[:limit]
    return [(row[0], row[1]) for row in rows]


def _newest(store: Store, words: list[str], filters: Filters, limit: int) -> list[tuple[int, float]]:
    """Matches newest first, without BM25, in tiers that stand in for its order: every word in
    the record's own text, every word in it or next to it, any word in its text, any word next
    to it. Each tier looks through the newest SAMPLE records (every word is in more than
    COMMON_SHARE of them, so the last tiers fill up there), or with narrowing filters through the
    newest SCAN matches."""
    where, params = filters.sql("r")
    tiers = [("AND", "{text}", 1.0), ("AND", TEXT_COLUMNS, 0.75), ("OR", "{text}", 0.5), ("OR", TEXT_COLUMNS, 0.25)]
    newest = (store.execute("SELECT max(id) FROM records").fetchone()[0] or 0) - SAMPLE
    found: dict[int, float] = {}
    for join, columns, score in tiers[:2] if len(words) == 1 else tiers:
        match = match_expression(words, columns, join=join)
        start = _nth_newest(store, "search_fts", match, SCAN) if filters.narrowed() else newest
        for row in store.execute(
            f"SELECT r.id FROM search_fts CROSS JOIN records r ON r.id = search_fts.rowid "
            f"WHERE search_fts MATCH ? AND search_fts.rowid >= ? AND {where} ORDER BY search_fts.rowid DESC LIMIT ?",
            [match, start, *params, limit],
        ):
            found.setdefault(row[0], score)
        if len(found) >= limit:
            break
    return list(found.items())[:limit]


def session_scores(store: Store, terms: Terms | list[str], limit: int = 2000) -> dict[str, float]:
    """Session name -> BM25 score of all its text; at most SCORED sessions are scored (the
    newest that match), and none when every word of the query is common."""
    if isinstance(terms, list):
        terms = Terms(terms)
    if not terms.words or not terms.ranked:
        return {}
    expression = match_expression(terms.words)
    start = 0 if _count(store, "session_fts", expression, SCORED + 1) <= SCORED else \
        _nth_newest(store, "session_fts", expression, SCORED)
    rows = store.execute(
        "SELECT s.name, f.score FROM (SELECT rowid, -bm25(session_fts) AS score FROM session_fts "
        "WHERE session_fts MATCH ? AND rowid >= ? ORDER BY bm25(session_fts) LIMIT ?) f "
        "JOIN sessions s ON s.id = f.rowid",
        [expression, start, limit],
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
