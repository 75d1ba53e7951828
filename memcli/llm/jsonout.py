"""Reading a model's JSON reply into a pydantic schema, and the message that asks for a repair."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from pydantic import BaseModel

T = TypeVar("T", bound="BaseModel")
FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL | re.IGNORECASE)


class OutputError(ValueError):
    """The reply is not JSON matching the schema; the message says what is wrong, briefly."""


def parse(text: str, schema: type[T]) -> T:
    body = text.strip()
    fenced = FENCE.match(body)
    if fenced:  # many models wrap JSON in a Markdown fence even when asked not to
        body = fenced.group(1)
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        start, end = body.find("{"), body.rfind("}")
        if start < 0 or end <= start:
            raise OutputError("the reply contains no JSON object") from None
        try:
            data = json.loads(body[start:end + 1])
        except json.JSONDecodeError as exc:
            raise OutputError(f"invalid JSON: {exc.msg} at character {exc.pos}") from None
    from pydantic import ValidationError

    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors()[:3])
        raise OutputError(f"JSON does not match the schema ({problems})") from None


def repair_request(problem: str, schema: "type[BaseModel]") -> str:
    shape = json.dumps(schema.model_json_schema(), separators=(",", ":"))
    return (f"Your reply could not be used: {problem}. Reply again with only one JSON object matching "
            f"this JSON schema, and nothing else: {shape}")
