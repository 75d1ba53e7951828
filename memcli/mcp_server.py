"""`mem mcp`: the user's memory as a Model Context Protocol server, so coding agents and desktop
assistants read and write the same memory as the terminal.

Tools: remember, recall, recent, show, history, ask (a cited answer: the configured model, else
extractive), supersede (correct a fact; the old version stays in history) and forget (release
only: hidden, restorable with `mem forget --undo OP`). Nothing an agent does here deletes, and
what the user released, archived or purged is never shown: every read uses the current view and
`hidden=False`. Resource: mem://recent, the newest memories.

Each tool call in flight has its own connection (Connections): `ask` can wait tens of seconds
on a model, and recall must answer meanwhile.

The SDK takes ~1 s to import: only `mem mcp` and the tests import this module.
"""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any, AsyncIterator, Callable, Iterator, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from memcli import __version__
from memcli.errors import MemError
from memcli.mcp_models import (Answered, Cited, Found, History, Listed, Memory, Recalled, Released, Remembered,
                               Shown, Superseded, Version)
from memcli.services import Store

RECENT = 20
MAX_K = 50
INSTRUCTIONS = (
    "The user's personal memory (mem). Call recall before answering questions about the user's past, "
    "preferences, people, projects or how they did something; call remember for facts worth keeping "
    "(type semantic for facts, procedural for how-tos, episodic for events); when a stored fact has "
    "changed, call supersede on it instead of remembering a contradiction; cite memory ids."
)

RecordType = Literal["episodic", "semantic", "procedural"]
Id = Annotated[int, Field(description="A memory id, as recall, recent or remember returned it")]
TypeFilter = Annotated[RecordType | None, Field(description="Only memories of this type")]
Tags = Annotated[list[str] | None, Field(description="Only memories carrying every one of these tags")]
Since = Annotated[str | None, Field(description="Only memories from this moment on: ISO 8601 or a phrase "
                                               "('last May', '2 weeks ago', '2024')")]
Until = Annotated[str | None, Field(description="Only memories up to the end of this moment or span "
                                               "(ISO 8601 or a phrase)")]
AsOf = Annotated[str | None, Field(description="What was known and true at that moment (ISO 8601 or a phrase): "
                                              "facts corrected since show as they were then")]

READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)


class Connections:
    """A connection per tool call in flight, reused once idle. A slow call holds only its own,
    so the others go on (WAL: readers never wait for a writer; writers queue on the busy timeout,
    and no write transaction spans a model call). Opening is serialised: a first open migrates."""

    def __init__(self, open_store: Callable[[], Store]) -> None:
        self._open = open_store
        self._idle: list[Store] = []
        self._lock = threading.Lock()

    @contextmanager
    def borrow(self) -> Iterator[Store]:
        with self._lock:
            store = self._idle.pop() if self._idle else self._open()
        try:
            yield store
        finally:
            with self._lock:
                self._idle.append(store)

    def close_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for store in idle:
            store.close()


