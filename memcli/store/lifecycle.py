"""Queries that change a record's life: release, restore, supersede, purge, and history.

Purge is the only operation that deletes: the row, its FTS entry (then an FTS `optimize`, so
no old segment keeps its tokens), its vector and sign bits (zeroed first: see vectors.remove)
and its provenance links. The caller turns `secure_delete` on and checkpoints.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Sequence

from memcli.models import Record
from memcli.store import vectors
from memcli.store.db import Store
from memcli.store.records import Filters


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def phrase_matches(store: Store, phrase: str, filters: Filters) -> list[Record]:
    """Records containing `phrase` as whole words (case-insensitive): "Ann" never hits "Anna".

    FTS narrows the candidates (its stemmer may over-match), then a word-boundary regex on the
    text decides."""
    words = re.findall(r"\w+", phrase)
    if not words:
        return []
    fts_query = '"' + " ".join(w.replace('"', '""') for w in words) + '"'
    # A hyphen joins a name ("Ann-Marie" is not "Ann"); an apostrophe does not ("Ann's" is).
    pattern = re.compile(r"(?<![\w-])" + r"\W+".join(re.escape(w) for w in words) + r"(?![\w-])", re.IGNORECASE)
    where, params = filters.sql("r")
    rows = store.execute(
        f"SELECT r.* FROM records_fts JOIN records r ON r.id = records_fts.rowid "
        f"WHERE records_fts MATCH ? AND {where} ORDER BY r.id",
        [fts_query, *params],
    )
    return [Record.from_row(row) for row in rows if pattern.search(row["text"])]


def by_source(store: Store, source: str, filters: Filters) -> list[Record]:
    """Records from a file, or from any file under a directory."""
    where, params = filters.sql("r")
    rows = store.execute(
        f"SELECT r.* FROM records r WHERE (r.source = ? OR r.source LIKE ? ESCAPE '\\') AND {where} ORDER BY r.id",
        [source, source.rstrip("/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%", *params],
    )
    return [Record.from_row(row) for row in rows]


def by_filters(store: Store, filters: Filters) -> list[Record]:
    where, params = filters.sql("r")
    return [Record.from_row(row) for row in store.execute(f"SELECT r.* FROM records r WHERE {where} ORDER BY r.id", params)]


def set_state(store: Store, ids: Sequence[int], state: str) -> None:
    store.execute(f"UPDATE records SET state = ? WHERE id IN ({_marks(ids)})", [state, *ids])


def end_validity(store: Store, record_id: int, at: str, superseded_by: int | None) -> None:
    store.execute("UPDATE records SET valid_to = ?, superseded_by = ? WHERE id = ?", (at, superseded_by, record_id))


def sources_of(store: Store, derived_ids: Iterable[int]) -> dict[int, set[int]]:
    ids = list(derived_ids)
    found: dict[int, set[int]] = {i: set() for i in ids}
    if ids:
        for row in store.execute(f"SELECT derived_id, source_id FROM provenance WHERE derived_id IN ({_marks(ids)})", ids):
            found[row[0]].add(row[1])
    return found


def derived_from_any(store: Store, source_ids: Iterable[int]) -> set[int]:
    ids = list(source_ids)
    if not ids:
        return set()
    rows = store.execute(f"SELECT DISTINCT derived_id FROM provenance WHERE source_id IN ({_marks(ids)})", ids)
    return {row[0] for row in rows}


def older_versions(store: Store, ids: Iterable[int]) -> set[int]:
    """Every record that `ids` superseded, directly or through other versions."""
    ids = list(ids)
    if not ids:
        return set()
    rows = store.execute(
        f"""
        WITH RECURSIVE older(id) AS (
            SELECT id FROM records WHERE superseded_by IN ({_marks(ids)})
            UNION SELECT r.id FROM records r JOIN older o ON r.superseded_by = o.id
        ) SELECT id FROM older
        """,
        ids,
    )
    return {row[0] for row in rows} - set(ids)


def reopen_replaced_by(store: Store, ids: Sequence[int]) -> list[int]:
    """Records superseded by one of `ids` (and not among them) become current again."""
    if not ids:
        return []
    marks = _marks(ids)
    rows = store.execute(f"SELECT id FROM records WHERE superseded_by IN ({marks}) AND id NOT IN ({marks})",
                         [*ids, *ids]).fetchall()
    reopened = [row[0] for row in rows]
    if reopened:
        store.execute(f"UPDATE records SET valid_to = NULL, superseded_by = NULL WHERE id IN ({_marks(reopened)})",
                      reopened)
    return reopened


def requeue(store: Store, source_ids: Sequence[int]) -> None:
    """Let consolidation derive from these records again (what it derived was purged)."""
    if source_ids:
        store.execute(f"DELETE FROM consolidated WHERE record_id IN ({_marks(source_ids)})", list(source_ids))


def scrub_journal(store: Store, ids: Sequence[int]) -> None:
    """A consolidation run's before-images and keys of purged records go: undoing that run can
    never bring purged text back (it restores everything else)."""
    if not ids:
        return
    for start in range(0, len(ids), 400):
        chunk = [str(i) for i in ids[start:start + 400]]
        marks = _marks(chunk)
        store.execute(
            f"DELETE FROM run_journal WHERE "
            f"(table_name = 'records' AND json_extract(row_key, '$.id') IN ({marks})) OR "
            f"(table_name = 'provenance' AND (json_extract(row_key, '$.derived_id') IN ({marks}) "
            f"  OR json_extract(row_key, '$.source_id') IN ({marks}))) OR "
            f"(table_name = 'consolidated' AND json_extract(row_key, '$.record_id') IN ({marks}))",
            [*map(int, chunk), *map(int, chunk), *map(int, chunk), *map(int, chunk)],
        )


def purge(store: Store, ids: Sequence[int]) -> None:
    """Delete records for good. Must run inside a transaction with secure_delete on."""
    if not ids:
        return
    marks = _marks(ids)
    vectors.remove(store, ids, zero=True)
    store.execute(
        f"INSERT OR IGNORE INTO tombstones (source, source_ref, purged_at) SELECT source, source_ref, "
        f"strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM records WHERE id IN ({marks}) AND source_ref IS NOT NULL",
        list(ids),
    )
    store.execute(f"DELETE FROM provenance WHERE derived_id IN ({marks}) OR source_id IN ({marks})", [*ids, *ids])
    store.execute(f"UPDATE records SET superseded_by = NULL WHERE superseded_by IN ({marks})", list(ids))
    store.execute(f"DELETE FROM search_fts WHERE rowid IN ({marks})", list(ids))
    store.execute(f"DELETE FROM records WHERE id IN ({marks})", list(ids))


def optimize_indexes(store: Store) -> None:
    """Merge FTS segments so that no old segment still holds a deleted record's tokens."""
    for table in ("records_fts", "search_fts", "session_fts"):
        store.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")


