"""Output helpers that need neither typer nor rich (the fast path of `mem add` uses them)."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def short_time(stamp: str | None) -> str:
    """A stored UTC time shown in local time, to the minute."""
    if not stamp:
        return ""
    from memcli.timeparse import from_db

    return from_db(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
