"""`mem search`."""

from __future__ import annotations

from typing import Annotated, Any, List

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
    from memcli.services import recall

    store = common.store()
    filters = common.make_filters(type_, since, until, tag, source, as_of=as_of, include_all=all_)
    results = recall.search(store, " ".join(query), k=k, filters=filters)
    common.print_notices(results.notices)
    hits = results.hits
    if json_:
        common.emit_json(results.to_json())
        return
    if results.empty_store:
        common.say_nothing(results.message or "")
        return
    common.print_records([(hit.record, hit.score) for hit in hits], " ".join(query))
    if explain:
        for hit in hits:
            print(f"  #{hit.record.id}: {explain_line(hit.signals)}")


def explain_line(signals: dict[str, Any]) -> str:
    """A hit's signals as words: `lexical rank 1 (bm25 0.88); session 0.5; total 1.05`."""
    parts = []
    for name, value in signals.items():
        if isinstance(value, dict):
            rest = ", ".join(f"{key} {common.human(item)}" for key, item in value.items() if key != "rank")
            rank = f" rank {value['rank']}" if value.get("rank") is not None else ""
            parts.append(f"{name}{rank}" + (f" ({rest})" if rest else ""))
        else:
            parts.append(f"{name} {common.human(value)}")
    return "; ".join(parts)
