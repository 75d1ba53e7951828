"""Whole tables, row by row, for `mem export` and `mem import` (the SQL of services/transfer.py).

Every table is either copied (`TABLES`, in the order an import inserts them) or rebuilt from the
records after an import (`DERIVED`); tests/test_transfer.py fails when a migration adds a table
that is in neither list.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from memcli.store.db import Store

# table -> ORDER BY, so that two exports of the same data are the same bytes.
TABLES: dict[str, str] = {
    "meta": "key",
    "records": "id",
    "provenance": "derived_id, source_id",
    "events": "id",
    "consolidation_runs": "rowid",  # text ids; runs.later_than relies on rowid (insertion) order
    "run_journal": "run_id, seq",
    "consolidated": "record_id, stage",
    "llm_calls": "id",
    "tombstones": "source, source_ref",
}
# Rebuilt (ranking index, records_fts by its triggers) or carried separately (vectors).
DERIVED = {"records_fts", "search_fts", "session_fts", "sessions", "record_signs", "record_embeddings",
           "_sqlite_migrations"}
# Tables that only hold rows about records: a filtered export keeps the rows of exported records.
PER_RECORD = {"provenance": ("derived_id", "source_id"), "events": ("record_id",), "consolidated": ("record_id",)}


@contextmanager
def snapshot(store: Store) -> Iterator[None]:
    """One read transaction: every table is read as of the same moment, writers are not blocked."""
    store.execute("BEGIN")
    try:
        yield
    finally:
        store.execute("COMMIT")


def table_names(store: Store) -> list[str]:
    """Ordinary tables of the schema, without FTS/vec0 shadow tables."""
    rows = store.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    virtual = {row[0] for row in rows.fetchall() if (row[1] or "").upper().startswith("CREATE VIRTUAL TABLE")}
    names = [row[0] for row in store.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return [name for name in names if not any(name.startswith(f"{v}_") for v in virtual)]


def present(store: Store, table: str) -> bool:
    return store.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is not None


def columns(store: Store, table: str) -> list[str]:
    return [row[1] for row in store.execute(f"PRAGMA table_info({table})")]


def rows(store: Store, table: str, selection: tuple[str, list[Any]] | None = None) -> Iterator[dict[str, Any]]:
    """All rows of `table` in a stable order (a cursor: nothing is held in memory). `selection` is the
    records of a filtered export, as (WHERE on records, params)."""
    where, params = "1", []
    if selection is not None:
        chosen = f"(SELECT id FROM records WHERE {selection[0]})"
        if table == "records":
            # A pointer to a record left out would dangle: it is dropped from the export.
            where, params = selection[0], list(selection[1])
            sql = (f"SELECT *, superseded_by IN {chosen} AS _kept FROM records WHERE {where} ORDER BY id")
            for row in store.execute(sql, [*params, *selection[1]]):
                data = dict(row)
                if not data.pop("_kept"):
                    data["superseded_by"] = None
                yield data
            return
        where = " AND ".join(f"{column} IN {chosen}" for column in PER_RECORD[table])
        params = list(selection[1]) * len(PER_RECORD[table])
    for row in store.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY {TABLES[table]}", params):
        yield dict(row)


def vector_rows(store: Store, selection: tuple[str, list[Any]] | None = None) -> Iterator[tuple[int, bytes]]:
    where, params = ("1", []) if selection is None else (
        f"id IN (SELECT id FROM records WHERE {selection[0]})", list(selection[1]))
    for row in store.execute(f"SELECT id, embedding FROM record_embeddings WHERE {where} ORDER BY id", params):
        yield row[0], bytes(row[1])


def is_empty(store: Store) -> bool:
    """No data yet (meta may hold index marks): the only kind of store an import goes into."""
    return not any(store.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
                   for table in TABLES if table != "meta" and present(store, table))


def defer_foreign_keys(store: Store) -> None:
    """Within the current transaction, check references at COMMIT: a record may point at a later one."""
    store.execute("PRAGMA defer_foreign_keys = ON")


def insert(store: Store, table: str, names: Sequence[str], values: Sequence[Any]) -> None:
    if table == "meta":  # an empty store may already hold index marks
        row = dict(zip(names, values))
        store.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                      (row.get("key"), row.get("value")))
        return
    store.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", list(values))


def insert_vector(store: Store, record_id: int, embedding: bytes) -> None:
    row = store.execute("SELECT type, observed_at FROM records WHERE id = ?", (record_id,)).fetchone()
    if row is None:
        raise LookupError(record_id)
    from memcli.store import vectors  # no numpy: sign bits are computed by sqlite-vec

    vectors.insert(store, record_id, embedding, row[0], row[1])


def for_reading(store: Store, where: str, params: Sequence[Any]) -> Iterator[Any]:
    """Active records matching `where` (on alias r), oldest first, for the Markdown export."""
    yield from store.execute(f"SELECT r.* FROM records r WHERE r.state = 'active' AND {where} "
                             "ORDER BY r.observed_at, r.id", list(params))


def broken_references(store: Store) -> str:
    """Foreign keys that point nowhere, summarised ('' when all hold)."""
    found: dict[str, int] = {}
    for row in store.execute("PRAGMA foreign_key_check"):
        found[f"{row[0]} -> {row[2]}"] = found.get(f"{row[0]} -> {row[2]}", 0) + 1
    return ", ".join(f"{link}: {count} rows" for link, count in sorted(found.items()))
