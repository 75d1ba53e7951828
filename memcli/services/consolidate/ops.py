"""What a consolidation stage proposes: a list of ops, printed by --dry-run, applied otherwise."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Op:
    kind: str                       # merge, procedure, digest, archive, add, update, supersede, noop
    text: str = ""                  # the new or rewritten text, if any
    target: int | None = None       # the existing record acted on
    sources: list[int] = field(default_factory=list)  # episodes / records it comes from
    type: str = "semantic"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "", [], {})}

    def describe(self) -> str:
        head = f"{self.kind.upper():10s}"
        if self.target is not None:
            head += f" #{self.target}"
        if self.text:
            head += f" {self.text[:90]}"
        if self.sources:
            shown = ", ".join(f"#{s}" for s in self.sources[:6])
            head += f"  (from {shown}{'…' if len(self.sources) > 6 else ''})"
        return head
