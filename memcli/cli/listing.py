"""How memories are listed and reported, without typer: shared by the typer commands (through
cli/common.py) and by the fast path of `mem search` (cli/fast.py), so both print the same."""

from __future__ import annotations

import sys
from typing import Any, Iterable, Optional

from memcli.cli.output import short_time


def print_notices(notices: Iterable[str]) -> None:
    """Degradation notices (vectors off, a backlog embedding in the background) go to stderr."""
    for notice in notices:
        print(f"Note: {notice}", file=sys.stderr)


def console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def human(value: Any) -> str:
    """A value as a person reads it: lists joined, mappings as key=value, no Python reprs."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(human(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}={human(item)}" for key, item in value.items())
    return str(value)


def make_filters(types: Iterable[str] | None = None, since: str | None = None, until: str | None = None,
                 tags: Iterable[str] | None = None, sources: Iterable[str] | None = None,
                 as_of: str | None = None, include_all: bool = False) -> Any:
    from memcli.services.recall import filters

    return filters(list(types or ()), since, until, list(tags or ()), list(sources or ()), as_of, include_all)


def state_marker(record: Any) -> str:
    """Shown next to the type when `--all` lets hidden or ended memories through."""
    if record.state != "active":
        return f" [{record.state}]"
    if not record.is_head:
        return " [ended]"
    return ""


LINE_CHARS = 200  # of a memory's text in a listing: a line a person can read, long enough to grep


def record_text(record: Any, query: str | None = None) -> Any:
    """A memory's text on one line as a rich Text (never parsed as markup): the snippet around
    the query's words when searching, with those words marked, else its start; then its tags."""
    from rich.text import Text

    from memcli.cli.snippet import snippet

    found = snippet(record.text, query or "", LINE_CHARS)
    text = Text(found.text)
    for start, end in found.spans if query else ():
        text.stylize("bold yellow", start, end)
    if record.tags:
        text.append("  " + " ".join(f"#{t}" for t in record.tags))
    return text


def say_nothing(message: str) -> None:
    """'No memories found.': on a terminal where the results would be; piped, on stderr, so that
    `mem search x | wc -l` counts memories only."""
    print(message, file=sys.stdout if console().is_terminal else sys.stderr)


def print_records(rows: list[tuple[Any, Optional[float]]], query: str | None = None) -> None:
    """One memory per line: id, date, type (and state), text. On a terminal a table whose text
    column wraps, matches in bold; piped, plain lines `#ID  DATE TIME  type  text` that grep and
    cut can take (no padding, no colour), like `git log --oneline`."""
    out = console()
    if not rows:
        say_nothing("No memories found.")
        return
    if not out.is_terminal:
        for record, _ in rows:
            line = record_text(record, query).plain
            print(f"#{record.id}  {short_time(record.observed_at)}  {record.type}{state_marker(record)}  {line}")
        return
    from rich.table import Table
    from rich.text import Text  # user text is never markup

    table = Table(box=None, show_header=False, pad_edge=False, expand=False)
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("when", style="dim", no_wrap=True)
    table.add_column("type", no_wrap=True)
    table.add_column("text", overflow="fold")
    for record, _ in rows:
        table.add_row(Text(f"#{record.id}"), Text(short_time(record.observed_at)),
                      Text(record.type + state_marker(record)), record_text(record, query))
    out.print(table)