def is_tombstoned(store: Store, source: str, source_ref: str) -> bool:
    row = store.execute("SELECT 1 FROM tombstones WHERE source = ? AND source_ref = ?", (source, source_ref)).fetchone()
    return row is not None


def scrub_events(store: Store, record_id: int, digest: str) -> None:
    """Events about a purged record keep its id and hash, never its text."""
    store.execute("UPDATE events SET detail = ? WHERE record_id = ?", (json.dumps({"hash": digest}), record_id))


def predecessors(store: Store, record_id: int) -> list[Record]:
    rows = store.execute("SELECT * FROM records WHERE superseded_by = ? ORDER BY valid_to, id", (record_id,))
    return [Record.from_row(row) for row in rows]


def run_ids(store: Store, record_id: int) -> list[str]:
    rows = store.execute(
        "SELECT run_id FROM provenance WHERE derived_id = ? AND run_id IS NOT NULL "
        "UNION SELECT run_id FROM events WHERE record_id = ? AND run_id IS NOT NULL",
        (record_id, record_id),
    )
    return sorted({row[0] for row in rows})


def secure_delete(store: Store) -> None:
    """From now on, freed pages are overwritten with zeros instead of left readable."""
    store.execute("PRAGMA secure_delete = ON")


def checkpoint(store: Store) -> None:
    """Fold the WAL into the db and truncate it, so purged pages leave the -wal file."""
    store.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def vacuum(store: Store) -> None:
    store.execute("VACUUM")
    checkpoint(store)
