"""The JSON shapes models are asked to reply with (pydantic, so replies are validated).

The schema sent as `response_format` is strict and bounded (`maxItems`, `maxLength`): servers
that enforce it (llama.cpp, vLLM, OpenAI) cannot run into the token limit with an endless list.
Reading a reply is lenient where small models stray and a strict reading would throw the whole
reply away: a list item that does not fit is dropped and counted (`dropped`), a list longer
than its cap is cut (the rest counted too), a bare list stands for the one list field, a missing
list is empty, and ids written as "[3]" or "3" are read as 3.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Optional

from pydantic import AliasChoices, BaseModel, Field, PrivateAttr, ValidationError, field_validator, model_validator

MAX_ITEMS = 40           # facts or ops in one reply; a batch of 24 episodes rarely yields more
MAX_TEXT_CHARS = 500     # one fact, procedure or rewording
MAX_ANSWER_CHARS = 1000
MAX_CITATIONS = 8        # as many as memories are shown
MAX_STEPS = 12
NUMBER = re.compile(r"-?\d+")


def as_int(value: Any) -> Any:
    """3, "3", "[3]", "#3", "c3" -> 3; anything else unchanged (validation then rejects it)."""
    if isinstance(value, str):
        found = NUMBER.search(value)
        return int(found.group()) if found else value
    return value


def as_ints(value: Any) -> Any:
    """A list of ids, from a list, one id, or a string such as "1, 2"."""
    if value is None:
        return []
    if isinstance(value, str):
        return [int(n) for n in NUMBER.findall(value)]
    if isinstance(value, (int, float)):
        return [value]
    if isinstance(value, list):
        return [as_int(v) for v in value]
    return value


class Lenient(BaseModel):
    """Keeps what is usable in a reply; see the module docstring."""

    _dropped: int = PrivateAttr(0)

    @property
    def dropped(self) -> int:
        """Items left out: invalid, or beyond the list's cap."""
        return self._dropped

    @model_validator(mode="wrap")
    @classmethod
    def _keep_usable(cls, data: Any, handler: Any) -> Any:
        lists = {name: f for name, f in cls.model_fields.items() if _item_model(f.annotation)}
        if isinstance(data, list) and len(lists) == 1:
            data = {next(iter(lists)): data}
        dropped = 0
        if isinstance(data, dict):
            data = dict(data)
            for name, info in lists.items():
                raw = data.get(name)
                if raw is None:
                    data[name] = []
                    continue
                raw = raw if isinstance(raw, list) else [raw]
                model = _item_model(info.annotation)
                cap = _max_length(info)
                kept: list[Any] = []
                for position, item in enumerate(raw):
                    if len(kept) >= cap:
                        dropped += len(raw) - position  # counted, never validated: bounded work
                        break
                    try:
                        kept.append(model.model_validate(item))
                    except ValidationError:
                        dropped += 1
                data[name] = kept
        result = handler(data)
        result._dropped = dropped
        return result


def _item_model(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", ())
    if getattr(annotation, "__origin__", None) is list and args and isinstance(args[0], type) \
            and issubclass(args[0], BaseModel):
        return args[0]
    return None


def _max_length(info: Any) -> int:
    for meta in info.metadata:
        if getattr(meta, "max_length", None) is not None:
            return int(meta.max_length)
    return MAX_ITEMS


# --- mem ask -------------------------------------------------------------------------------------

class AskReply(BaseModel):
    answer: str = Field(validation_alias=AliasChoices("answer", "response", "text"), max_length=MAX_ANSWER_CHARS,
                        description="One or two sentences citing memory ids like [12], or the abstention")
    citations: list[int] = Field(max_length=MAX_CITATIONS, description="Ids of the memories the answer relies on")

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if isinstance(data.get("answer"), str):
                data["answer"] = data["answer"][:MAX_ANSWER_CHARS]
            data.setdefault("citations", [])  # the [id] marks in the answer count anyway
        return data

    @field_validator("citations", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        ids = as_ints(value)
        return ids[:MAX_CITATIONS] if isinstance(ids, list) else ids


# --- consolidation -------------------------------------------------------------------------------

class Extracted(BaseModel):
    text: str = Field(min_length=3, max_length=MAX_TEXT_CHARS,
                      validation_alias=AliasChoices("text", "fact", "content", "statement"))
    type: Literal["semantic", "procedural"] = "semantic"
    steps: list[str] = Field(default_factory=list, max_length=MAX_STEPS,
                             description="For a procedure: its steps in order; empty for a fact")
    sources: list[int] = Field(min_length=1, max_length=MAX_CITATIONS * 3,
                               validation_alias=AliasChoices("sources", "source", "episodes"))
    valid_from: Optional[str] = None

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> Any:
        value = str(value or "semantic").strip().lower()
        return {"fact": "semantic", "preference": "semantic", "procedure": "procedural"}.get(value, value)

    @field_validator("sources", mode="before")
    @classmethod
    def _sources(cls, value: Any) -> Any:
        return as_ints(value)

    @field_validator("steps", mode="before")
    @classmethod
    def _steps(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, list):
            return [str(step)[:MAX_TEXT_CHARS] for step in value[:MAX_STEPS]]
        return value


class Extraction(Lenient):
    items: list[Extracted] = Field(max_length=MAX_ITEMS)


class Decision(BaseModel):
    candidate: str
    op: Literal["ADD", "UPDATE", "SUPERSEDE", "NOOP"]
    target: Optional[int] = None
    text: Optional[str] = Field(None, max_length=MAX_TEXT_CHARS)

    @field_validator("candidate", mode="before")
    @classmethod
    def _candidate(cls, value: Any) -> Any:
        return f"c{value}" if isinstance(value, int) else value

    @field_validator("op", mode="before")
    @classmethod
    def _op(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("target", mode="before")
    @classmethod
    def _target(cls, value: Any) -> Any:
        return None if value in ("", "null", "none") else as_int(value)


class Reconciliation(Lenient):
    ops: list[Decision] = Field(max_length=MAX_ITEMS)


# --- eval and doctor -----------------------------------------------------------------------------

class Verdict(BaseModel):
    """An LLM judge's grade of one answer against the gold answer."""

    label: Literal["CORRECT", "WRONG"]

    @field_validator("label", mode="before")
    @classmethod
    def _label(cls, value: Any) -> Any:
        text = str(value).strip().upper()
        return {"INCORRECT": "WRONG", "TRUE": "CORRECT", "FALSE": "WRONG"}.get(text, text)


class Probe(BaseModel):
    """What `mem doctor` asks for to see that the model writes valid JSON."""

    ok: bool
