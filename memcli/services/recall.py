"""Reading memories: the one path `mem` (CLI), the TUI and the MCP server take.

Front ends format; the rules live here:
- filters are built from what a person typed (types, tags, sources, dates as phrases, --all);
- a search is bounded (k), keeps the relevance rules of retrieve.search (no evidence, no hit),
  leaves out hits far below the best for people, says when the store is empty, catches the
  vector channel up as services.embedding decides, and reports notices instead of printing;
- what a person was shown (a search) or what an answer cited grows stronger against decay;
- a record's detail carries its versions, provenance, session neighbours and events, and hidden
  (released or archived) records are shown only to front ends that ask for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

from memcli.errors import MemError
from memcli.models import Record
from memcli.services.remember import check_id
from memcli.retrieve.search import SHOWN_RELATIVE, Hit
from memcli.store import Store, records
from memcli.store.records import Filters

EMPTY_HINT = "add some with mem add or mem ingest"
NOTHING_FOUND = "No memories found."


def filters(types: Sequence[str] | None = None, since: str | None = None, until: str | None = None,
            tags: Sequence[str] | None = None, sources: Sequence[str] | None = None, as_of: str | None = None,
            include_all: bool = False, view: str | None = None) -> Filters:
    """Filters from typed values; raises MemError on an unknown type, an empty tag or a date
    that does not parse. `include_all` shows released, archived and ended memories too."""
    from memcli.services.remember import check_type, clean_tags
    from memcli.timeparse import parse_when, to_db

    chosen = view or ("all" if include_all else "current")
    if chosen not in ("current", "history", "all"):
        raise MemError(f"unknown view {chosen!r}", "use current, history or all")
    return Filters(
        types=[check_type(t) for t in types or () if t],
        since=to_db(parse_when(since)) if since and since.strip() else None,
        until=to_db(parse_when(until, end=True)) if until and until.strip() else None,
        tags=clean_tags([t for t in tags or () if t.strip()]),
        sources=[s.strip() for s in sources or () if s.strip()],
        as_of=to_db(parse_when(as_of, end=True)) if as_of and as_of.strip() else None,
        view=chosen,  # type: ignore[arg-type]
    )


@dataclass
class Results:
    query: str
    hits: list[Hit]
    notices: list[str] = field(default_factory=list)
    backlog: int = 0              # memories the vector channel does not cover yet
    empty_store: bool = False

    @property
    def message(self) -> str | None:
        """What to tell a person instead of results, or None when there are some."""
        if self.empty_store:
            return f"No memories yet: {EMPTY_HINT}."
        return None if self.hits else NOTHING_FOUND

    def to_json(self) -> list[dict[str, Any]]:
        return [hit.to_json() for hit in self.hits]


def search(store: Store, query: str, *, k: int = 10, filters: Filters | None = None, now: datetime | None = None,
           for_people: bool = True, reinforce: bool = True, embed: bool = True, sync: bool = True) -> Results:
    """The best memories for `query`, with evidence. `for_people` leaves out hits far below the
    best (a benchmark wants every slot); `reinforce` strengthens what was shown (not for
    search-as-you-type); `embed` lets the vector channel take part (catching up as the embedding
    rule says)."""
    from memcli.retrieve.search import check_query, search as rank
    from memcli.services.embedding import Upkeep, prepare
    from memcli.timeparse import from_db

    check_query(query, k)
    filters = filters or Filters()
    if not records.any_exist(store):
        return Results(query, [], empty_store=True)
    if now is None and filters.as_of:
        now = from_db(filters.as_of)  # relative words count from the moment asked about
    upkeep = prepare(store) if embed else Upkeep()
    hits = rank(store, query, k=k, filters=filters, now=now, embedder=upkeep.embedder, sync=sync,
                min_relative=SHOWN_RELATIVE if for_people else 0.0)
    if reinforce:
        strengthen(store, [hit.record.id for hit in hits])
    return Results(query, hits, upkeep.notices, upkeep.backlog)


def strengthen(store: Store, ids: list[int], boost: float = 1.0) -> None:
    """Memories a person was shown, or an answer cited, grow stronger against decay (see
    services.consolidate.decay). Never fails the read: a busy or read-only db skips it."""
    if not ids:
        return
    from memcli.store import derived
    from memcli.timeparse import now_local, to_db

    try:
        with store.transaction():
            derived.touch(store, ids, to_db(now_local()), boost)
    except store.sqlite.OperationalError:
        pass


MAX_LIMIT = 10_000_000


def recent(store: Store, filters: Filters | None = None, limit: int = 20, offset: int = 0) -> list[Record]:
    if limit < 1:
        raise MemError(f"--limit must be at least 1 (got {limit})", "ask for one or more")
    if limit > MAX_LIMIT:
        raise MemError(f"--limit must be at most {MAX_LIMIT:,} (got {limit})", "ask for fewer")
    return records.list_recent(store, filters or Filters(), limit, offset)


def sources(store: Store, limit: int = 500) -> list[str]:
    """Known sources, most used first (the TUI's source filter completes them)."""
    return list(records.counts_by(store, "source"))[:limit]


def page(store: Store, filters: Filters, limit: int, after: tuple[str, int] | None = None) -> list[Record]:
    """Newest first, keyset-paged: the TUI's list."""
    from memcli.store import edits

    return edits.page(store, filters, limit, after)


def count(store: Store, filters: Filters) -> int:
    from memcli.store import edits

    return edits.count_matching(store, filters)


@dataclass
class Detail:
    record: Record
    versions: list[dict[str, Any]]            # services.history.history, oldest first
    sources: list[Record]                     # what it was derived from (provenance)
    derived: list[Record]                     # what was derived from it
    neighbours: list[tuple[int, Record]]      # (offset, turn) around an episode in its session
    events: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return self.record.to_json(
            derived_from=[r.id for r in self.sources], derived_into=[r.id for r in self.derived],
            events=self.events,
        )


def get(store: Store, record_id: int, *, hidden: bool = True) -> Record:
    """One record by id; MemError when there is none (or it is hidden and `hidden` is False)."""
    record = records.get(store, check_id(record_id))
    if record is None or (not hidden and record.state != "active"):
        raise MemError(f"no memory with id {record_id}", "find ids with mem search or mem list")
    return record


def detail(store: Store, record_id: int, *, hidden: bool = True) -> Detail:
    from memcli.retrieve import fts_index
    from memcli.services.history import history
    from memcli.store import events

    record = get(store, record_id, hidden=hidden)
    from_ids = records.derived_from(store, record.id)
    into_ids = records.derived_into(store, record.id)
    around = fts_index.neighbours(store, [record.id]).get(record.id, [])
    linked = records.get_many(store, [*from_ids, *into_ids, *(i for _, i in around)])
    visible = (lambda r: True) if hidden else (lambda r: r.state == "active")
    return Detail(
        record=record,
        versions=[v for v in history(store, record.id) if hidden or v["state"] == "active"],
        sources=[linked[i] for i in from_ids if i in linked and visible(linked[i])],
        derived=[linked[i] for i in into_ids if i in linked and visible(linked[i])],
        neighbours=sorted((offset, linked[i]) for offset, i in around if i in linked and visible(linked[i])),
        events=events.for_record(store, record.id),
    )


