"""CLI, TUI and MCP read through one service, so the same query and filters give the same hits
(tests/test_architecture.py keeps them from reaching the store any other way)."""

from __future__ import annotations

from typing import Any

import pytest

QUERIES = [
    ("passport", {}),
    ("lisbon trip", {"type": "episodic"}),
    ("dentist", {"type": "semantic"}),
    ("lisbon", {"since": "2024-05-02", "until": "2024-06-30"}),
    ("deploy blog", {"tag": "work"}),
    ("zebra quantum", {}),  # nothing: all three say so
]


@pytest.fixture
def seeded(mem) -> int:
    mem("add", "Renewed my passport at the post office", "--at", "2024-04-02T10:00")
    mem("add", "Booked the Lisbon trip, flights on the 9th", "--at", "2024-05-03T09:30")
    mem("add", "The Lisbon hotel is near the river", "--at", "2024-05-04T18:00", "--tag", "travel")
    mem("add", "Lisbon again next year, maybe in spring", "--at", "2024-07-01T12:00")
    mem("add", "My dentist is Dr Lee on Elm Street", "--type", "semantic", "--tag", "health")
    mem("add", "The old dentist was Dr Kahn", "--type", "semantic")
    mem("add", "To deploy the blog: git pull, make build, make deploy", "--type", "procedural", "--tag", "work")
    hidden = mem.json("add", "Lisbon passport copy is in the drawer")["id"]
    mem("forget", str(hidden), "--yes")  # released: none of them may show it
    return hidden


def cli_ids(mem: Any, query: str, filters: dict[str, str]) -> list[int]:
    args = ["search", query, "-k", "50"]
    for key, value in filters.items():
        args += [f"--{key}", value]
    return [hit["id"] for hit in mem.json(*args)]


def tui_ids(query: str, filters: dict[str, str]) -> list[int]:
    from memcli.tui.backend import Backend, Query

    backend = Backend.open()
    try:
        found = backend.search(Query(text=query, sort="relevance", **filters), k=50) or []
    finally:
        backend.close()
    return [record.id for record, _ in found]


def mcp_ids(query: str, filters: dict[str, str]) -> list[int]:
    pytest.importorskip("mcp")
    import anyio
    from mcp import Client

    from memcli.mcp_server import build_server

    arguments: dict[str, Any] = {"query": query, "k": 50}
    for key, value in filters.items():
        arguments["tags" if key == "tag" else key] = [value] if key == "tag" else value

    async def call() -> list[int]:
        async with Client(build_server()) as client:
            result = await client.call_tool("recall", arguments)
            return [memory["id"] for memory in result.structured_content["memories"]]

    return anyio.run(call)


@pytest.mark.parametrize("query, filters", QUERIES)
def test_cli_tui_and_mcp_give_the_same_hits(mem, seeded, query, filters):
    from_cli = cli_ids(mem, query, filters)
    assert from_cli == tui_ids(query, filters) == mcp_ids(query, filters)
    assert seeded not in from_cli
    if query == "zebra quantum":
        assert from_cli == []
    else:
        assert from_cli, "the seeded store has an answer for every other query"
