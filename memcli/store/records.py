"""Queries on records. All SQL about records lives here."""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from memcli.models import Record
from memcli.store import visibility
from memcli.store.db import Store

COLUMNS = (
    "type", "text", "observed_at", "created_at", "source", "source_ref", "session", "speaker",
    "tags", "metadata", "content_hash", "pinned", "valid_from", "valid_to", "superseded_by", "state",
)


def _values(record: Record) -> tuple[Any, ...]:
    row = {name: getattr(record, name) for name in COLUMNS}
    row["tags"] = json.dumps(record.tags, ensure_ascii=False)
    row["metadata"] = json.dumps(record.metadata, ensure_ascii=False, sort_keys=True)
    row["pinned"] = int(record.pinned)
    return tuple(row[name] for name in COLUMNS)


_INSERT = f"INSERT INTO records ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


def insert(store: Store, record: Record) -> int:
    cursor = store.execute(_INSERT, _values(record))
    record.id = cursor.lastrowid
    return record.id


def insert_many(store: Store, records: Sequence[Record]) -> list[int]:
    return [insert(store, record) for record in records]


def ids_given(store: Store) -> int:
    """The largest id ever given to a record (AUTOINCREMENT's mark), purged ones included."""
    row = store.execute("SELECT seq FROM sqlite_sequence WHERE name = 'records'").fetchone()
    return max(row[0] if row else 0, store.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()[0])


def never_give_ids_up_to(store: Store, mark: int) -> None:
    """After an import: ids up to `mark`, and every id the events name, are never given again."""
    named = store.execute("SELECT coalesce(max(record_id), 0) FROM events").fetchone()[0]
    mark = max(mark, named, ids_given(store))
    store.execute("DELETE FROM sqlite_sequence WHERE name = 'records'")
    store.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('records', ?)", (mark,))


def get(store: Store, record_id: int) -> Record | None:
    row = store.execute("SELECT * FROM records WHERE id = ?", (record_id,)).fetchone()
    return Record.from_row(row) if row else None


def get_many(store: Store, ids: Iterable[int]) -> dict[int, Record]:
    ids = list(ids)
    found: dict[int, Record] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for row in store.execute(f"SELECT * FROM records WHERE id IN ({marks})", chunk):
            found[row["id"]] = Record.from_row(row)
    return found


def find_same(store: Store, type_: str, digest: str, observed_at: str | None = None) -> Record | None:
    """The oldest current record of this type with this text (and, when given, observed at this
    moment). A released or ended one does not count: adding it again makes it current again."""
    sql = f"SELECT * FROM records WHERE content_hash = ? AND type = ? AND {visibility.current()}"
    params: list[Any] = [digest, type_]
    if observed_at is not None:
        sql += " AND observed_at = ?"
        params.append(observed_at)
    row = store.execute(sql + " ORDER BY id LIMIT 1", params).fetchone()
    return Record.from_row(row) if row else None


def find_by_source_ref(store: Store, source: str, source_ref: str) -> Record | None:
    row = store.execute(
        "SELECT * FROM records WHERE source = ? AND source_ref = ? ORDER BY id DESC LIMIT 1", (source, source_ref)
    ).fetchone()
    return Record.from_row(row) if row else None


