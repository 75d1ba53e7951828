"""Small key/value facts about this database (which embedder made its vectors, ...)."""

from __future__ import annotations

from memcli.store.db import Store


def get(store: Store, key: str) -> str | None:
    row = store.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def put(store: Store, key: str, value: str) -> None:
    store.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                  (key, value))


def delete(store: Store, key: str) -> None:
    store.execute("DELETE FROM meta WHERE key = ?", (key,))
