"""Adds that found the database busy, kept until a later command can store them.

`mem add` waits for another writer up to `store.busy_timeout`; past that it appends the record
it built (redacted, timed, tagged) as one JSON line to <data dir>/pending-adds.jsonl (0600) and
exits 0. The next mem command stores the lines meant for its database in one transaction before
it runs (cli/__init__.py, beside the shell spool's drain), without waiting: a database still
busy keeps them for the command after. An flock on the file keeps an append and a drain apart.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any, Iterator

from memcli import paths
from memcli.errors import MemError
from memcli.models import Record

NAME = "pending-adds.jsonl"


def pending_path() -> Path:
    return paths.data_dir() / NAME


def _db_key() -> str:
    return str(paths.db_path().expanduser().resolve())


class _Locked:
    """The pending file opened for appending and reading, under an exclusive flock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        paths.ensure_private_dir(self.path.parent)
        self.handle = paths.open_private(self.path, "a+")
        try:
            import fcntl

            fcntl.flock(self.handle, fcntl.LOCK_EX)
        except ImportError:  # no flock (Windows): appends of one line stay whole on their own
            pass
        return self.handle

    def __exit__(self, *exc: Any) -> None:
        assert self.handle is not None
        self.handle.close()  # releases the lock


def save(record: Record) -> Path:
    """Keep `record` for the next command; returns where it is kept."""
    data = {key: value for key, value in asdict(record).items() if key != "id"}
    line = json.dumps({"db": _db_key(), "record": data}) + "\n"  # ASCII: lone surrogates survive
    path = pending_path()
    try:
        with _Locked(path) as out:
            out.write(line)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise MemError(f"the database is busy and the memory cannot be kept in {path} either: {exc.strerror}",
                       "try mem add again when the other mem has finished") from None
    return path


def _parse(lines: list[str]) -> Iterator[tuple[str, dict[str, Any] | None]]:
    for line in lines:
        try:
            entry = json.loads(line)
            yield line, entry if isinstance(entry, dict) and isinstance(entry.get("record"), dict) else None
        except ValueError:
            yield line, None  # a torn line (a crash mid-append): kept as it is, never guessed at


def drain_if_pending() -> int:
    """Store the pending adds meant for this database; one os.stat when there are none.
    Returns how many were stored. Never waits on a busy database and never raises."""
    try:
        if os.stat(pending_path()).st_size == 0:
            return 0
    except OSError:
        return 0
    from memcli.store.db import no_waiting

    try:
        with no_waiting():
            return drain()
    except Exception:  # the command the user typed comes first; the lines stay for later
        return 0


def drain() -> int:
    from memcli.services.remember import remember
    from memcli.store import open_db

    key = _db_key()
    with _Locked(pending_path()) as handle:
        handle.seek(0)
        entries = list(_parse(handle.readlines()))
        mine = [entry for _, entry in entries if entry is not None and entry.get("db") == key]
        if not mine:
            return 0
        store = open_db()
        fields = Record.__dataclass_fields__
        with store.transaction(wait=False):  # still busy: kept for the command after
            for entry in mine:
                remember(store, Record(**{k: v for k, v in entry["record"].items() if k in fields}))
        store.close()
        kept = [line for line, entry in entries if entry is None or entry.get("db") != key]
        handle.seek(0)
        handle.truncate()
        handle.writelines(kept)
    noun = "memory" if len(mine) == 1 else "memories"
    print(f"Note: stored {len(mine)} {noun} kept while the database was busy", file=sys.stderr)
    return len(mine)
