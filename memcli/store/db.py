"""Opening the database: path checks, pragmas, sqlite-vec, migrations.

One `Store` per process. Writes go through `Store.transaction()` (BEGIN IMMEDIATE, so that two
writers queue on the busy timeout instead of failing to upgrade a read lock).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from memcli import paths
from memcli.errors import MemError
from memcli.store.driver import sqlite_module
from memcli.store.schema_version import SCHEMA_VERSION

BUSY_TIMEOUT_MS = 10_000


class Store:
    def __init__(self, conn: Any, path: Path, vec_version: str | None, vec_error: str | None) -> None:
        self.conn = conn
        self.path = path
        self.vec_version = vec_version
        self.vec_error = vec_error
        self._utils_db: Any = None

    @property
    def sqlite(self) -> Any:
        """The DB-API module in use (stdlib sqlite3, sqlean or pysqlite3)."""
        return sqlite_module()

    def utils(self) -> Any:
        """A sqlite-utils Database on the same connection (imported on first use)."""
        if self._utils_db is None:
            from sqlite_utils import Database

            self._utils_db = Database(self.conn, execute_plugins=False)
        return self._utils_db

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        if self.conn.in_transaction:  # nested: join the outer transaction
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def execute(self, sql: str, params: Any = ()) -> Any:
        return self.conn.execute(sql, params)

    def close(self) -> None:
        self.conn.close()


def _prepare_file(path: Path) -> None:
    parent = path.parent
    try:
        # mem's own data dir is closed to 0700; a directory named through MEM_DB is the user's.
        paths.ensure_private_dir(parent, tighten=parent == paths.data_dir())
    except OSError as exc:
        raise MemError(f"cannot create the database directory {parent}: {exc.strerror}",
                       "set MEM_HOME or MEM_DB to a writable place") from exc
    if path.is_dir():
        raise MemError(f"database path {path} is a directory", "point MEM_DB at a file")
    if not path.exists():
        try:
            paths.open_private(path, "ab").close()  # 0600; SQLite gives -wal and -shm the same mode
        except OSError as exc:
            raise MemError(f"cannot create the database {path}: {exc.strerror}",
                           "set MEM_HOME or MEM_DB to a writable place") from exc
    elif not os.access(path, os.R_OK):
        raise MemError(f"cannot read the database {path}: permission denied", "check its owner and mode")


def _vec_extension_path() -> str:
    """Where the sqlite-vec package keeps its loadable library, found without importing the
    package: its __init__ imports numpy when installed (~100 ms on every command)."""
    import importlib.util

    spec = importlib.util.find_spec("sqlite_vec")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the sqlite-vec package is not installed")
    return os.path.join(list(spec.submodule_search_locations)[0], "vec0")


def _load_vec(conn: Any) -> tuple[str | None, str | None]:
    try:
        conn.enable_load_extension(True)
        conn.load_extension(_vec_extension_path())
        conn.enable_load_extension(False)
        return conn.execute("SELECT vec_version()").fetchone()[0], None
    except Exception as exc:  # any failure means FTS-only search, never a crash
        return None, f"{type(exc).__name__}: {exc}"


def open_db(path: Path | None = None, *, migrate: bool = True) -> Store:
    path = path or paths.db_path()
    _prepare_file(path)
    sqlite = sqlite_module()
    try:
        conn = sqlite.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                              check_same_thread=False)
        conn.row_factory = sqlite.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # Reads through a memory map: the vector scan on 100k records went from ~110 to ~85 ms.
        conn.execute("PRAGMA mmap_size = 268435456")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite.DatabaseError as exc:
        raise _friendly(exc, path) from exc
    vec_version, vec_error = _load_vec(conn)
    store = Store(conn, path, vec_version, vec_error)
    if version > SCHEMA_VERSION:
        raise MemError(f"database {path} has schema version {version}, newer than this mem ({SCHEMA_VERSION})",
                       "upgrade memcli: pip install -U memcli")
    if version < SCHEMA_VERSION and migrate:
        _migrate(store)
    return store


def _migrate(store: Store) -> None:
    from memcli.store import migrations

    try:
        with store.transaction():
            # Re-read inside the write lock: another process may have migrated meanwhile.
            if store.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                migrations.apply(store.utils())
    except store.sqlite.DatabaseError as exc:
        raise _friendly(exc, store.path) from exc


def _friendly(exc: Exception, path: Path) -> MemError:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return MemError(f"database {path} is corrupted or not a mem database ({text})",
                        "restore it from a backup or point MEM_DB elsewhere")
    if "readonly" in text or "unable to open" in text:
        return MemError(f"cannot write the database {path} ({text})", "check the directory is writable")
    if "locked" in text or "busy" in text:
        return MemError(f"database {path} is busy ({text})", "another mem is writing; try again")
    return MemError(f"database error on {path}: {text}")
