"""`mem search`."""

from __future__ import annotations

from typing import Annotated, List

import typer

from memcli.cli import common
from memcli.errors import MemError

app = common.typer_app()


@app.command("search")
def search(
    query: Annotated[List[str], typer.Argument(metavar="QUERY...", help="What to look for, in plain words.")],
    k: Annotated[int, typer.Option("-k", help="How many results.")] = 10,
    type_: common.TypeFilter = None,
    tag: common.TagFilter = None,
    source: common.SourceFilter = None,
    since: common.SinceOption = None,
    until: common.UntilOption = None,
    as_of: common.AsOfOption = None,
    all_: common.AllFlag = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show each signal's rank and score per hit.")] = False,
    json_: common.JsonFlag = False,
) -> None:
    """Search memories: full text with session context, vectors when an embedder is set, names,
    dates ("last May") and type cues, fused into one ranking. Any text is safe to type.

    Example: mem search passport renewal --since 2023 -k 5 --explain
    """
    from memcli.retrieve.search import SHOWN_RELATIVE, search as run_search
    from memcli.store import records
    from memcli.timeparse import from_db

    store = common.store()
    filters = common.make_filters(type_, since, until, tag, source, as_of=as_of, include_all=all_)
    if not records.any_exist(store):
        raise MemError("the database has no memories yet", "add some with mem add or mem ingest")
    now = from_db(filters.as_of) if filters.as_of else None
    hits = run_search(store, " ".join(query), k=k, filters=filters, now=now, min_relative=SHOWN_RELATIVE)
    common.reinforce(store, [hit.record.id for hit in hits])
    if json_:
        common.emit_json([hit.to_json() for hit in hits])
        return
    common.print_records([(hit.record, hit.score) for hit in hits])
    if explain:
        out = common.console()
        for hit in hits:
            parts = "  ".join(f"{name}={value}" for name, value in hit.signals.items())
            out.print(f"  #{hit.record.id}: {parts}", markup=False, highlight=False)
