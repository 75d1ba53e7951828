"""Keeping the ranking index in step with the records.

Each record gets one row in `search_fts`: its text, its session neighbours' text (one and two
turns away) and its date in words; each session one row in `session_fts`. New records are
indexed in id order up to a high-water mark (`search.last_id`), by the next search or at the end
of an ingest; indexing never runs on `mem add`. A new turn also rewrites the rows of the turns
around it, since their context changed.
"""

from __future__ import annotations

from typing import Any, Iterable

from memcli.store import Store, meta, visibility
from memcli.timeparse import from_db

MARK = "search.last_id"
BATCH = 2000
RING = 2  # neighbours on each side that count as context


def date_words(observed_at: str) -> str:
    day = from_db(observed_at).astimezone()
    return f"{day.day} {day:%B %Y}"


def in_session(row: Any) -> bool:
    """Raw episodes of a session take part in its context; derived records stand alone."""
    return bool(row["session"]) and row["type"] == "episodic" and row["source"] != "consolidate"


def _write_doc(store: Store, record_id: int, text: str, ctx1: str, ctx2: str, date: str) -> None:
    store.execute("DELETE FROM search_fts WHERE rowid = ?", (record_id,))
    store.execute("INSERT INTO search_fts (rowid, text, ctx1, ctx2, date) VALUES (?, ?, ?, ?, ?)",
                  (record_id, text, ctx1, ctx2, date))


def _members(store: Store, session: str) -> list[Any]:
    """The turns whose text is context for each other: live ones only (a released turn's words
    must not make its neighbours match)."""
    return store.execute(
        "SELECT id, text, observed_at FROM records WHERE session = ? AND type = 'episodic' "
        f"AND source != 'consolidate' AND {visibility.live()} ORDER BY observed_at, id", (session,)
    ).fetchall()


def refresh_sessions(store: Store, sessions: Iterable[str], touched: set[int] | None = None) -> None:
    """Rewrite context rows of `touched` records and their neighbours (all members when None),
    and each session's own row."""
    for session in sessions:
        members = _members(store, session)
        positions: list[int] = list(range(len(members)))
        if touched is not None:
            near = {p + o for p, m in enumerate(members) if m["id"] in touched for o in range(-RING, RING + 1)}
            positions = sorted(p for p in near if 0 <= p < len(members))
        for p in positions:
            ring1 = [members[q]["text"] for q in (p - 1, p + 1) if 0 <= q < len(members)]
            ring2 = [members[q]["text"] for q in (p - 2, p + 2) if 0 <= q < len(members)]
            row = members[p]
            _write_doc(store, row["id"], row["text"], " ".join(ring1), " ".join(ring2), date_words(row["observed_at"]))
        store.execute("INSERT OR IGNORE INTO sessions (name) VALUES (?)", (session,))
        key = store.execute("SELECT id FROM sessions WHERE name = ?", (session,)).fetchone()[0]
        store.execute("DELETE FROM session_fts WHERE rowid = ?", (key,))
        if members:
            store.execute("INSERT INTO session_fts (rowid, body) VALUES (?, ?)",
                          (key, " ".join(m["text"] for m in members)))


def drop_rows(store: Store, ids: Iterable[int]) -> None:
    ids = list(ids)
    if ids:
        store.execute(f"DELETE FROM search_fts WHERE rowid IN ({','.join('?' * len(ids))})", ids)


def pending_count(store: Store) -> int:
    return store.execute("SELECT count(*) FROM records WHERE id > ?", (int(meta.get(store, MARK) or 0),)).fetchone()[0]


def sync(store: Store) -> int:
    """Index every record above the high-water mark. Returns how many were indexed."""
    done = 0
    while True:
        mark = int(meta.get(store, MARK) or 0)
        rows = store.execute(
            "SELECT id, type, text, session, source, observed_at FROM records WHERE id > ? ORDER BY id LIMIT ?",
            (mark, BATCH),
        ).fetchall()
        if not rows:
            return done
        with store.transaction():
            if int(meta.get(store, MARK) or 0) != mark:
                continue  # another process indexed these meanwhile
            sessions: set[str] = set()
            for row in rows:
                if in_session(row):
                    sessions.add(row["session"])
                else:
                    _write_doc(store, row["id"], row["text"], "", "", date_words(row["observed_at"]))
            refresh_sessions(store, sessions, touched={row["id"] for row in rows})
            meta.put(store, MARK, str(rows[-1]["id"]))
        done += len(rows)


def rebuild(store: Store) -> int:
    """Drop and rebuild the whole ranking index (after a purge or an upgrade)."""
    with store.transaction():
        store.execute("DELETE FROM search_fts")
        store.execute("DELETE FROM session_fts")
        meta.put(store, MARK, "0")
    return sync(store)


def neighbours(store: Store, ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    """For each record, its session neighbours up to RING turns away as (offset, id).
    Records outside a session have none. Two queries, whatever the number of records."""
    found: dict[int, list[tuple[int, int]]] = {i: [] for i in ids}
    if not ids:
        return found
    member = "+type = 'episodic' AND source != 'consolidate'"  # + : look up by id or session, never scan by type
    sessions = [row[0] for row in store.execute(
        f"SELECT DISTINCT session FROM records WHERE id IN ({','.join('?' * len(ids))}) "
        f"AND session IS NOT NULL AND {member}", ids)]
    if not sessions:
        return found
    order: dict[str, list[int]] = {}
    for row in store.execute(
        f"SELECT id, session FROM records WHERE session IN ({','.join('?' * len(sessions))}) AND {member} "
        "ORDER BY session, observed_at, id", sessions,
    ):
        order.setdefault(row[1], []).append(row[0])
    for members in order.values():
        for position, record_id in enumerate(members):
            if record_id in found:
                found[record_id] = [(offset, members[position + offset]) for offset in range(-RING, RING + 1)
                                    if offset and 0 <= position + offset < len(members)]
    return found
