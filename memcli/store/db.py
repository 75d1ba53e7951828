"""Opening the database: path checks, what the file is, pragmas, sqlite-vec, migrations.

One `Store` per process. Writes go through `Store.transaction()` (BEGIN IMMEDIATE, so that two
writers queue on the busy timeout instead of failing to upgrade a read lock).

Nothing is written to a file before it is known to be mem's: a file with tables but no mem
schema (another program's database) or with a newer schema is refused while its bytes are
untouched (no WAL switch, no migration). A file mem cannot write (mode 0444, a read-only
directory or mount, an immutable file) is read into memory: search and list work, and keep their
index up to date in that copy, while a write to anything the user has fails with one line.

Another writer holding the lock: a write waits quietly for BUSY_NOTICE_S, then says it is
waiting and waits up to `store.busy_timeout` seconds in all, then raises StoreBusy (a MemError:
one line, exit 2; `mem add` keeps the text in services/pending instead).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

from memcli import paths
from memcli.errors import MemError
from memcli.store.driver import sqlite_module
from memcli.store.schema_version import SCHEMA_VERSION

BUSY_NOTICE_S = 2.0  # a write waits this long before saying why it waits
BUSY_TIMEOUT_S = 30.0  # default for store.busy_timeout: the whole wait for another writer
MEM_TABLES = {"records", "meta", "_sqlite_migrations"}  # every mem database has them (migration 1)


class StoreUnavailable(MemError):
    """The store cannot be written now. Raised as a subclass of the SQLite module's
    OperationalError as well (see _raise), so that best-effort writers that already catch that
    (reinforcement after a search, `mem watch`) go on reading."""


class StoreBusy(StoreUnavailable):
    """Another writer held the lock for longer than store.busy_timeout."""


class StoreReadOnly(StoreUnavailable):
    """The database file or its directory is not writable: opened read-only."""


_no_waiting: ContextVar[bool] = ContextVar("mem_store_no_waiting", default=False)


@contextmanager
def no_waiting() -> Iterator[None]:
    """Writes inside give up at once on a busy database (for work a later command can do)."""
    token = _no_waiting.set(True)
    try:
        yield
    finally:
        _no_waiting.reset(token)


@lru_cache(maxsize=None)
def _flavoured(kind: type) -> type:
    return type(kind.__name__, (kind, sqlite_module().OperationalError), {})


def _raise(kind: type, message: str, hint: str) -> Any:
    raise _flavoured(kind)(message, hint) from None


def busy_timeout(load_file: bool = True) -> float:
    """`store.busy_timeout` in seconds. Without `load_file` only the environment is read:
    opening the store must not pay for parsing config.toml (about 10 ms)."""
    from memcli import config

    value = config.get("store.busy_timeout") if load_file else config.env_value("store.busy_timeout")
    return BUSY_TIMEOUT_S if value is None else max(0.0, float(value))


class Store:
    def __init__(self, conn: Any, path: Path, vec_version: str | None, vec_error: str | None,
                 read_only: bool = False) -> None:
        self.conn = conn
        self.path = path
        self.vec_version = vec_version
        self.vec_error = vec_error
        self.read_only = read_only
        self._utils_db: Any = None
        self._waited = False

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
    def transaction(self, *, wait: bool = True) -> Iterator[Any]:
        """One write transaction. `wait=False` gives up at once when another writer holds the
        lock (StoreBusy), for work that can be done by a later command."""
        if self.conn.in_transaction:  # nested: join the outer transaction
            yield self.conn
            return
        self._begin(wait and not _no_waiting.get())
        try:
            yield self.conn
        except BaseException as exc:
            self.conn.execute("ROLLBACK")
            if self.read_only and _is_denied(exc):
                self._refuse()
            raise
        else:
            self.conn.execute("COMMIT")

    def _refuse(self) -> None:
        _raise(StoreReadOnly, f"database {self.path} is read-only (search and list work)",
               "make the file and its directory writable to change it")

    def _begin(self, wait: bool) -> None:
        total = busy_timeout(load_file=False)
        first = min(BUSY_NOTICE_S, total / 2) if wait else 0.0
        try:
            self._begin_within(first)
            return
        except self.sqlite.OperationalError as exc:
            if not _is_busy(exc):
                raise _friendly(exc, self.path) from exc
        total = busy_timeout() if wait else 0.0
        if total > first:
            if not self._waited:
                self._waited = True
                print(f"Note: waiting for another mem to finish writing… (up to {total:g} s)", file=sys.stderr)
            try:
                self._begin_within(total - first)
                return
            except self.sqlite.OperationalError as exc:
                if not _is_busy(exc):
                    raise _friendly(exc, self.path) from exc
        _raise(StoreBusy, f"database {self.path} is busy: another program has been writing to it for over {total:g} s",
               "try again when it has finished")

    def _begin_within(self, seconds: float) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout(load_file=False) * 1000)}")

    def execute(self, sql: str, params: Any = ()) -> Any:
        if self.read_only and sql.lstrip()[:6].upper() == "VACUUM":
            self._refuse()  # it would only rewrite the copy in memory
        try:
            return self.conn.execute(sql, params)
        except self.sqlite.DatabaseError as exc:
            if self.read_only and _is_denied(exc):
                self._refuse()
            raise

    def close(self) -> None:
        self.conn.close()


def _is_denied(exc: BaseException) -> bool:
    return isinstance(exc, sqlite_module().DatabaseError) and "not authorized" in str(exc)


def _is_busy(exc: Exception) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


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


def _writable(path: Path) -> bool:
    """WAL needs to write the file and to create -wal and -shm beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _connect(sqlite: Any, path: Path, read_only: bool) -> Any:
    options = dict(timeout=busy_timeout(load_file=False), isolation_level=None, check_same_thread=False)
    if not read_only:
        return sqlite.connect(str(path), **options)
    # Search keeps its index (and vectors) up to date as it goes: it does that in a copy in
    # memory, while the guard below refuses any write to what the user has.
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    source = sqlite.connect(uri, uri=True, **options)
    try:
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite.OperationalError:
        # A WAL database in a read-only directory: -shm cannot be made there. Nobody can
        # write there either, so reading the file as immutable is safe.
        source.close()
        source = sqlite.connect(uri + "&immutable=1", uri=True, **options)
    conn = sqlite.connect(":memory:", **options)
    try:
        source.backup(conn)
    finally:
        source.close()
    conn.set_authorizer(_guard(sqlite))
    return conn


