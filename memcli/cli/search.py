"""`mem search`."""

from __future__ import annotations

from typing import List

import typer
from typing import Annotated

from memcli.cli import common

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
    json_: common.JsonFlag = False,
) -> None:
    """Search memories. Any text is safe: punctuation and search operators are taken literally.

    Example: mem search passport renewal --since 2023 -k 5
    """
    from memcli.retrieve.search import search as run_search

    filters = common.make_filters(type_, since, until, tag, source, as_of=as_of, include_all=all_)
    hits = run_search(common.store(), " ".join(query), k=k, filters=filters)
    if json_:
        common.emit_json([hit.to_json() for hit in hits])
        return
    common.print_records([(hit.record, hit.score) for hit in hits])
