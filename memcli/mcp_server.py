"""`mem mcp`: the user's memory as a Model Context Protocol server, so coding agents and desktop
assistants read and write the same memory as the terminal.

Tools: remember (add), recall (search), ask (a cited answer: the configured model, else
extractive), forget (release only: hidden, restorable with `mem forget --undo OP`; nothing an
agent does here deletes). Resource: mem://recent, the newest memories.

The SDK takes ~1 s to import: only `mem mcp` and the tests import this module.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from memcli.errors import MemError
from memcli.store import Store

RECENT = 20
RecordType = Literal["episodic", "semantic", "procedural"]
INSTRUCTIONS = (
    "The user's personal memory (mem). Call recall before answering questions about the user's past, "
    "preferences, people, projects or how they did something; call remember for facts worth keeping "
    "(type semantic for facts, procedural for how-tos, episodic for events); cite memory ids."
)


def _brief(record: Any, **extra: Any) -> dict[str, Any]:
    return {"id": record.id, "type": record.type, "text": record.text, "observed_at": record.observed_at,
            "tags": record.tags, "source": record.source, "speaker": record.speaker, "session": record.session,
            **extra}


def build_server(open_store: Callable[[], Store] | None = None) -> MCPServer:
    """The server; `open_store` defaults to the user's database (MEM_HOME / MEM_DB)."""
    from memcli.store import open_db

    server = MCPServer(name="mem", instructions=INSTRUCTIONS, log_level="WARNING")
    lock = threading.Lock()  # sync tools run in worker threads; one connection, one caller at a time
    opened: list[Store] = []

    def call(work: Callable[[Store], Any]) -> Any:
        with lock:
            try:
                if not opened:
                    opened.append((open_store or open_db)())
                return work(opened[0])
            except MemError as error:  # the model reads the message and can correct itself
                raise ToolError(str(error)) from None

    @server.tool()
    def remember(text: str, type: RecordType = "episodic", tags: list[str] | None = None,
                 when: str | None = None) -> dict[str, Any]:
        """Store a memory. `when`: when it happened (ISO 8601 or a phrase like 'yesterday 3pm'), default now.
        The same text of the same type is stored once."""
        from memcli.services.remember import build_record, remember as store_record
        from memcli.timeparse import parse_when, to_db

        def work(store: Store) -> dict[str, Any]:
            observed = to_db(parse_when(when)) if when else None
            record = build_record(text, type, observed_at=observed, source="mcp", tags=tags or ())
            result = store_record(store, record, actor="mcp")
            return _brief(result.record, created=result.created)

        return call(work)

    @server.tool()
    def recall(query: str, k: int = 8, type: RecordType | None = None, since: str | None = None) -> dict[str, Any]:
        """Search the memory (full text + vectors, time phrases like 'last May' understood).
        Returns the best `k` memories, best first."""
        from memcli.services import recall

        def work(store: Store) -> dict[str, Any]:
            filters = recall.filters(types=[type] if type else [], since=since)
            found = recall.search(store, query, k=max(1, min(k, 50)), filters=filters)
            result: dict[str, Any] = {"memories": [_brief(hit.record, score=round(hit.score, 4)) for hit in found.hits]}
            if found.message:
                result["message"] = found.message
            if found.notices:
                result["notices"] = found.notices
            return result

        return call(work)

    @server.tool()
    def ask(question: str) -> dict[str, Any]:
        """Answer a question from the memory, citing memory ids: with the user's configured model,
        or (without one) the sentences of the best-matching memories."""
        from memcli.services.answer import ask as answer_question

        def work(store: Store) -> dict[str, Any]:
            answer = answer_question(store, question)
            return {"answer": answer.text, "citations": answer.citations, "offline": answer.offline,
                    "model": answer.model, "notice": answer.notice,
                    "memories": [_brief(hit.record) for hit in answer.memories]}

        return call(work)

    @server.tool()
    def forget(ids: list[int]) -> dict[str, Any]:
        """Hide memories by id (release): they leave search and answers but stay restorable by the
        user with `mem forget --undo OP`. Nothing is deleted."""
        from memcli.services import forget as forgetting

        def work(store: Store) -> dict[str, Any]:
            if not ids:
                raise MemError("no ids given", "pass the ids recall returned")
            targets = forgetting.select(store, ids=ids)
            result = forgetting.apply(store, forgetting.plan(store, targets, "release"), actor="mcp")
            return {"op_id": result.op_id, "released": [r.id for r in targets],
                    "undo": f"mem forget --undo {result.op_id}"}

        return call(work)

    @server.resource("mem://recent", name="recent", mime_type="application/json",
                     description=f"The {RECENT} newest current memories, newest first.")
    def recent() -> str:
        import json

        from memcli.services import recall

        def work(store: Store) -> str:
            return json.dumps([_brief(record) for record in recall.recent(store, limit=RECENT)], ensure_ascii=False)

        return call(work)

    return server


def serve() -> None:
    """Run over stdio until the client hangs up."""
    build_server().run()
