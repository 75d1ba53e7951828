"""`mem mcp`: the tools and the resource through the SDK's client, in-process and over real stdio."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import threading

import pytest

pytest.importorskip("mcp")

from mcp import Client, StdioServerParameters  # noqa: E402

import memcli  # noqa: E402
from memcli.mcp_server import build_server  # noqa: E402
from tests.llm_stub import answer  # noqa: E402

TOOLS = {"remember", "recall", "recent", "show", "history", "ask", "supersede", "forget"}
READ_ONLY = {"recall", "recent", "show", "history", "ask"}


def run(coro):
    return asyncio.run(coro)


async def _session(calls):
    async with Client(build_server()) as client:
        return [await call(client) for call in calls]


def call(name, **arguments):
    async def go(client):
        return await client.call_tool(name, arguments)
    return go


def tool(name, **arguments):
    """One tool call in a session of its own; the structured result, or the error's text."""
    (result,) = run(_session([call(name, **arguments)]))
    return result.content[0].text if result.is_error else result.structured_content


def add(mem, *args) -> int:
    return mem.json("add", *args)["id"]


def test_tools_describe_themselves():
    async def go():
        async with Client(build_server()) as client:
            tools = (await client.list_tools()).tools
            resources = {str(r.uri) for r in (await client.list_resources()).resources}
            return client.server_info, tools, resources
    info, tools, resources = run(go())
    assert info.name == "mem" and info.version == memcli.__version__
    assert {t.name for t in tools} == TOOLS and resources == {"mem://recent"}
    for t in tools:
        assert t.title and t.description, t.name
        assert t.annotations.read_only_hint is (t.name in READ_ONLY), t.name
        assert all(p.get("description") for p in t.input_schema["properties"].values()), t.name
        assert t.output_schema and t.output_schema["type"] == "object", t.name
    by_name = {t.name: t for t in tools}
    assert by_name["forget"].annotations.destructive_hint is True
    assert by_name["remember"].annotations.destructive_hint is False
    assert by_name["supersede"].annotations.destructive_hint is False  # the old version stays in history
    assert by_name["recall"].output_schema["properties"]["memories"]["type"] == "array"
    assert set(by_name["recall"].input_schema["properties"]) == {"query", "k", "type", "tags", "since", "until",
                                                                 "as_of"}


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
    assert found.structured_content["message"] is None
    answer_ = answered.structured_content
    assert answer_["offline"] is True and "Dr Lee" in answer_["answer"] + json.dumps(answer_["memories"])
    # The CLI sees what the agent stored, and forget through MCP only releases.
    assert mem.json("show", str(record["id"]))["source"] == "mcp"
    released = tool("forget", ids=[record["id"]])
    assert released["released"] == [record["id"]] and released["undo"] == f"mem forget --undo {released['op_id']}"
    assert mem.json("list") == []
    assert mem.json("show", str(record["id"]))["state"] == "released"
    mem("forget", "--undo", released["op_id"])
    assert [r["id"] for r in mem.json("list")] == [record["id"]]


def test_results_carry_speaker_and_session(mem, tmp_path):
    chat = tmp_path / "chat.jsonl"
    chat.write_text(
        '{"role": "Ann", "content": "The cabin key is under the blue pot", "timestamp": "2024-03-01T10:00:00Z", '
        '"session": "trip"}\n'
        '{"role": "Bob", "content": "Thanks, see you Friday", "timestamp": "2024-03-01T10:01:00Z", "session": "trip"}\n'
    )
    mem("ingest", str(chat))
    found = tool("recall", query="cabin key")["memories"][0]
    assert (found["speaker"], found["session"]) == ("Ann", "trip")
    shown = tool("show", id=found["id"])
    assert [(m["speaker"], m["text"]) for m in shown["context"]] == [("Bob", "Thanks, see you Friday")]
    recent = tool("recent")["memories"]
    assert {(m["speaker"], m["session"]) for m in recent} == {("Ann", "trip"), ("Bob", "trip")}
    cited = tool("ask", question="where is the cabin key?")["memories"][0]
    assert (cited["speaker"], cited["session"]) == ("Ann", "trip")


