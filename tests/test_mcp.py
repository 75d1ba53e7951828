"""`mem mcp`: the tools and the resource through the SDK's client, in-process and over real stdio."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest

pytest.importorskip("mcp")

from mcp import Client, StdioServerParameters  # noqa: E402

from memcli.mcp_server import build_server  # noqa: E402


def run(coro):
    return asyncio.run(coro)


async def _session(calls):
    async with Client(build_server()) as client:
        return [await call(client) for call in calls]


def call(name, **arguments):
    async def go(client):
        return await client.call_tool(name, arguments)
    return go


def test_tools_and_resource_are_listed():
    async def go():
        async with Client(build_server()) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            resources = {str(r.uri) for r in (await client.list_resources()).resources}
            return tools, resources
    tools, resources = run(go())
    assert tools == {"remember", "recall", "ask", "forget"}
    assert resources == {"mem://recent"}


def test_remember_recall_ask_forget(mem):
    added, again, found, answered = run(_session([
        call("remember", text="Dentist is Dr Lee on Elm St", type="semantic", tags=["health"]),
        call("remember", text="Dentist is Dr Lee on Elm St", type="semantic"),
        call("recall", query="dentist"),
        call("ask", question="Who is my dentist?"),
    ]))
    record = added.structured_content
    assert record["created"] is True and record["source"] == "mcp" and record["tags"] == ["health"]
    assert again.structured_content["created"] is False and again.structured_content["id"] == record["id"]
    assert [m["id"] for m in found.structured_content["memories"]] == [record["id"]]
    answer = answered.structured_content
    assert answer["offline"] is True and "Dr Lee" in answer["answer"] + json.dumps(answer["memories"])
    # The CLI sees what the agent stored, and forget through MCP only releases.
    assert mem.json("show", str(record["id"]))["source"] == "mcp"
    (released,) = run(_session([call("forget", ids=[record["id"]])]))
    assert released.structured_content["released"] == [record["id"]]
    assert mem.json("list") == []
    assert mem.json("show", str(record["id"]))["state"] == "released"
    mem("forget", "--undo", released.structured_content["op_id"])
    assert [r["id"] for r in mem.json("list")] == [record["id"]]


def test_bad_input_is_a_tool_error_not_a_crash():
    empty, missing, nothing = run(_session([
        call("remember", text="   "),
        call("forget", ids=[424242]),
        call("recall", query="!!!"),
    ]))
    assert empty.is_error and "text is empty" in empty.content[0].text
    assert missing.is_error and "no memory with id 424242" in missing.content[0].text
    assert nothing.is_error and "nothing to search for" in nothing.content[0].text


def test_recent_resource(mem):
    mem("add", "older note", "--at", "2024-01-01T10:00")
    mem("add", "newer note")

    async def go():
        async with Client(build_server()) as client:
            return await client.read_resource("mem://recent")
    result = run(go())
    assert [m["text"] for m in json.loads(result.contents[0].text)] == ["newer note", "older note"]


def test_over_real_stdio(mem_home):
    params = StdioServerParameters(command=sys.executable, args=["-m", "memcli", "mcp"],
                                   env={"MEM_HOME": str(mem_home), "MEM_LOAD_PLUGINS": "",
                                        "PATH": os.environ.get("PATH", "")})

    async def go():
        async with Client(params) as client:
            added = await client.call_tool("remember", {"text": "The boiler code is 4417", "type": "semantic"})
            found = await client.call_tool("recall", {"query": "boiler code"})
            return added, found
    added, found = run(go())
    assert not added.is_error
    assert found.structured_content["memories"][0]["text"] == "The boiler code is 4417"
