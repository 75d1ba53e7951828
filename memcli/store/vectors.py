"""The vector channel's storage: one sqlite-vec `vec0` table, made for one embedder.

The table is created when the first vectors are written, with that embedder's dimension; the
embedder's name is kept in `meta` so that vectors of two models are never mixed. Records are
embedded in id order and `embed.last_id` marks how far: what is above it is pending.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:  # imported where vectors are touched: lexical-only search never pays for numpy
    import numpy as np

from memcli.errors import MemError
from memcli.store import meta
from memcli.store.db import Store
from memcli.store.records import Filters

TABLE = "record_vectors"
MAX_K = 4096  # sqlite-vec's limit on k


def model(store: Store) -> tuple[str, int] | None:
    name = meta.get(store, "embed.model")
    return (name, int(meta.get(store, "embed.dim") or 0)) if name else None


def check_compatible(store: Store, name: str, dim: int) -> None:
    current = model(store)
    if current is None:
        return
    if current[0] != name:
        raise MemError(f"this database's vectors were made with {current[0]}, but the embedder is {name}",
                       "run mem reindex to re-embed, or set embed.model back")
    if current[1] != dim:
        raise MemError(f"vector dimension mismatch: database has {current[1]}, {name} gives {dim}",
                       "run mem reindex")


def ensure_table(store: Store, name: str, dim: int) -> None:
    if store.vec_version is None:
        raise MemError(f"sqlite-vec is not available ({store.vec_error})", "search falls back to full text")
    check_compatible(store, name, dim)
    if model(store) is None:
        store.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING vec0("
            f"embedding float[{int(dim)}] distance_metric=cosine, type text, observed_at text)"
        )
        meta.put(store, "embed.model", name)
        meta.put(store, "embed.dim", str(dim))
        meta.put(store, "embed.last_id", "0")


def drop(store: Store) -> None:
    store.execute(f"DROP TABLE IF EXISTS {TABLE}")
    for key in ("embed.model", "embed.dim", "embed.last_id"):
        meta.delete(store, key)


def last_id(store: Store) -> int:
    return int(meta.get(store, "embed.last_id") or 0)


def pending_count(store: Store) -> int:
    return store.execute("SELECT count(*) FROM records WHERE id > ?", (last_id(store),)).fetchone()[0]


def pending(store: Store, limit: int) -> list[Any]:
    return store.execute(
        "SELECT * FROM records WHERE id > ? ORDER BY id LIMIT ?", (last_id(store), limit)
    ).fetchall()


RATE = "embed.rate"  # texts per second measured here, smoothed: the backlog's ETA


def write(store: Store, rows: Sequence[Any], vectors: "np.ndarray", seconds: float | None = None) -> None:
    """Store vectors for `rows` (records in id order) and move the high-water mark past them.
    `seconds`: how long the embedder took, kept as the embedding rate for the backlog's ETA."""
    import numpy as np

    if not len(rows):
        return
    with store.transaction():
        mark = last_id(store)  # re-read under the write lock: another process may have done these
        fresh = [(row, vec) for row, vec in zip(rows, vectors) if row["id"] > mark]
        store.conn.executemany(
            f"INSERT INTO {TABLE} (rowid, embedding, type, observed_at) VALUES (?, ?, ?, ?)",
            [(row["id"], np.asarray(vec, dtype=np.float32).tobytes(), row["type"], row["observed_at"])
             for row, vec in fresh],
        )
        meta.put(store, "embed.last_id", str(max(mark, rows[-1]["id"])))
        if seconds and seconds > 0:  # smoothed: one slow batch (a long note) does not swing the ETA
            measured, before = len(rows) / seconds, rate(store)
            meta.put(store, RATE, f"{measured if before is None else 0.7 * before + 0.3 * measured:.3f}")


def rate(store: Store) -> float | None:
    """Texts per second the embedder managed here (smoothed), or None if never measured."""
    value = meta.get(store, RATE)
    return float(value) if value else None


def count(store: Store) -> int:
    if model(store) is None:
        return 0
    return store.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]


def knn(store: Store, query: "np.ndarray", k: int, filters: Filters) -> list[tuple[int, float]]:
    """(record id, cosine distance) of the nearest `k` records that pass `filters`."""
    import numpy as np

    if model(store) is None:
        return []
    inner: list[str] = []
    params: list[Any] = [np.asarray(query, dtype=np.float32).tobytes()]
    if filters.types:
        inner.append(f"type IN ({','.join('?' * len(filters.types))})")
        params += filters.types
    if filters.since:
        inner.append("observed_at >= ?")
        params.append(filters.since)
    if filters.until:
        inner.append("observed_at < ?")
        params.append(filters.until)
    # Filters vec0 cannot apply (tags, source, validity) are applied after: fetch more to keep k.
    # KNN cost grows with k (300: ~110 ms, 1200: ~270 ms on 100k vectors), so fetch only a little
    # more than k for the validity filter (few records are superseded) and more for tags/sources.
    fetch = min(MAX_K, k * 4 if filters.tags or filters.sources else k + 64 if filters.view != "all" or filters.as_of else k)
    where, post_params = filters.sql("r")
    rows = store.execute(
        f"""
        SELECT v.rowid, v.distance FROM (
            SELECT rowid, distance FROM {TABLE}
            WHERE embedding MATCH ? AND k = {int(fetch)} {''.join(' AND ' + c for c in inner)}
        ) v JOIN records r ON r.id = v.rowid
        WHERE {where}
        ORDER BY v.distance LIMIT ?
        """,
        [*params, *post_params, k],
    )
    return [(row[0], row[1]) for row in rows]


def get_many(store: Store, ids: Sequence[int]) -> "dict[int, np.ndarray]":
    import numpy as np

    found: dict[int, np.ndarray] = {}
    if model(store) is None:
        return found
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        marks = ",".join("?" * len(chunk))
        for row in store.execute(f"SELECT rowid, embedding FROM {TABLE} WHERE rowid IN ({marks})", chunk):
            found[row[0]] = np.frombuffer(row[1], dtype=np.float32)
    return found
