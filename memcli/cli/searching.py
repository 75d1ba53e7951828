"""What `mem search` does once its arguments are read: shared by the typer command
(cli/search.py) and the fast path (cli/fast.py), so that both search and print the same."""

from __future__ import annotations

from typing import Any, Sequence

from memcli.cli.listing import human, make_filters, print_notices, print_records, say_nothing
from memcli.cli.output import emit_json


def search(words: Sequence[str], k: int = 10, *, types: Sequence[str] | None = None,
           tags: Sequence[str] | None = None, sources: Sequence[str] | None = None, since: str | None = None,
           until: str | None = None, as_of: str | None = None, include_all: bool = False,
           explain: bool = False, json_: bool = False) -> None:
    from memcli.services import open_store, recall

    query = " ".join(words)
    filters = make_filters(types, since, until, tags, sources, as_of=as_of, include_all=include_all)
    results = recall.search(open_store(), query, k=k, filters=filters)
    print_notices(results.notices)
    if json_:
        emit_json(results.to_json())
        return
    if results.empty_store:
        say_nothing(results.message or "")
        return
    print_records([(hit.record, hit.score) for hit in results.hits], query)
    if explain:
        for hit in results.hits:
            print(f"  #{hit.record.id}: {explain_line(hit.signals)}")


def explain_line(signals: dict[str, Any]) -> str:
    """A hit's signals as words: `lexical rank 1 (bm25 0.88); session 0.5; total 1.05`."""
    parts = []
    for name, value in signals.items():
        if isinstance(value, dict):
            rest = ", ".join(f"{key} {human(item)}" for key, item in value.items() if key != "rank")
            rank = f" rank {value['rank']}" if value.get("rank") is not None else ""
            parts.append(f"{name}{rank}" + (f" ({rest})" if rest else ""))
        else:
            parts.append(f"{name} {human(value)}")
    return "; ".join(parts)
