"""Messages workers post back to the UI thread (post_message is thread-safe).

Results carry the `generation` of the request that asked for them: the list bumps it on every
new query, and drops answers to older ones (an exclusive worker is cancelled, but a thread
that already finished its query may still post).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from memcli.models import Record


@dataclass
class PageLoaded(Message):
    generation: int
    records: list[Record]
    first: bool            # the first page of a new query: replaces the rows
    exhausted: bool        # no more pages after this one


@dataclass
class CountLoaded(Message):
    generation: int
    total: int


@dataclass
class SearchDone(Message):
    generation: int
    hits: list[tuple[Record, float]]
    backlog: int = 0       # memories the dense channel could not see yet (no vectors)
    notices: list[str] = field(default_factory=list)  # vectors off, embedding in the background


@dataclass
class LoadFailed(Message):
    generation: int
    error: str


@dataclass
class SourcesLoaded(Message):
    sources: list[str]


@dataclass
class DetailLoaded(Message):
    detail: Any            # backend.Detail


@dataclass
class MemoriesChanged(Message):
    """A write finished: lists and detail panes reload; `select` is the record to show."""

    select: int | None
    note: str
    gone: int | None = None   # a record no longer current (released, superseded, purged)


@dataclass
class ConsolidateProgress(Message):
    text: str


@dataclass
class ConsolidateDone(Message):
    summary: str
    ok: bool


@dataclass
class StatsLoaded(Message):
    data: dict[str, Any]
