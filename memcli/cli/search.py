"""`mem search`."""

from __future__ import annotations

from typing import Annotated, List

import typer

from memcli.cli import common

app = common.typer_app()


@app.command("search")
def search(
    query: Annotated[List[str], typer.Argument(metavar="QUERY...", help="What to look for, in plain words.")],
    k: Annotated[int, typer.Option("-k", metavar="N", help="How many results.")] = 10,
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
    from memcli.cli import searching

    searching.search(query, k, types=type_, tags=tag, sources=source, since=since, until=until, as_of=as_of,
                     include_all=all_, explain=explain, json_=json_)