def test_nothing_found_says_so():
    assert tool("recall", query="anything")["message"].startswith("No memories yet")
    tool("remember", text="The boiler code is 4417")
    nothing = tool("recall", query="passport renewal")
    assert nothing["memories"] == [] and nothing["message"] == "No memories found."
    assert tool("recent", type="procedural") == {"memories": [], "message": "No memories found."}


def test_recall_and_recent_filter_by_type_tag_and_dates(mem):
    old = add(mem, "Garden: planted tomatoes", "--at", "2023-05-10", "--tag", "garden")
    new = add(mem, "Garden: planted basil", "--at", "2024-05-10", "--tag", "garden")
    fact = add(mem, "Garden: the soil is clay", "--type", "semantic", "--tag", "garden")
    other = add(mem, "Garden: shed painted green", "--at", "2024-06-01")

    def recall_ids(**filters):
        return [m["id"] for m in tool("recall", query="garden", k=10, **filters)["memories"]]

    def recent_ids(**filters):
        return [m["id"] for m in tool("recent", **filters)["memories"]]

    assert sorted(recall_ids()) == sorted([old, new, fact, other])
    assert recall_ids(type="semantic") == [fact] == recent_ids(type="semantic")
    assert sorted(recall_ids(tags=["garden"])) == sorted([old, new, fact])
    assert recall_ids(since="2023-01-01", until="2023-12-31") == [old] == recent_ids(since="2023-01-01", until="2023")
    assert recent_ids(until="2024-05-31", type="episodic") == [new, old]
    assert sorted(recall_ids(since="May 2024", until="May 2024")) == [new]
    # as_of: what was known then (the fact and the shed were not recorded yet in mid-2024).
    assert recent_ids(as_of="2024-05-20") == [new, old]
    bad = tool("recall", query="garden", since="the day after never")
    assert isinstance(bad, str) and "the day after never" in bad


def test_supersede_corrects_a_fact_and_keeps_its_history(mem):
    old = add(mem, "I live in Lisbon", "--type", "semantic")
    corrected = tool("supersede", id=old, text="I live in Berlin")
    new = corrected["memory"]["id"]
    assert corrected["replaced"] == old and corrected["memory"]["text"] == "I live in Berlin"
    assert [m["text"] for m in tool("recall", query="where do I live")["memories"]] == ["I live in Berlin"]
    versions = tool("history", id=old)["versions"]
    assert [(v["id"], v["current"]) for v in versions] == [(old, False), (new, True)]
    assert versions[0]["superseded_by"] == new and versions[0]["valid_to"]
    assert tool("show", id=old)["superseded_by"] == new
    assert [v["id"] for v in mem.json("history", str(new))] == [old, new]  # the CLI agrees
    # Only the current version can be corrected, and only with words.
    assert "old version" in tool("supersede", id=old, text="I live in Porto")
    assert "needs the new text" in tool("supersede", id=new, text="  ")
    assert "no memory with id 999" in tool("supersede", id=999, text="x")


def test_what_the_user_released_or_purged_never_reaches_mcp(mem, tmp_path):
    chat = tmp_path / "chat.jsonl"
    chat.write_text(
        '{"role": "Ann", "content": "My bank PIN hint is the lighthouse", "timestamp": "2024-03-01T10:00:00Z", '
        '"session": "s"}\n'
        '{"role": "Ann", "content": "The lighthouse tour starts at nine", "timestamp": "2024-03-01T10:01:00Z", '
        '"session": "s"}\n'
    )
    mem("ingest", str(chat))
    secret, kept = sorted(r["id"] for r in mem.json("list"))
    purged = add(mem, "Old lighthouse door code 1234")
    mem("forget", str(secret), "--yes")
    mem("forget", str(purged), "--purge", "--yes")

    async def go():
        async with Client(build_server()) as client:
            results = [await client.call_tool(name, args) for name, args in [
                ("recall", {"query": "lighthouse bank PIN door code", "k": 50}),
                ("recall", {"query": "lighthouse", "as_of": "2030-01-01"}),
                ("recent", {"limit": 50}), ("show", {"id": kept}), ("history", {"id": kept}),
                ("ask", {"question": "what is my bank PIN hint?"}),
            ]]
            refused = [await client.call_tool(name, args) for name, args in [
                ("show", {"id": secret}), ("history", {"id": secret}), ("show", {"id": purged}),
                ("history", {"id": purged}), ("supersede", {"id": secret, "text": "x"}),
                ("forget", {"ids": [secret]}),
            ]]
            resource = await client.read_resource("mem://recent")
            return results, refused, resource
    results, refused, resource = run(go())
    seen = json.dumps([r.structured_content for r in results]) + resource.contents[0].text
    assert "lighthouse tour" in seen  # the neighbour is still there
    assert "PIN" not in seen and "1234" not in seen
    assert f'"id": {secret},' not in seen and f'"id": {purged},' not in seen
    assert all(r.is_error and "no memory with id" in r.content[0].text for r in refused)
    assert mem.json("show", str(secret))["state"] == "released"  # the agent's forget did not touch it