def build_server(open_store: Callable[[], Store] | None = None) -> MCPServer:
    """The server; `open_store` defaults to the user's database (MEM_HOME / MEM_DB)."""
    from memcli.services import open_store as open_db

    connections = Connections(open_store or open_db)

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[None]:
        try:
            yield
        finally:
            connections.close_idle()

    server = MCPServer(name="mem", title="mem: your personal memory", version=__version__,
                       instructions=INSTRUCTIONS, log_level="WARNING", lifespan=lifespan)

    def call(work: Callable[[Store], Any]) -> Any:
        try:
            with connections.borrow() as store:
                return work(store)
        except MemError as error:  # the model reads the message and can correct itself
            raise ToolError(str(error)) from None

    def read_filters(type: str | None, tags: list[str] | None, since: str | None, until: str | None,
                     as_of: str | None) -> Any:
        from memcli.services import recall

        # The current view only (as_of: what was current then): never released or archived memories.
        return recall.filters(types=[type] if type else [], tags=tags or [], since=since, until=until, as_of=as_of)

    @server.tool(title="Remember", annotations=ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False))
    def remember(
        text: Annotated[str, Field(description="The memory, in words that will make sense later on their own")],
        type: Annotated[RecordType, Field(description="semantic for facts and preferences, procedural for "
                                                      "how-tos, episodic for events")] = "episodic",
        tags: Annotated[list[str] | None, Field(description="Short labels, e.g. ['health']")] = None,
        when: Annotated[str | None, Field(description="When it happened: ISO 8601 or a phrase like "
                                                      "'yesterday 3pm'; default now")] = None,
    ) -> Remembered:
        """Store a memory. The same text of the same type is stored once."""
        from memcli.services.remember import build_record, remember as store_record
        from memcli.timeparse import parse_when, to_db

        def work(store: Store) -> Remembered:
            observed = to_db(parse_when(when)) if when else None
            record = build_record(text, type, observed_at=observed, source="mcp", tags=tags or ())
            result = store_record(store, record, actor="mcp")
            return Remembered.of(result.record, created=result.created)

        return call(work)

    @server.tool(title="Recall", annotations=READ)
    def recall(
        query: Annotated[str, Field(description="What to look for, in words; time phrases like 'last May' "
                                                "narrow the dates")],
        k: Annotated[int, Field(ge=1, le=MAX_K, description="How many memories at most")] = 8,
        type: TypeFilter = None, tags: Tags = None, since: Since = None, until: Until = None, as_of: AsOf = None,
    ) -> Recalled:
        """Search the memory (full text and vectors) for the best memories, best first. Says
        'No memories found.' when nothing matches."""
        from memcli.services import recall as reading

        def work(store: Store) -> Recalled:
            filters = read_filters(type, tags, since, until, as_of)
            found = reading.search(store, query, k=k, filters=filters)
            return Recalled(memories=[Found.of(hit.record, score=round(hit.score, 4)) for hit in found.hits],
                            message=found.message, notices=found.notices)

        return call(work)

    @server.tool(title="Recent memories", annotations=READ)
    def recent(
        limit: Annotated[int, Field(ge=1, le=MAX_K, description="How many memories at most")] = RECENT,
        type: TypeFilter = None, tags: Tags = None, since: Since = None, until: Until = None, as_of: AsOf = None,
    ) -> Listed:
        """The newest memories, newest first, optionally filtered."""
        from memcli.services import recall as reading

        def work(store: Store) -> Listed:
            found = reading.recent(store, read_filters(type, tags, since, until, as_of), limit=limit)
            return Listed(memories=[Memory.of(record) for record in found],
                          message=None if found else reading.NOTHING_FOUND)

        return call(work)

    @server.tool(title="Show a memory", annotations=READ)
    def show(id: Id) -> Shown:
        """One memory by id with its provenance: its versions, what it was derived from, what was
        derived from it, and the turns around it in its session."""
        from memcli.services import recall as reading

        def work(store: Store) -> Shown:
            detail = reading.detail(store, id, hidden=False)
            record = detail.record
            return Shown.of(
                record, source_ref=record.source_ref, created_at=record.created_at, valid_from=record.valid_from,
                valid_to=record.valid_to, superseded_by=record.superseded_by,
                versions=[Version.model_validate(v) for v in detail.versions],
                derived_from=[Memory.of(r) for r in detail.sources],
                derived_into=[Memory.of(r) for r in detail.derived],
                context=[Memory.of(r) for _, r in detail.neighbours],
            )

        return call(work)

    @server.tool(title="History of a memory", annotations=READ)
    def history(id: Id) -> History:
        """Every version of a memory (any of its ids), oldest first: what it said, when each
        version was valid, and which one is current."""
        from memcli.services import recall as reading

        def work(store: Store) -> History:
            versions = reading.detail(store, id, hidden=False).versions
            return History(versions=[Version.model_validate(v) for v in versions])

        return call(work)

    @server.tool(title="Ask", annotations=ToolAnnotations(read_only_hint=True, open_world_hint=True))
    def ask(
        question: Annotated[str, Field(description="A question about the user's past, facts or how-tos")],
        as_of: Annotated[str | None, Field(description="Answer as at this moment (ISO 8601 or a phrase)")] = None,
    ) -> Answered:
        """Answer a question from the memory, citing memory ids: with the user's configured model
        (which may take a while), or without one the sentences of the best-matching memories."""
        from memcli.services.answer import ask as answer_question

        def work(store: Store) -> Answered:
            answer = answer_question(store, question, as_of=as_of)
            return Answered(
                answer=answer.text, citations=answer.citations, offline=answer.offline, model=answer.model,
                notice=answer.notice,
                memories=[Cited.of(hit.record, superseded=hit.record.id in answer.superseded,
                                   highlight=answer.highlights.get(hit.record.id)) for hit in answer.memories],
            )

        return call(work)

    @server.tool(title="Correct a memory", annotations=ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False))
    def supersede(
        id: Annotated[int, Field(description="The current version of the memory to correct")],
        text: Annotated[str, Field(description="The corrected memory, in full")],
    ) -> Superseded:
        """Correct a memory: a new version with `text` becomes current and the old one stays in its
        history (what was true before still answers questions about the past)."""
        from memcli.services import forget as forgetting

        def work(store: Store) -> Superseded:
            targets = visible(store, [id])
            result = forgetting.apply(store, forgetting.plan(store, targets, "supersede", replace_with=text),
                                      actor="mcp")
            assert result.replacement is not None
            return Superseded(op_id=result.op_id, replaced=id, memory=Memory.of(result.replacement))

        return call(work)

    @server.tool(title="Forget (release)", annotations=ToolAnnotations(
        read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False))
    def forget(ids: Annotated[list[int], Field(min_length=1, description="Ids of the memories to hide")]) -> Released:
        """Hide memories by id (release): they leave search and answers, but the user can bring them
        back with `mem forget --undo OP`. Nothing is deleted."""
        from memcli.services import forget as forgetting

        def work(store: Store) -> Released:
            targets = visible(store, ids)
            result = forgetting.apply(store, forgetting.plan(store, targets, "release"), actor="mcp")
            return Released(op_id=result.op_id, released=[r.id for r in targets],
                            undo=f"mem forget --undo {result.op_id}")

        return call(work)

    @server.resource("mem://recent", name="recent", mime_type="application/json",
                     description=f"The {RECENT} newest current memories, newest first.")
    def recent_resource() -> str:
        import json

        from memcli.services import recall as reading

        def work(store: Store) -> str:
            return json.dumps([Memory.of(r).model_dump() for r in reading.recent(store, limit=RECENT)],
                              ensure_ascii=False)

        return call(work)

    return server


def visible(store: Store, ids: list[int]) -> list[Any]:
    """The current memories `ids` name, or MemError: what the user released or archived is not
    there for an agent, not even to act on."""
    from memcli.services import forget as forgetting

    targets = forgetting.select(store, ids=ids)
    hidden = [r.id for r in targets if r.state != "active"]
    if hidden:
        raise MemError(f"no memory with id {', '.join(map(str, hidden))}", "find ids with recall or recent")
    return targets


def serve() -> None:
    """Run over stdio until the client hangs up."""
    build_server().run()
