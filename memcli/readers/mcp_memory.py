"""The knowledge graph of the MCP reference memory server (`memory.jsonl`), one object a line:

    {"type": "entity", "name": "Ann_Lee", "entityType": "person", "observations": ["Speaks Portuguese"]}
    {"type": "relation", "from": "Ann_Lee", "to": "Acme", "relationType": "works_at"}

Each observation becomes a semantic memory naming its entity ("Ann_Lee: Speaks Portuguese"),
each relation one of its own ("Ann_Lee works_at Acme"). The file has no dates: memories take
its modification time. A memory is known by its entity and text, so ingesting the file again
after the server added to it stores only what is new (what it removed is kept).
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from memcli.readers import Item, ReadError
from memcli.readers.detect import ReadContext
from memcli.readers.jsonl import LineErrors, json_lines, sniff_lines
from memcli.timeparse import to_db


def _name(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def is_entity(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("type") == "entity" and _name(obj.get("name")) is not None \
        and isinstance(obj.get("observations", []), list)


def is_relation(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("type") == "relation" and all(
        _name(obj.get(key)) for key in ("from", "to", "relationType"))


def _ref(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:16]


class McpMemoryReader:
    name = "mcp-memory"
    global_ids = False

    def __init__(self, context: ReadContext | None = None) -> None:
        self.context = context or ReadContext()

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniff_lines(head, lambda obj: is_entity(obj) or is_relation(obj))

    def read(self, path: Path) -> Iterator[Item]:
        when = to_db(datetime.fromtimestamp(os.stat(path).st_mtime, tz=timezone.utc))
        errors = LineErrors(path, self.context)
        good = 0
        for number, obj in json_lines(path, self.context):
            if is_entity(obj):
                name, kind = _name(obj["name"]), _name(obj.get("entityType"))
                good += 1
                for observation in obj.get("observations") or []:
                    text = _name(observation)
                    if text is None:
                        continue
                    metadata = {"entity": name, "entity_type": kind, "line": number, "format": self.name}
                    yield Item(text=f"{name}: {text}", observed_at=when, type="semantic",
                               source_ref=f"entity:{_ref(name, text)}",  # type: ignore[arg-type]
                               metadata={k: v for k, v in metadata.items() if v is not None})
            elif is_relation(obj):
                good += 1
                source, relation, target = (_name(obj[k]) for k in ("from", "relationType", "to"))
                yield Item(text=f"{source} {relation} {target}", observed_at=when, type="semantic",
                           source_ref=f"relation:{_ref(source, relation, target)}",  # type: ignore[arg-type]
                           metadata={"entity": source, "relation": relation, "to": target, "line": number,
                                     "format": self.name})
            else:
                errors.add(number, str(obj) if isinstance(obj, ValueError)
                           else 'needs {"type": "entity", "name", "observations"} or {"type": "relation", "from", "to", "relationType"}')
        errors.finish()
        if good == 0:
            raise ReadError("no entities or relations of an MCP memory graph")