def _guard(sqlite: Any) -> Any:
    """A SQLite authorizer that denies changing the tables that hold the user's memories."""
    from memcli.store.dump import TABLES

    kept = set(TABLES) - {"meta"}  # meta also holds the index marks, which search moves
    writes = {sqlite.SQLITE_INSERT, sqlite.SQLITE_UPDATE, sqlite.SQLITE_DELETE, sqlite.SQLITE_DROP_TABLE}

    def authorize(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
        table = arg2 if action == sqlite.SQLITE_ALTER_TABLE else arg1
        if (action in writes or action == sqlite.SQLITE_ALTER_TABLE) and table in kept:
            return sqlite.SQLITE_DENY
        return sqlite.SQLITE_OK

    return authorize


def _check_ours(conn: Any, path: Path, version: int) -> None:
    """Refuse another program's database, or a newer mem's, before anything is written to it."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables and version == 0:
        return  # empty: a new database
    if not MEM_TABLES <= tables:
        raise MemError(f"{path} is not a mem database (it has other tables: {', '.join(sorted(tables)[:5]) or 'none'})",
                       "point MEM_DB at a mem database or at a new file")
    if version > SCHEMA_VERSION:
        raise MemError(f"database {path} has schema version {version}, newer than this mem ({SCHEMA_VERSION})",
                       "upgrade memcli: pip install -U memcli")


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
    read_only = not _writable(path)
    try:
        conn = _connect(sqlite, path, read_only)
        conn.row_factory = sqlite.Row
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        _check_ours(conn, path, version)
        if not read_only and conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # Reads through a memory map (SQLite caps it at its compile-time maximum): the vector
        # index's blobs of a 1M-record store read in 15 ms instead of 30 with a 256 MB map.
        conn.execute("PRAGMA mmap_size = 17179869184")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite.DatabaseError as exc:
        raise _friendly(exc, path) from exc
    vec_version, vec_error = _load_vec(conn)
    store = Store(conn, path, vec_version, vec_error, read_only=read_only)
    if version < SCHEMA_VERSION and migrate:
        if read_only:
            raise MemError(f"database {path} is from an older mem and is read-only, so it cannot be upgraded",
                           "make it writable once and run mem stats")
        _migrate(store)
    return store


def _migrate(store: Store) -> None:
    from memcli.store import migrations

    try:
        with store.transaction():
            # Re-read inside the write lock: another process may have migrated meanwhile.
            if store.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                migrations.apply(store.utils())
    except StoreUnavailable:
        raise
    except store.sqlite.DatabaseError as exc:
        raise _friendly(exc, store.path) from exc


def _friendly(exc: Exception, path: Path) -> MemError:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return MemError(f"database {path} is corrupted or not a mem database ({text})",
                        "restore it from a backup or point MEM_DB elsewhere")
    if "readonly" in text or "unable to open" in text:
        return MemError(f"cannot write the database {path} ({text})", "check the directory is writable")
    if _is_busy(exc):
        return _flavoured(StoreBusy)(f"database {path} is busy ({text})", "try again when the other mem has finished")
    return MemError(f"database error on {path}: {text}")
