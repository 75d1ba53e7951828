"""Readers turn a file format into records-to-be (`Item`s). One small module per format.

A reader has a `name`, a `sniff(path, head)` that says whether a file looks like its format,
and `read(path)` that yields items lazily, so large exports stream. Plugins add readers through
the `register_importers` hook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Protocol


@dataclass
class Item:
    text: str
    observed_at: str | None = None  # UTC ISO (timeparse.to_db); None: the reader's caller decides
    source_ref: str | None = None
    session: str | None = None
    speaker: str | None = None
    type: str = "episodic"
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


class Reader(Protocol):
    name: str

    def sniff(self, path: Path, head: bytes) -> bool: ...

    def read(self, path: Path) -> Iterator[Item]: ...


class ReadError(Exception):
    """The file cannot be read as this format; the message says why."""
