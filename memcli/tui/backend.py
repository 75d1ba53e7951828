"""Everything the TUI asks of the database, as blocking calls made from worker threads.

The UI thread never touches SQLite: screens start `@work(thread=True)` workers that call these
methods and post the results back as messages. One connection is shared by the workers, so a
lock serialises them (a search and a page load never interleave on one cursor); consolidation,
which can run for minutes, gets a connection of its own so browsing goes on meanwhile (WAL).
No SQL here: this module only calls services and store functions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from memcli.models import Record
from memcli.services import Store, open_store
from memcli.services.recall import Detail, Filters

PAGE = 200          # rows fetched per page of the list
SEARCH_K = 200      # hits asked of the search engine (no paging there)


@dataclass(frozen=True)
class Query:
    """What the list shows: the search box and the filter bar, as typed."""

    text: str = ""
    type: str = ""            # "" for any
    tag: str = ""
    source: str = ""
    since: str = ""
    until: str = ""
    sort: str = "date"        # "date" or "relevance" (relevance only with text)


class Backend:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.path = store.path
        self._lock = threading.RLock()
        self.vector_backlog = 0  # memories the background embedder has not reached yet
        self.notices: list[str] = []  # from the last search: vectors off, a backlog in the background

    @classmethod
    def open(cls, path: Path | None = None) -> "Backend":
        return cls(open_store(path))

    def close(self) -> None:
        # A worker may still hold the lock (a slow search while the user quits): don't wait for it;
        # the process is ending and SQLite rolls back whatever it had not committed.
        if self._lock.acquire(timeout=1.0):
            try:
                self.store.close()
            finally:
                self._lock.release()

    def _locked(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return fn(*args, **kwargs)

    # --- reading -------------------------------------------------------------------------

    def filters(self, query: Query) -> Filters:
        """Raises MemError on an unknown type or a date phrase that does not parse."""
        from memcli.services import recall

        return recall.filters(types=[query.type], tags=[query.tag], sources=[query.source], since=query.since,
                              until=query.until)

    def page(self, query: Query, after: tuple[str, int] | None = None, limit: int = PAGE) -> list[Record]:
        from memcli.services import recall

        return self._locked(recall.page, self.store, self.filters(query), limit, after)

    def count(self, query: Query) -> int:
        from memcli.services import recall

        return self._locked(recall.count, self.store, self.filters(query))

    def search(self, query: Query, k: int = SEARCH_K,
               wanted: Callable[[], bool] = lambda: True) -> list[tuple[Record, float]] | None:
        """Hybrid search. Searches queue on the lock while the user types; `wanted` is asked once
        the lock is ours, so a superseded one returns None instead of running. Search as you type
        does not reinforce: a keystroke is not a use of a memory."""
        from memcli.services import recall

        filters = self.filters(query)
        with self._lock:
            if not wanted():
                return None
            found = recall.search(self.store, query.text, k=k, filters=filters, reinforce=False)
        self.vector_backlog = found.backlog
        self.notices = found.notices
        pairs = [(hit.record, hit.score) for hit in found.hits]
        if query.sort == "date":
            pairs.sort(key=lambda pair: (pair[0].observed_at, pair[0].id), reverse=True)
        return pairs

    def sources(self, limit: int = 500) -> list[str]:
        """Known sources, most used first, for the source filter's completion."""
        from memcli.services import recall

        return self._locked(recall.sources, self.store, limit)

    def detail(self, record_id: int) -> Detail:
        from memcli.services import recall

        return self._locked(recall.detail, self.store, record_id)

    def stats(self) -> dict[str, Any]:
        from memcli.services.stats import collect_with_history

        return self._locked(collect_with_history, self.store)

    # --- changing: every write goes through a service, one transaction each ---------------

    def add(self, text: str, type_: str, tags: list[str]) -> Any:
        from memcli.services.remember import build_record, remember

        record = build_record(text, type_, source="tui", tags=tags)
        return self._locked(remember, self.store, record, actor="tui")

    def edit(self, record_id: int, text: str) -> Record:
        """A new version supersedes the old one; the old one stays, ended, for history."""
        from memcli.services import forget

        with self._lock:
            old = forget.select(self.store, [record_id])
            result = forget.apply(self.store, forget.plan(self.store, old, "supersede", replace_with=text), actor="tui")
        assert result.replacement is not None
        return result.replacement

    def set_tags(self, record_id: int, tags: list[str]) -> Record:
        from memcli.services import edit

        return self._locked(edit.set_tags, self.store, record_id, tags, actor="tui")

    def set_pinned(self, record_id: int, pinned: bool) -> Record:
        from memcli.services import edit

        return self._locked(edit.set_pinned, self.store, record_id, pinned, actor="tui")

    def forget(self, record_id: int, mode: str = "release") -> Any:
        from memcli.services import forget

        with self._lock:
            targets = forget.select(self.store, [record_id])
            return forget.apply(self.store, forget.plan(self.store, targets, mode), actor="tui")

    def consolidate(self, settings: Any, progress: Callable[[str], None]) -> Any:
        """`settings`: the model resolved once when the app started (None: zero-LLM stages)."""
        from memcli.services import consolidate

        own = open_store(self.path)  # its own connection: a long run must not hold the browsing lock
        try:
            return consolidate.run(own, settings=settings, progress=progress)
        finally:
            own.close()
