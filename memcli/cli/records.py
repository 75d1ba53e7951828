"""`mem add`, `mem show`, `mem list`."""

from __future__ import annotations

from typing import List, Optional

import typer
from typing import Annotated

from memcli.cli import common
from memcli.models import RECORD_TYPES

app = common.typer_app()


@app.command("add")
def add(
    text: Annotated[Optional[List[str]], typer.Argument(metavar="[TEXT]...", help="The memory. Use - (or nothing, with a pipe) to read stdin.")] = None,
    type_: Annotated[str, typer.Option("--type", "-t", metavar=common.TYPES, autocompletion=lambda: list(RECORD_TYPES),
                                       help="episodic (what happened), semantic (a fact) or procedural (a how-to).")] = "episodic",
    tag: Annotated[Optional[List[str]], typer.Option("--tag", metavar="TAG", help="A tag; repeatable.")] = None,
    at: Annotated[Optional[str], typer.Option("--at", metavar="WHEN", help="When it happened: ISO 8601 or a phrase ('yesterday 3pm'). Default: now.")] = None,
    source: Annotated[str, typer.Option("--source", metavar="SOURCE", help="Where it came from.")] = "cli",
    json_: common.JsonFlag = False,
) -> None:
    """Store a memory. A fact or how-to already current is not stored twice; an event is stored
    once per time it happened (the same text --at another time is another event).

    Example: mem add "Dentist is Dr Lee, Elm St" --type semantic --tag health
    """
    from memcli.cli import adding

    adding.add(text or [], type_, tag or (), at, source, json_)


@app.command("show")
def show(
    record_id: Annotated[int, typer.Argument(metavar="ID", help="The memory's id (as printed by add, search, list).")],
    json_: common.JsonFlag = False,
) -> None:
    """Show one memory: text, times, source, tags, validity, provenance and its events.

    Example: mem show 42 --json
    """
    from memcli.services import recall

    found = recall.detail(common.store(), record_id)
    record = found.record
    data = found.to_json()
    if json_:
        common.emit_json(data)
        return
    from rich.text import Text  # user text is never markup

    out = common.console()
    out.print(Text(f"#{record.id} {record.type}{common.state_marker(record)}  {common.short_time(record.observed_at)}",
                   style="bold"))
    out.print(Text(record.text))
    for label, key in (("source", "source"), ("ref", "source_ref"), ("session", "session"), ("speaker", "speaker"),
                       ("tags", "tags"), ("metadata", "metadata"), ("valid from", "valid_from"),
                       ("valid to", "valid_to"), ("superseded by", "superseded_by"),
                       ("derived from", "derived_from"), ("derived into", "derived_into")):
        value = data.get(key)
        if value in (None, "", [], {}):
            continue
        if key in ("superseded_by", "derived_from", "derived_into"):  # ids, written as mem prints them
            value = ", ".join(f"#{i}" for i in (value if isinstance(value, list) else [value]))
        elif key == "tags":
            value = " ".join(f"#{t}" for t in value)
        elif key in ("valid_from", "valid_to"):
            value = common.short_time(value)
        line = Text(f"{label}: ", style="dim")
        line.append(common.human(value))
        out.print(line, soft_wrap=True)
    line = Text("stored: ", style="dim")
    line.append(f"{common.short_time(record.created_at)}{'  pinned' if record.pinned else ''}")
    out.print(line)


@app.command("list")
def list_(
    type_: common.TypeFilter = None,
    tag: common.TagFilter = None,
    source: common.SourceFilter = None,
    since: common.SinceOption = None,
    until: common.UntilOption = None,
    as_of: common.AsOfOption = None,
    all_: common.AllFlag = False,
    limit: Annotated[int, typer.Option("--limit", "-n", metavar="N", help="How many to show.")] = 20,
    json_: common.JsonFlag = False,
) -> None:
    """List memories, newest first (by when they happened).

    Example: mem list --type semantic --limit 5
    """
    from memcli.services import recall

    filters = common.make_filters(type_, since, until, tag, source, as_of=as_of, include_all=all_)
    found = recall.recent(common.store(), filters, limit)
    if json_:
        common.emit_json([record.to_json() for record in found])
        return
    common.print_records([(record, None) for record in found])
