"""The JSON shapes models are asked to reply with (pydantic, so replies are validated)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AskReply(BaseModel):
    answer: str = Field(description="One or two sentences, citing memory ids like [12]")
    citations: list[int] = Field(description="Ids of the memories the answer relies on")
