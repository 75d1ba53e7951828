"""The vector channel's storage, made for one embedder: exact float vectors and their sign bits.

- `record_embeddings` (a plain table) keeps each record's float32 vector: what cosines are
  computed from, exactly, with sqlite-vec's `vec_distance_cosine`.
- `record_signs` (a sqlite-vec `vec0` table) keeps one bit per dimension, the sign of the vector
  minus a centre, with the record's type and time for filtering inside the KNN.

Up to EXACT_UP_TO vectors, a search scans every float vector (~1 µs each here: 50 ms at 50k).
Above, KNN is bounded: the CANDIDATES nearest by Hamming distance over the sign bits (1M: about
48 MB to read instead of 1.5 GB), re-scored by exact cosine. vec0's KNN cost grows with k
(1M sign bits: k=10 ~40 ms, 128 ~140 ms, 300 ~450 ms), hence a fixed, modest CANDIDATES;
search also re-scores its best full-text candidates exactly, which the bits may have missed.
Embeddings of one model share a direction (unrelated e5-small texts sit at cosine ~0.8), so
raw signs say little: bits are taken after subtracting a centre (a typical embedding, kept in
meta as `embed.center`). On the 2,760 LoCoMo dev turns, the share of a question's true top 10
found among its 80 nearest by bits is 0.45 without a centre and 0.88 with one.

The tables are created when the first vectors are written, with that embedder's dimension; its
name is kept in `meta` so that vectors of two models are never mixed. Records are embedded in id
order and `embed.last_id` marks how far: what is above it is pending.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:  # imported where vectors are touched: lexical-only search never pays for numpy
    import numpy as np

from memcli.errors import MemError
from memcli.store import meta
from memcli.store.db import Store
from memcli.store.records import Filters

TABLE = "record_signs"
EMBEDDINGS = "record_embeddings"
LEGACY = "record_vectors"  # one float vec0 table, before migration 8
MAX_K = 4096  # sqlite-vec's limit on k
EXACT_UP_TO = 50_000
CANDIDATES = 192  # LoCoMo dev with every KNN bounded: R@10 0.8038 (exact 0.8057); 128 gave 0.8006
CENTER = "embed.center"
SIGNS_DDL = "CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING vec0(signs bit[{dim}], type text, observed_at text)"
EMBEDDINGS_DDL = f"CREATE TABLE IF NOT EXISTS {EMBEDDINGS} (id INTEGER PRIMARY KEY, embedding BLOB NOT NULL)"
_QUANTISED = "vec_quantize_binary(vec_sub(?, ?))"


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


def has_signs(dim: int) -> bool:
    return dim > 0 and dim % 8 == 0  # sqlite-vec packs bits in bytes


def ensure_table(store: Store, name: str, dim: int, center: bytes | None = None) -> None:
    """Create the tables for `name`'s vectors unless they exist. `center`: float32 bytes of a
    typical embedding of this model (without one, the first vectors written give it)."""
    if store.vec_version is None:
        raise MemError(f"sqlite-vec is not available ({store.vec_error})", "search falls back to full text")
    check_compatible(store, name, dim)
    if model(store) is None:
        store.execute(f"DROP TABLE IF EXISTS {LEGACY}")  # left by migration 8 where sqlite-vec was missing
        store.execute(EMBEDDINGS_DDL)
        if has_signs(dim):
            store.execute(SIGNS_DDL.format(table=TABLE, dim=int(dim)))
        meta.put(store, "embed.model", name)
        meta.put(store, "embed.dim", str(dim))
        meta.put(store, "embed.last_id", "0")
        if center is not None and len(center) == 4 * dim:
            meta.put(store, CENTER, base64.b64encode(center).decode("ascii"))


def center(store: Store) -> bytes | None:
    value = meta.get(store, CENTER)
    return base64.b64decode(value) if value else None


def _signs_present(store: Store) -> bool:
    made_with = model(store)
    return made_with is not None and has_signs(made_with[1])


def drop(store: Store) -> None:
    for table in (TABLE, EMBEDDINGS, LEGACY):
        store.execute(f"DROP TABLE IF EXISTS {table}")
    for key in ("embed.model", "embed.dim", "embed.last_id", CENTER):
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


def insert(store: Store, record_id: int, embedding: bytes, type_: str, observed_at: str) -> None:
    """One record's float32 vector and its sign bits (inside the caller's transaction)."""
    _insert_many(store, [(record_id, embedding, type_, observed_at)])


def _insert_many(store: Store, rows: list[tuple[int, bytes, str, str]]) -> None:
    store.conn.executemany(f"INSERT INTO {EMBEDDINGS} (id, embedding) VALUES (?, ?)",
                           [(record_id, embedding) for record_id, embedding, _, _ in rows])
    if rows and _signs_present(store):
        middle = center(store) or bytes(len(rows[0][1]))
        store.conn.executemany(
            f"INSERT INTO {TABLE} (rowid, signs, type, observed_at) VALUES (?, {_QUANTISED}, ?, ?)",
            [(record_id, embedding, middle, type_, observed_at) for record_id, embedding, type_, observed_at in rows])


def write(store: Store, rows: Sequence[Any], vectors: "np.ndarray", seconds: float | None = None) -> None:
    """Store vectors for `rows` (records in id order) and move the high-water mark past them.
    `seconds`: how long the embedder took, kept as the embedding rate for the backlog's ETA."""
    import numpy as np

    if not len(rows):
        return
    with store.transaction():
        mark = last_id(store)  # re-read under the write lock: another process may have done these
        fresh = [(row, np.asarray(vec, dtype=np.float32)) for row, vec in zip(rows, vectors) if row["id"] > mark]
        if fresh and center(store) is None:
            mean = np.mean([vec for _, vec in fresh], axis=0).astype(np.float32)
            meta.put(store, CENTER, base64.b64encode(mean.tobytes()).decode("ascii"))
        _insert_many(store, [(row["id"], vec.tobytes(), row["type"], row["observed_at"]) for row, vec in fresh])
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
    # vec0's own count(*) reads every chunk (0.4 s at 1M); its rowid shadow table is small (5 ms).
    table = f"{TABLE}_rowids" if _signs_present(store) else EMBEDDINGS
    return store.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def remove(store: Store, ids: Sequence[int], *, zero: bool = False) -> None:
    """Delete these records' vectors; `zero` overwrites them first (a purge: no bytes stay behind)."""
    made_with = model(store)
    if made_with is None or not ids:
        return
    marks = ",".join("?" * len(ids))
    signs = _signs_present(store)
    if zero:
        store.execute(f"UPDATE {EMBEDDINGS} SET embedding = zeroblob(length(embedding)) WHERE id IN ({marks})", list(ids))
        if signs:
            _zero_signs(store, ids, made_with[1] // 8)
    store.execute(f"DELETE FROM {EMBEDDINGS} WHERE id IN ({marks})", list(ids))
    if signs:
        store.execute(f"DELETE FROM {TABLE} WHERE rowid IN ({marks})", list(ids))


def _zero_signs(store: Store, ids: Sequence[int], width: int) -> None:
    """Overwrite these records' bits in vec0's chunk blobs. vec0 marks a deleted slot but keeps its
    bytes, and (sqlite-vec 0.1.9) refuses UPDATE of a bit column, so this writes to its shadow
    tables: `<table>_rowids` says where a row sits, `<table>_vector_chunks00` holds the bits."""
    marks = ",".join("?" * len(ids))
    places = store.execute(f"SELECT chunk_id, chunk_offset FROM {TABLE}_rowids WHERE rowid IN ({marks})",
                           list(ids)).fetchall()
    for chunk_id, offset in places:
        row = store.execute(f"SELECT vectors FROM {TABLE}_vector_chunks00 WHERE rowid = ?", (chunk_id,)).fetchone()
        if row is None:
            continue
        blob = bytearray(row[0])
        blob[offset * width:(offset + 1) * width] = bytes(width)
        store.execute(f"UPDATE {TABLE}_vector_chunks00 SET vectors = ? WHERE rowid = ?", (bytes(blob), chunk_id))


def knn(store: Store, query: "np.ndarray", k: int, filters: Filters) -> list[tuple[int, float]]:
    """(record id, cosine distance) of the nearest records that pass `filters`: the nearest `k`
    exactly up to EXACT_UP_TO vectors; above, the nearest among CANDIDATES found by sign bits."""
    import numpy as np

    if model(store) is None:
        return []
    blob = np.asarray(query, dtype=np.float32).tobytes()
    if last_id(store) > EXACT_UP_TO and _signs_present(store):
        return sorted(distances(store, query, _candidates(store, blob, filters), filters), key=lambda hit: hit[1])[:k]
    where, params = filters.sql("r")
    rows = store.execute(
        f"SELECT e.id, vec_distance_cosine(e.embedding, ?) AS distance FROM {EMBEDDINGS} e "
        f"JOIN records r ON r.id = e.id WHERE {where} ORDER BY distance LIMIT ?",
        [blob, *params, k],
    )
    return [(row[0], row[1]) for row in rows]


def distances(store: Store, query: "np.ndarray", ids: Sequence[int], filters: Filters) -> list[tuple[int, float]]:
    """(record id, cosine distance) for those of `ids` that have a vector and pass `filters`."""
    import numpy as np

    if model(store) is None or not ids:
        return []
    where, params = filters.sql("r")
    found: list[tuple[int, float]] = []
    blob = np.asarray(query, dtype=np.float32).tobytes()
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        found += [(row[0], row[1]) for row in store.execute(
            f"SELECT e.id, vec_distance_cosine(e.embedding, ?) FROM {EMBEDDINGS} e JOIN records r ON r.id = e.id "
            f"WHERE e.id IN ({','.join('?' * len(chunk))}) AND {where}", [blob, *chunk, *params])]
    return found


def _candidates(store: Store, blob: bytes, filters: Filters) -> list[int]:
    """Ids nearest to the query by Hamming distance of sign bits, with the filters vec0 can apply."""
    inner: list[str] = []
    params: list[Any] = [blob, center(store) or bytes(len(blob))]
    if filters.types:
        inner.append(f"type IN ({','.join('?' * len(filters.types))})")
        params += filters.types
    if filters.since:
        inner.append("observed_at >= ?")
        params.append(filters.since)
    if filters.until:
        inner.append("observed_at < ?")
        params.append(filters.until)
    # Filters vec0 cannot apply (tags, sources) are applied on re-scoring: look wider for them.
    fetch = min(MAX_K, CANDIDATES * 4 if filters.tags or filters.sources else CANDIDATES)
    rows = store.execute(
        f"SELECT rowid FROM {TABLE} WHERE signs MATCH {_QUANTISED} AND k = {int(fetch)}"
        f"{''.join(' AND ' + c for c in inner)}",
        params,
    )
    return [row[0] for row in rows]


def get_many(store: Store, ids: Sequence[int]) -> "dict[int, np.ndarray]":
    import numpy as np

    found: dict[int, np.ndarray] = {}
    if model(store) is None:
        return found
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        marks = ",".join("?" * len(chunk))
        for row in store.execute(f"SELECT id, embedding FROM {EMBEDDINGS} WHERE id IN ({marks})", chunk):
            found[row[0]] = np.frombuffer(row[1], dtype=np.float32)
    return found
