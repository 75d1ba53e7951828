"""The record, the one shape every layer passes around."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

RECORD_TYPES = ("episodic", "semantic", "procedural")
RECORD_STATES = ("active", "released", "archived")


def normalise(text: str) -> str:
    """What counts as 'the same text': Unicode-normalised, case-folded, spaces collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


@dataclass
class Record:
    type: str
    text: str
    observed_at: str
    created_at: str = ""
    source: str = "cli"
    source_ref: str | None = None
    session: str | None = None
    speaker: str | None = None
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""
    pinned: bool = False
    valid_from: str | None = None
    valid_to: str | None = None
    superseded_by: int | None = None
    state: str = "active"  # active, released (hidden, restorable), archived (decayed, restorable)
    strength: float = 1.0
    last_used_at: str | None = None
    use_count: int = 0
    id: int = 0  # 0 until stored: a stored record always has its (positive) id

    @property
    def is_head(self) -> bool:
        """The newest version: not superseded, validity not ended (store.visibility.head)."""
        return self.superseded_by is None and self.valid_to is None

    @property
    def is_current(self) -> bool:
        """What search shows by default: an active head (store.visibility.current)."""
        return self.state == "active" and self.is_head

    @classmethod
    def from_row(cls, row: Any) -> "Record":
        data = dict(row)
        data["tags"] = json.loads(data.get("tags") or "[]")
        data["metadata"] = json.loads(data.get("metadata") or "{}")
        data["pinned"] = bool(data.get("pinned"))
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self, **extra: Any) -> dict[str, Any]:
        data = asdict(self)
        ordered = {"id": data.pop("id"), "type": data.pop("type"), "text": data.pop("text")}
        ordered.update(extra)
        ordered.update(data)
        return ordered
