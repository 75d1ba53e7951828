"""The vector index: exact cosines for small stores, sign-bit candidates re-scored above
EXACT_UP_TO, and vectors of older databases carried into that layout by migration 8.

Vectors here are made by hand (8 dimensions) so that which record is nearest is known.
"""

from __future__ import annotations

import numpy as np
import pytest
from sqlite_utils import Database

from memcli.store import meta, migrations, open_db, vectors
from memcli.store.records import Filters

DIM = 8


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


# Each record's vector points along its own axis (plus a shared offset, as real embeddings have).
TEXTS = ["walked the dog", "paid the rent", "fixed the bike", "called grandma",
         "planted tomatoes", "booked a flight", "read a novel", "baked bread"]


def embedded(mem, mem_home):
    for text in TEXTS:
        mem("add", text, "--tag", "even" if TEXTS.index(text) % 2 == 0 else "odd")
    store = open_db(mem_home / "mem.db")
    with store.transaction():
        vectors.ensure_table(store, "test/fake", DIM)
    rows = vectors.pending(store, 100)
    matrix = np.stack([unit(*(np.eye(DIM)[i] + 0.8)) for i in range(len(rows))])
    vectors.write(store, rows, matrix)
    return store, [row["id"] for row in rows]


@pytest.fixture(params=["exact", "bounded"])
def path(request, monkeypatch):
    if request.param == "bounded":  # as a store above EXACT_UP_TO vectors searches
        monkeypatch.setattr(vectors, "EXACT_UP_TO", 0)
    return request.param


def test_nearest_is_found_with_its_cosine_on_both_paths(mem, mem_home, path):
    store, ids = embedded(mem, mem_home)
    query = unit(*(np.eye(DIM)[2] + 0.8 + 0.05 * np.eye(DIM)[3]))
    hits = vectors.knn(store, query, 3, Filters())
    assert hits[0][0] == ids[2]
    assert hits[0][1] == pytest.approx(1 - float(query @ unit(*(np.eye(DIM)[2] + 0.8))), abs=1e-5)
    assert [d for _, d in hits] == sorted(d for _, d in hits)


def test_filters_apply_on_both_paths(mem, mem_home, path):
    store, ids = embedded(mem, mem_home)
    query = unit(*(np.eye(DIM)[2] + 0.8))
    odd = vectors.knn(store, query, 8, Filters(tags=["odd"]))
    assert odd and {i for i, _ in odd} <= {ids[1], ids[3], ids[5], ids[7]}
    mem("forget", str(ids[2]), "--yes")  # released: never a neighbour again
    assert ids[2] not in {i for i, _ in vectors.knn(store, query, 8, Filters())}


def test_purge_removes_the_vector_and_its_bits(mem, mem_home, path):
    store, ids = embedded(mem, mem_home)
    mem("forget", str(ids[0]), "--purge", "--yes")
    assert vectors.count(store) == len(TEXTS) - 1
    assert ids[0] not in vectors.get_many(store, ids)
    assert ids[0] not in {i for i, _ in vectors.knn(store, unit(*(np.eye(DIM)[0] + 0.8)), 8, Filters(view="all"))}


def test_bits_are_taken_around_a_centre(mem, mem_home):
    store, _ = embedded(mem, mem_home)
    centre = np.frombuffer(vectors.center(store) or b"", dtype=np.float32)
    assert centre.shape == (DIM,) and float(centre.min()) > 0.3  # the shared offset, not zeros


def test_older_vectors_move_into_the_new_layout(mem, mem_home):
    """A database from before migration 8 (one float vec0 table) keeps its vectors."""
    store, ids = embedded(mem, mem_home)
    kept = vectors.get_many(store, ids)
    with store.transaction():  # back to the version-7 layout, vectors in one float table
        store.execute(f"CREATE VIRTUAL TABLE {vectors.LEGACY} USING vec0(embedding float[{DIM}] "
                      "distance_metric=cosine, type text, observed_at text)")
        for record_id, vector in kept.items():
            store.execute(f"INSERT INTO {vectors.LEGACY} (rowid, embedding, type, observed_at) "
                          "SELECT id, ?, type, observed_at FROM records WHERE id = ?", (vector.tobytes(), record_id))
        store.execute(f"DROP TABLE {vectors.TABLE}")
        store.execute(f"DROP TABLE {vectors.EMBEDDINGS}")
        meta.delete(store, vectors.CENTER)
        store.execute("DELETE FROM _sqlite_migrations WHERE name = 'm008_vectors_in_two_parts'")
        store.execute("PRAGMA user_version = 7")
    store.close()
    upgraded = open_db(mem_home / "mem.db")
    assert len(migrations.migrations.applied(Database(upgraded.conn))) == migrations.count()
    assert not upgraded.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (vectors.LEGACY,)).fetchone()
    assert vectors.count(upgraded) == len(TEXTS)
    assert all(np.array_equal(vector, kept[i]) for i, vector in vectors.get_many(upgraded, ids).items())
    assert vectors.center(upgraded) is not None
    assert vectors.knn(upgraded, unit(*(np.eye(DIM)[5] + 0.8)), 1, Filters())[0][0] == ids[5]
    assert mem.json("stats")["vectors"]["count"] == len(TEXTS)


def test_purged_bits_are_overwritten_in_the_index(mem, mem_home):
    store, ids = embedded(mem, mem_home)
    chunk_id, offset = store.execute(f"SELECT chunk_id, chunk_offset FROM {vectors.TABLE}_rowids WHERE rowid = ?",
                                     (ids[3],)).fetchone()
    chunk = f"SELECT vectors FROM {vectors.TABLE}_vector_chunks00 WHERE rowid = ?"
    width = DIM // 8
    assert store.execute(chunk, (chunk_id,)).fetchone()[0][offset * width:(offset + 1) * width] != bytes(width)
    mem("forget", str(ids[3]), "--purge", "--yes")
    assert store.execute(chunk, (chunk_id,)).fetchone()[0][offset * width:(offset + 1) * width] == bytes(width)


def test_exact_cosines_for_chosen_records_skip_what_is_released(mem, mem_home):
    store, ids = embedded(mem, mem_home)
    query = unit(*(np.eye(DIM)[1] + 0.8))
    found = dict(vectors.distances(store, query, [ids[1], ids[4]], Filters()))
    assert set(found) == {ids[1], ids[4]} and found[ids[1]] < found[ids[4]]
    mem("forget", str(ids[4]), "--yes")
    assert [i for i, _ in vectors.distances(store, query, [ids[1], ids[4]], Filters())] == [ids[1]]