class Filters:
    """Filters shared by list and both search channels, rendered as one SQL condition.

    `view` says which versions and states count (store.visibility): "current" by default,
    "history" for live memories in any version (ask), "all" for everything (--all, purge).
    `as_of`: what was known and valid at that moment, superseded since or not."""

    def __init__(self, types: Sequence[str] = (), since: str | None = None, until: str | None = None,
                 tags: Sequence[str] = (), sources: Sequence[str] = (), view: visibility.View = "current",
                 as_of: str | None = None) -> None:
        if view not in visibility.VIEWS:
            raise ValueError(f"unknown view {view!r}")
        self.types = list(types)
        self.since = since
        self.until = until
        self.tags = list(tags)
        self.sources = list(sources)
        self.view: visibility.View = view
        self.as_of = as_of

    def within(self, since: str, until: str) -> "Filters":
        """These filters, further limited to [since, until)."""
        return Filters(self.types, max(since, self.since or since), min(until, self.until or until), self.tags,
                       self.sources, self.view, self.as_of)

    def narrowed(self) -> bool:
        """True when a filter other than the view limits the records."""
        return bool(self.types or self.since or self.until or self.tags or self.sources or self.as_of)

    def sql(self, alias: str = "records") -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.types:
            clauses.append(f"{alias}.type IN ({','.join('?' * len(self.types))})")
            params += self.types
        if self.since:
            clauses.append(f"{alias}.observed_at >= ?")
            params.append(self.since)
        if self.until:
            clauses.append(f"{alias}.observed_at < ?")
            params.append(self.until)
        for tag in self.tags:
            clauses.append(f"EXISTS (SELECT 1 FROM json_each({alias}.tags) WHERE json_each.value = ?)")
            params.append(tag)
        if self.sources:
            clauses.append(f"{alias}.source IN ({','.join('?' * len(self.sources))})")
            params += self.sources
        shown, shown_params = visibility.view_sql(alias, self.view, self.as_of)
        if shown != "1":
            clauses.append(shown)
            params += shown_params
        return (" AND ".join(clauses) or "1"), params


def list_recent(store: Store, filters: Filters, limit: int, offset: int = 0) -> list[Record]:
    where, params = filters.sql()
    rows = store.execute(
        f"SELECT * FROM records WHERE {where} ORDER BY observed_at DESC, id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [Record.from_row(row) for row in rows]


def any_exist(store: Store) -> bool:
    return store.execute("SELECT 1 FROM records LIMIT 1").fetchone() is not None


def count(store: Store) -> int:
    return store.execute("SELECT count(*) FROM records").fetchone()[0]


def counts_by(store: Store, column: str) -> dict[str, int]:
    if column not in ("type", "source"):
        raise ValueError(column)
    rows = store.execute(f"SELECT {column}, count(*) FROM records GROUP BY {column} ORDER BY count(*) DESC")
    return {row[0]: row[1] for row in rows}


def derived_from(store: Store, record_id: int) -> list[int]:
    rows = store.execute("SELECT source_id FROM provenance WHERE derived_id = ? ORDER BY source_id", (record_id,))
    return [row[0] for row in rows]


def derived_into(store: Store, record_id: int) -> list[int]:
    rows = store.execute("SELECT derived_id FROM provenance WHERE source_id = ? ORDER BY derived_id", (record_id,))
    return [row[0] for row in rows]


def add_provenance(store: Store, derived_id: int, source_ids: Iterable[int], run_id: str | None = None) -> None:
    store.conn.executemany(
        "INSERT OR IGNORE INTO provenance (derived_id, source_id, run_id) VALUES (?, ?, ?)",
        [(derived_id, source_id, run_id) for source_id in source_ids],
    )


# --- ingest (mem ingest / mem watch): a file's current records, superseding, deleted files ---

def heads_for_source(store: Store, source: str) -> list[Record]:
    """The newest version of each record from `source`, in any state: a released chunk of a note
    must not come back as new when the note is ingested again."""
    rows = store.execute(
        f"SELECT * FROM records WHERE source = ? AND {visibility.head()} ORDER BY id",
        (source,),
    )
    return [Record.from_row(row) for row in rows]


def current_sources_under(store: Store, prefix: str) -> dict[str, int]:
    """Sources (file paths) that start with `prefix` and still have unended records, with counts."""
    # A range on the indexed column instead of LIKE, which would treat % and _ in paths as wildcards.
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\U0010ffff"
    rows = store.execute(
        "SELECT source, count(*) FROM records WHERE source >= ? AND source < ? "
        f"AND {visibility.head()} GROUP BY source ORDER BY source",
        (prefix, upper),
    )
    return {row[0]: row[1] for row in rows}


def find_by_session_ref(store: Store, session: str, source_ref: str) -> Record | None:
    """A turn already stored from any file, known by its conversation and message id."""
    row = store.execute(
        "SELECT * FROM records WHERE session = ? AND source_ref = ? ORDER BY id DESC LIMIT 1", (session, source_ref)
    ).fetchone()
    return Record.from_row(row) if row else None
