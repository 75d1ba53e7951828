"""How records read on screen: dates in local time, one-line text, short source names."""

from __future__ import annotations

import os

from memcli.models import Record
from memcli.timeparse import from_db


def local(stamp: str | None, minutes: bool = True) -> str:
    if not stamp:
        return ""
    moment = from_db(stamp).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M" if minutes else "%Y-%m-%d")


def one_line(text: str, width: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: max(width - 1, 0)] + "…"


def source_label(source: str) -> str:
    """File sources by their name: the full path is in the detail pane."""
    return os.path.basename(source.rstrip("/")) or source if os.sep in source else source


def type_label(record: Record) -> str:
    return record.type + ("*" if record.pinned else "")


def status_of(record: Record) -> str:
    if record.state != "active":
        return record.state
    if record.superseded_by:
        return f"superseded by #{record.superseded_by}"
    if record.valid_to:
        return "ended"
    return "current"
