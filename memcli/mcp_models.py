"""What `mem mcp` tools return: typed results, so clients get an output schema for every tool.

Only the MCP server imports this module (pydantic is cheap, but nothing else needs it).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from memcli.models import Record


class Memory(BaseModel):
    id: int
    type: str = Field(description="episodic (an event), semantic (a fact) or procedural (a how-to)")
    text: str
    observed_at: str = Field(description="When it happened or was noted (local ISO 8601)")
    tags: list[str] = []
    source: str = Field(description="Where it came from: cli, mcp, shell, tui or the imported file")
    speaker: str | None = Field(None, description="Who said it, for chat and conversation turns")
    session: str | None = Field(None, description="The conversation or session it belongs to")

    @classmethod
    def of(cls, record: Record, **extra: Any) -> Any:
        return cls(id=record.id, type=record.type, text=record.text, observed_at=record.observed_at,
                   tags=record.tags, source=record.source, speaker=record.speaker, session=record.session,
                   **extra)


class Remembered(Memory):
    created: bool = Field(description="False when the same text of the same type was already stored")


class Found(Memory):
    score: float = Field(description="Relevance, higher is better (comparable within one result only)")


class Listed(BaseModel):
    memories: list[Memory]
    message: str | None = Field(None, description="Said instead of results when there are none")


class Recalled(BaseModel):
    memories: list[Found] = Field(description="Best first")
    message: str | None = Field(None, description="Said instead of results when there are none")
    notices: list[str] = Field([], description="Why the search was limited (vectors off, still embedding)")


class Cited(Memory):
    superseded: bool = Field(False, description="An older version of a fact, shown for questions about the past")
    highlight: str | None = Field(None, description="The sentence most likely to answer")


class Answered(BaseModel):
    answer: str
    citations: list[int] = Field(description="Ids of the memories the answer rests on")
    offline: bool = Field(description="True when no model wrote it: the best-matching memories' sentences")
    model: str | None = None
    notice: str | None = Field(None, description="Why the answer is offline, or how to get a model")
    memories: list[Cited] = Field(description="What the answer was drawn from")


class Released(BaseModel):
    op_id: str
    released: list[int]
    undo: str = Field(description="The command with which the user can bring them back")


class Version(BaseModel):
    id: int
    text: str
    observed_at: str
    valid_from: str | None = Field(None, description="When this version took over")
    valid_to: str | None = Field(None, description="When it stopped being true (null: still valid)")
    superseded_by: int | None = None
    current: bool = Field(description="The version search shows today")


class Superseded(BaseModel):
    op_id: str
    replaced: int = Field(description="The old version: kept in history, no longer current")
    memory: Memory = Field(description="The new current version")


class Shown(Memory):
    source_ref: str | None = Field(None, description="Where in the source: a file's chunk, a chat's turn")
    created_at: str
    valid_from: str | None = None
    valid_to: str | None = None
    superseded_by: int | None = None
    versions: list[Version] = Field(description="Every visible version, oldest first")
    derived_from: list[Memory] = Field(description="What this memory was derived from (provenance)")
    derived_into: list[Memory] = Field(description="Facts or digests derived from it")
    context: list[Memory] = Field(description="The turns around it in its session, in order")


class History(BaseModel):
    versions: list[Version] = Field(description="Oldest first")
