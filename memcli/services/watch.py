"""`mem watch`: ingest new and changed notes a moment after they stop changing.

watchdog's observer thread only records which paths changed; the ingest itself runs on the
caller's thread (the one that owns the database connection) once a path has been quiet for
`debounce` seconds. The database, its WAL and editors' swap and backup files are ignored.
Each file is synced in one short BEGIN IMMEDIATE transaction, so several watchers and other
`mem` commands queue on the busy timeout instead of failing with "database is locked".
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from memcli.errors import MemError
from memcli.readers.detect import NOTE_SUFFIXES, is_ignored_name
from memcli.services.ingest import Summary, end_missing, follow_moves, ingest_paths, note_missing
from memcli.store import Store

POLL_SECONDS = 0.1


class Pending:
    """Paths with the time of their last event; filled by the observer thread, drained by ours."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def touch(self, path: str) -> None:
        with self._lock:
            self._last[path] = time.monotonic()

    def take_quiet(self, debounce: float) -> list[str]:
        now = time.monotonic()
        with self._lock:
            ready = sorted(p for p, t in self._last.items() if now - t >= debounce)
            for path in ready:
                del self._last[path]
        return ready


def relevant(path: str, roots: Sequence[str], ignored: set[str]) -> bool:
    """A note file worth ingesting: not the database, not a swap/temp file, not in a hidden folder."""
    if path in ignored or Path(path).suffix.lower() not in NOTE_SUFFIXES:
        return False
    root = next((r for r in roots if path.startswith(r + os.sep)), None)
    parts = Path(os.path.relpath(path, root)).parts if root else (os.path.basename(path),)
    return not any(part.startswith(".") for part in parts) and not is_ignored_name(parts[-1])


def check_dirs(dirs: Sequence[str]) -> list[str]:
    roots = [os.path.abspath(os.path.expanduser(d)) for d in dirs]
    for root in roots:
        if not os.path.isdir(root):
            raise MemError(f"{root} is not a directory", "mem watch takes note folders; use mem ingest for files")
    return roots


def watch(store: Store, dirs: Sequence[str], *, debounce: float = 1.0,
          on_summary: Callable[[list[str], Summary, bool], None] = lambda paths, summary, initial: None,
          on_ready: Callable[[], None] = lambda: None, on_error: Callable[[str], None] = lambda message: None,
          stop: threading.Event | None = None) -> None:
    """Run until `stop` is set or KeyboardInterrupt; the observer is always stopped on the way out."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    roots = check_dirs(dirs)
    ignored = {str(store.path), f"{store.path}-wal", f"{store.path}-shm", f"{store.path}-journal"}
    pending = Pending()

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: Any) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                path = os.fsdecode(raw) if raw else ""
                if not path:
                    continue
                if event.is_directory:
                    # A folder moved or created in: walk it. A folder's "modified" is just its files changing.
                    if event.event_type in ("created", "moved", "deleted") and relevant_dir(path, roots):
                        pending.touch(path)
                elif relevant(path, roots, ignored):
                    pending.touch(path)

    observer = Observer()
    for root in roots:
        observer.schedule(Handler(), root, recursive=True)
    observer.start()  # before the first scan, so that nothing changed during it is missed
    try:
        on_summary(roots, _ingest(store, roots), True)
        on_ready()
        while not (stop and stop.is_set()):
            time.sleep(POLL_SECONDS)
            ready = pending.take_quiet(debounce)
            if not ready:
                continue
            try:
                summary = _ingest(store, ready)
            except store.sqlite.OperationalError as exc:  # busy past the timeout: try again later
                on_error(f"database busy ({exc}); will retry")
                for path in ready:
                    pending.touch(path)
                continue
            if summary.added or summary.superseded or summary.missing or summary.moved or summary.warnings:
                on_summary(ready, summary, False)
    finally:
        observer.stop()
        observer.join(timeout=5)


def relevant_dir(path: str, roots: Sequence[str]) -> bool:
    root = next((r for r in roots if path.startswith(r + os.sep)), None)
    return root is not None and not any(p.startswith(".") for p in Path(os.path.relpath(path, root)).parts)


def _ingest(store: Store, paths: list[str]) -> Summary:
    """Ingest the paths that exist; a note that vanished was renamed (its records move to the new
    file) or deleted (its records end: the folder is mirrored)."""
    present = [p for p in paths if os.path.exists(p)]
    summary = ingest_paths(store, present, embed=False) if present else Summary()
    for gone in (p for p in paths if not os.path.exists(p)):
        note_missing(store, Path(gone), summary, under=False)
    follow_moves(store, summary, actor="watch")
    end_missing(store, summary)
    if summary.added:
        from memcli.services.embedding import after_import

        summary.notices.extend(after_import(store))
    return summary
