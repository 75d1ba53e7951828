"""Reading a model's JSON reply into a pydantic schema, and the message that asks for a repair.

Small local models often ignore "reply with only JSON": they wrap it in a Markdown fence, put
prose before or after it, think aloud in <think> tags first, or answer with a bare list. All of
these parse; the size of what is parsed is bounded so that a hostile server cannot make a reply
cost unbounded time or memory.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from pydantic import BaseModel

T = TypeVar("T", bound="BaseModel")
MAX_REPLY_CHARS = 2_000_000  # honest replies at our max_tokens stay under ~10k characters
MAX_STARTS = 20  # positions tried when JSON sits inside prose
FENCED = re.compile(r"```(?:json|JSON)?[ \t]*\n?(.*?)```", re.DOTALL)
THINKING = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)


class OutputError(ValueError):
    """The reply is not JSON matching the schema; the message says what is wrong, briefly."""


def parse(text: str, schema: type[T]) -> T:
    if len(text) > MAX_REPLY_CHARS:
        raise OutputError(f"the reply is too long ({len(text):,} characters)")
    data = find_json(THINKING.sub("", text).strip())
    from pydantic import ValidationError

    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors()[:3])
        raise OutputError(f"JSON does not match the schema ({problems})") from None


def find_json(body: str) -> Any:
    """The first JSON object (or array) in `body`: the whole text, a fenced block, or a value
    embedded in prose."""
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        first_error = exc
    for block in FENCED.findall(body)[:MAX_STARTS]:
        try:
            return json.loads(block.strip())
        except json.JSONDecodeError:
            continue
    decoder = json.JSONDecoder()
    starts = [m.start() for m in re.finditer(r"[{\[]", body)]
    if not starts:
        raise OutputError("the reply contains no JSON object")
    found: list[Any] = []
    for start in starts[:MAX_STARTS]:
        try:
            value, _ = decoder.raw_decode(body, start)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value  # an object wins over an earlier bracketed aside like "[1]"
        found.append(value)
    lists = [value for value in found if isinstance(value, list) and value and isinstance(value[0], dict)]
    if lists:
        return lists[0]
    raise OutputError(f"invalid JSON: {first_error.msg} at character {first_error.pos}")


def repair_request(problem: str, schema: "type[BaseModel]") -> str:
    shape = json.dumps(schema.model_json_schema(), separators=(",", ":"))
    return (f"Your reply could not be used: {problem}. Reply again with only one JSON object matching "
            f"this JSON schema, and nothing else: {shape}")
