"""Facts about the database file itself, for `mem stats` and `mem doctor`."""

from __future__ import annotations

from typing import Any

from memcli.store.db import Store


def file_info(store: Store) -> dict[str, Any]:
    size = 0
    for suffix in ("", "-wal", "-shm"):
        candidate = store.path.with_name(store.path.name + suffix)
        if candidate.exists():
            size += candidate.stat().st_size
    return {
        "path": str(store.path),
        "size_bytes": size,
        "schema_version": store.execute("PRAGMA user_version").fetchone()[0],
        "sqlite_version": store.execute("SELECT sqlite_version()").fetchone()[0],
        "sqlite_module": store.sqlite.__name__,
        "sqlite_vec_version": store.vec_version,
        "sqlite_vec_error": store.vec_error,
    }
