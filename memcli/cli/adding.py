"""What `mem add` does once its arguments are read: shared by the typer command (cli/records.py)
and the fast path (cli/fast.py), so that both store and print exactly the same."""

from __future__ import annotations

import sys
from typing import Sequence

from memcli.cli.output import emit_json, short_time
from memcli.errors import MemError


def read_stdin() -> str:
    try:
        return sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MemError("stdin is not UTF-8 text", "convert it, e.g. with iconv -t utf-8") from exc
    except (OSError, ValueError) as exc:
        raise MemError(f"cannot read stdin: {exc}", "pass the text as arguments instead") from exc


def add(words: Sequence[str], type_: str = "episodic", tags: Sequence[str] = (), at: str | None = None,
        source: str = "cli", json_: bool = False) -> None:
    from memcli.services import StoreBusy, open_store
    from memcli.services.remember import build_record, remember
    from memcli.timeparse import parse_when, to_db

    words = list(words)
    if words in ([], ["-"]):
        if not words and sys.stdin.isatty():
            raise MemError("nothing to remember", "give the text as arguments or pipe it on stdin")
        body = read_stdin()
    else:
        body = " ".join(words)
    observed_at = to_db(parse_when(at)) if at else None
    record = build_record(body, type_, observed_at=observed_at, source=source, tags=tags)
    try:
        result = remember(open_store(), record)
    except StoreBusy as busy:  # never lose what was typed: keep it for the next command
        from memcli.services import pending

        kept = pending.save(record)
        if json_:
            emit_json({**record.to_json(created=False), "pending": str(kept)})
        print(f"{busy.message}; kept the memory in {kept}: the next mem command stores it", file=sys.stderr)
        return
    if json_:
        emit_json(result.record.to_json(created=result.created))
    elif result.created:
        print(f"Stored #{result.record.id} ({result.record.type}, {short_time(result.record.observed_at)})")
    else:
        print(f"Already stored as #{result.record.id}")