def test_a_slow_answer_does_not_hold_up_recall(mem, llm):
    dentist = add(mem, "Dentist is Dr Lee on Elm St", "--type", "semantic")
    asked, answer_now = threading.Event(), threading.Event()

    def slow_model(body):
        asked.set()
        answer_now.wait(30)  # the model "thinks" until the test lets it answer
        return answer(f"Dr Lee [{dentist}].", [dentist])
    llm.responder = slow_model
    order = []

    async def go():
        async with Client(build_server()) as client:
            async def ask():
                result = await client.call_tool("ask", {"question": "who is my dentist?"})
                order.append("ask")
                return result
            asking = asyncio.create_task(ask())
            assert await asyncio.to_thread(asked.wait, 30)  # the model call is under way
            found = await client.call_tool("recall", {"query": "dentist"})
            order.append("recall")
            answer_now.set()
            return found, await asking
    found, answered = run(go())
    assert order == ["recall", "ask"]
    assert [m["id"] for m in found.structured_content["memories"]] == [dentist]
    assert answered.structured_content["offline"] is False
    assert answered.structured_content["citations"] == [dentist]


def test_bad_input_is_a_tool_error_not_a_crash():
    empty, missing, nothing, no_ids, too_many = run(_session([
        call("remember", text="   "),
        call("forget", ids=[424242]),
        call("recall", query="!!!"),
        call("forget", ids=[]),
        call("recall", query="x", k=500),
    ]))
    assert empty.is_error and "text is empty" in empty.content[0].text
    assert missing.is_error and "no memory with id 424242" in missing.content[0].text
    assert nothing.is_error and "nothing to search for" in nothing.content[0].text
    assert no_ids.is_error and too_many.is_error


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
                                   env={"MEM_HOME": str(mem_home), "MEM_LOAD_PLUGINS": "", "MEM_EMBED_MODEL": "none",
                                        "PATH": os.environ.get("PATH", "")})

    async def go():
        async with Client(params) as client:
            tools = (await client.list_tools()).tools
            added = await client.call_tool("remember", {"text": "The boiler code is 4417", "type": "semantic"})
            fixed = await client.call_tool("supersede", {"id": added.structured_content["id"],
                                                         "text": "The boiler code is 5520"})
            found = await client.call_tool("recall", {"query": "boiler code"})
            versions = await client.call_tool("history", {"id": added.structured_content["id"]})
            return client.server_info, tools, found, versions, fixed
    info, tools, found, versions, fixed = run(go())
    assert info.version == memcli.__version__ and {t.name for t in tools} == TOOLS
    assert not fixed.is_error
    assert [m["text"] for m in found.structured_content["memories"]] == ["The boiler code is 5520"]
    assert [v["text"] for v in versions.structured_content["versions"]] == ["The boiler code is 4417",
                                                                            "The boiler code is 5520"]


def test_readme_has_client_snippets_and_every_tool():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### MCP\n", 1)[1].split("\n## ", 1)[0]
    configs = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", section, re.S)]
    assert len(configs) == 2 and "claude_desktop_config.json" in section and ".cursor/mcp.json" in section
    for config in configs:
        server = config["mcpServers"]["mem"]
        assert server["command"].startswith("/") and server["args"] == ["mcp"] and "MEM_HOME" in server["env"]
    (claude_code,) = [line for line in section.splitlines() if line.startswith("claude mcp add")]
    assert "--env MEM_HOME=/" in claude_code and claude_code.endswith("-- /home/you/.local/mem/bin/mem mcp")
    listed = re.findall(r"^- `(\w+)` — ", section, re.M)
    assert sorted(listed) == sorted(TOOLS)
