"""The lifecycle a person can trust: what is added is found, what is forgotten stays out, what is
purged is gone, ids only grow, nothing is silently dropped. One test (or a few) per defect of the
lifecycle issue, each through the real CLI against a real database file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from memcli.services import spool
from tests.test_forget import add_derived
from tests.test_hook import append, line


def ids(hits: list[dict[str, Any]]) -> list[int]:
    return [hit["id"] for hit in hits]


def data_files(mem_home: Path) -> list[Path]:
    return [p for p in mem_home.rglob("*") if p.is_file()]


def files_containing(mem_home: Path, needle: str) -> list[str]:
    raw = needle.encode()
    return [str(p.relative_to(mem_home)) for p in data_files(mem_home) if raw in p.read_bytes()]


# --- 1. ids only grow --------------------------------------------------------------------------

def test_an_id_is_never_given_out_twice_after_a_purge(mem):
    a = mem.json("add", "alpha apricot")["id"]
    b = mem.json("add", "bravo blueberry")["id"]
    mem("forget", str(b), "--purge", "--yes")
    c = mem.json("add", "charlie cherry")["id"]
    assert a < b < c
    shown = mem.json("show", str(c))
    assert [e["action"] for e in shown["events"]] == ["add"]  # nothing of the purged #b
    assert [v["id"] for v in mem.json("history", str(c))] == [c]
    mem("show", str(b), code=2)


def test_ids_grow_after_an_undone_consolidation_and_after_an_import(mem, mem_home, monkeypatch, tmp_path):
    turns = [f"Planning the garden, part {n}: tomatoes, beans and a small pond near the fence." for n in range(6)]
    chat = tmp_path / "chat.jsonl"
    chat.write_text("".join(json.dumps({"session": "g", "role": "me", "content": t,
                                        "timestamp": f"2024-04-0{n + 1}T10:00:00Z", "id": f"t{n}"}) + "\n"
                            for n, t in enumerate(turns)))
    mem("ingest", str(chat))
    run = mem.json("consolidate", "--offline")
    digest_ids = [r["id"] for r in mem.json("list", "--source", "consolidate", "--all")]
    assert digest_ids
    mem("consolidate", "--undo", run["run_id"])
    after_undo = mem.json("add", "after the undo")["id"]
    assert after_undo > max(digest_ids)
    mem("forget", str(after_undo), "--purge", "--yes")  # the newest id, gone before the export
    mem("export", "-o", str(tmp_path / "all.jsonl"))
    monkeypatch.setenv("MEM_DB", str(tmp_path / "copy.db"))
    mem("import", str(tmp_path / "all.jsonl"))
    assert mem.json("add", "after the import")["id"] > after_undo


# --- 2. ask never answers from released memories -------------------------------------------------

def test_ask_never_shows_released_memories_but_marks_superseded_ones(mem):
    released = mem.json("add", "My locker code is 4512", "--type", "semantic")["id"]
    mem("forget", str(released), "--yes")
    answer = mem.json("ask", "what is my locker code?")
    assert answer["memories"] == [] and answer["citations"] == []
    old = mem.json("add", "I live in Paris", "--type", "semantic", "--at", "2023-01-01")["id"]
    new = mem.json("forget", str(old), "--replace-with", "I live in Berlin", "--yes")["replacement"]
    answer = mem.json("ask", "where do I live?")
    shown = {m["id"]: m["superseded"] for m in answer["memories"]}
    assert shown == {new: False, old: True}  # the old one answers "where did I live", marked as such
    assert ids(answer["memories"])[0] == new  # current facts first


def test_mcp_ask_and_recall_never_see_released_memories(mem):
    pytest.importorskip("mcp")
    import anyio
    from mcp import Client

    from memcli.mcp_server import build_server

    kept = mem.json("add", "The spare key is under the blue pot", "--type", "semantic")["id"]
    hidden = mem.json("add", "The spare key used to be in the mailbox", "--type", "semantic")["id"]
    mem("forget", str(hidden), "--yes")

    async def scenario() -> tuple[Any, Any]:
        async with Client(build_server()) as client:
            recall = await client.call_tool("recall", {"query": "spare key"})
            ask = await client.call_tool("ask", {"question": "where is the spare key?"})
            return recall.structured_content, ask.structured_content

    recall, ask = anyio.run(scenario)
    assert ids(recall["memories"]) == [kept]
    assert ids(ask["memories"]) == [kept] and hidden not in ask["citations"]


# --- 3. "nothing found" is an answer -----------------------------------------------------------------

def test_search_says_nothing_found_and_ask_abstains(mem):
    mem("add", "Bought a new road bike for commuting")
    mem("add", "My dentist is Dr Lee", "--type", "semantic")
    result = mem("search", "zebra quantum")  # piped: results (none) on stdout, the message on stderr
    assert result.stdout == "" and result.stderr.strip() == "No memories found." and result.exit_code == 0
    assert mem.json("search", "zebra quantum") == []
    answer = mem.json("ask", "what is my blood type?")
    assert answer["memories"] == [] and answer["citations"] == []
    assert "I don't have a memory of that" in mem("ask", "what is my blood type?").stdout


# --- 4. a repeated event is another event ----------------------------------------------------------

def test_the_same_event_on_three_days_is_three_memories(mem):
    days = ["2024-05-01T07:00", "2024-05-03T07:00", "2024-05-06T07:00"]
    made = [mem.json("add", "Went to the gym", "--at", day) for day in days]
    assert [m["created"] for m in made] == [True, True, True] and len({m["id"] for m in made}) == 3
    again = mem.json("add", "Went to the gym", "--at", days[0])  # the same moment: the same event
    assert again["created"] is False and again["id"] == made[0]["id"]
    assert len(mem.json("search", "gym")) == 3
    fact = mem.json("add", "I go to the gym on Mondays", "--type", "semantic")
    assert mem.json("add", "I go to the gym on Mondays", "--type", "semantic")["id"] == fact["id"]


def test_a_released_fact_added_again_is_current_again(mem):
    first = mem.json("add", "My bank is Nordbank", "--type", "semantic")["id"]
    mem("forget", str(first), "--yes")
    again = mem.json("add", "My bank is Nordbank", "--type", "semantic")
    assert again["created"] is True and again["id"] > first
    assert ids(mem.json("search", "Nordbank")) == [again["id"]]


# --- 5. purge takes every version and nothing written afterwards ------------------------------------

def test_purge_by_match_takes_superseded_versions_and_leaves_no_trace(mem, mem_home):
    v1 = mem.json("add", "Ann's phone is 0612 998877", "--type", "semantic")["id"]
    v2 = mem.json("forget", str(v1), "--replace-with", "Ann's phone is 0612 998877 (mobile)", "--yes")["replacement"]
    plan = mem.json("forget", "--match", "998877", "--purge", "--dry-run")
    assert plan["targets"] == [v1, v2]
    mem("forget", "--match", "998877", "--purge", "--yes")
    mem("compact")
    assert files_containing(mem_home, "998877") == []


def test_purging_an_old_version_keeps_the_replacement_the_user_wrote(mem):
    old = mem.json("add", "I work at Nexora", "--type", "semantic")["id"]
    new = mem.json("forget", str(old), "--replace-with", "I work at Fernwood since May", "--yes")["replacement"]
    out = mem.json("forget", str(old), "--purge", "--yes")
    assert out["targets"] == [old] and out["cascade"] == []
    assert mem.json("show", str(new))["text"] == "I work at Fernwood since May"
    assert ids(mem.json("search", "Fernwood")) == [new]


def test_purging_a_version_takes_the_older_ones_with_it(mem):
    v1 = mem.json("add", "Wifi password is tulip-77", "--type", "semantic")["id"]
    v2 = mem.json("forget", str(v1), "--replace-with", "Wifi password is tulip-78", "--yes")["replacement"]
    out = mem.json("forget", str(v2), "--purge", "--yes")
    assert out["targets"] == [v1, v2]
    assert mem.json("list", "--all") == []


def test_released_and_archived_memories_can_be_purged_by_match(mem):
    hidden = mem.json("add", "Old address: 12 Elm Road")["id"]
    mem("forget", str(hidden), "--yes")
    assert mem.json("forget", "--match", "Elm Road", "--dry-run")["targets"] == []  # release: only current ones
    assert mem.json("forget", "--match", "Elm Road", "--purge", "--dry-run")["targets"] == [hidden]


def test_the_plan_reads_as_a_sentence(mem, mem_home):
    episode = mem.json("add", "Met Zed at the climbing gym")["id"]
    add_derived(mem_home, "Zed climbs", [episode])
    text = mem("forget", str(episode), "--purge", "--dry-run").stdout
    assert "Will and purge" not in text and "Would also purge 1 memory derived from them" in text


def test_a_purged_turn_leaves_no_copy_in_a_digest(mem, mem_home, tmp_path):
    turns = ["We talked about the trip to Lisbon in the spring with the whole family.",
             "For the Lisbon trip my passport number is X4471-SECRET, the Lisbon hotel and the Lisbon flights need it.",
             "The hotel near the river in Lisbon looks lovely and not too expensive.",
             "Let us book the flights to Lisbon this weekend before prices go up again.",
             "I will ask my sister whether she wants to join us for the Lisbon trip.",
             "We should also plan a day trip to Sintra to see the palaces and gardens."]
    chat = tmp_path / "chat.jsonl"
    chat.write_text("".join(json.dumps({"session": "trip", "role": "me", "content": t,
                                        "timestamp": f"2024-04-0{n + 1}T10:00:00Z", "id": f"t{n}"}) + "\n"
                            for n, t in enumerate(turns)))
    mem("ingest", str(chat))
    mem("consolidate", "--offline")
    assert any("X4471" in r["text"] for r in mem.json("list", "--source", "consolidate"))  # the digest quotes it
    out = mem.json("forget", "--match", "X4471-SECRET", "--purge", "--yes")
    assert len(out["targets"]) == 2 and len(out["requeued"]) == 5  # the turn and its digest; the rest again
    mem("compact")
    assert files_containing(mem_home, "X4471") == []


# --- 6. one large input never stalls later reads ----------------------------------------------------

class SpyEmbedder:
    name = "spy/test"
    dim = 4

    def __init__(self) -> None:
        self.seen: list[int] = []

    def embed_documents(self, texts: list[str]) -> Any:
        import numpy as np

        self.seen += [len(t) for t in texts]
        return np.ones((len(texts), self.dim), dtype=np.float32) / 2

    def embed_query(self, text: str) -> Any:
        import numpy as np

        return np.ones(self.dim, dtype=np.float32) / 2


def test_what_an_embedder_reads_is_bounded_whatever_the_input(mem, monkeypatch):
    from memcli.retrieve import embedding

    spy = SpyEmbedder()
    monkeypatch.setenv("MEM_EMBED_MODEL", "spy/test")
    monkeypatch.setitem(embedding._loaded, "spy/test", (spy, None))
    mem("add", "small note about zebras")
    mem("add", input="word " * 1_000_000)  # 5 MB in one memory
    assert "small note about zebras" in mem("search", "zebras").stdout
    assert spy.seen and max(spy.seen) <= embedding.MAX_EMBED_CHARS


# --- 7. time words are a window, not content ---------------------------------------------------------

def test_last_week_is_a_window_not_two_words(mem):
    inside = mem.json("add", "Repaired the fence", "--at", "2026-11-25T10:00")["id"]
    mem("add", "Last year was a long week of rain", "--at", "2026-03-02T10:00")
    found = mem.json("ask", "what did I do last week?", "--as-of", "2026-12-02")
    assert ids(found["memories"]) == [inside]


def test_last_summer_asked_in_december_is_this_years(mem):
    mem("add", "Hiked in the Alps", "--at", "2025-07-10T10:00")
    this_year = mem.json("add", "Hiked in the Pyrenees", "--at", "2026-07-10T10:00")["id"]
    found = mem.json("ask", "where did I hike last summer?", "--as-of", "2026-12-15")
    assert ids(found["memories"])[0] == this_year


# --- 8. no raw secret stays on disk after a drain ------------------------------------------------------

def test_after_a_drain_no_raw_secret_is_left_in_the_spool(mem, mem_home):
    secret = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    append(line(f"git push https://user:{secret}@github.com/me/repo".encode(), 1))
    mem("hook", "ingest")
    assert secret not in " ".join(r["text"] for r in mem.json("list", "--source", "shell"))
    assert files_containing(mem_home, secret) == []
    for path in spool.spool_dir().iterdir():
        assert oct(path.stat().st_mode & 0o777) == "0o600", path


# --- 9. edits and sources agree -----------------------------------------------------------------------------

def test_an_edited_note_chunk_stays_the_one_current_copy_when_the_note_is_ingested_again(mem, tmp_path):
    from memcli.tui.backend import Backend

    note = tmp_path / "notes" / "garden.md"
    note.parent.mkdir()
    note.write_text("# Garden\nTomatoes go in after the last frost.\n")
    mem("ingest", str(note.parent))
    chunk = mem.json("search", "tomatoes")[0]["id"]
    backend = Backend.open()
    edited = backend.edit(chunk, "Tomatoes go in after the last frost, in mid May.")
    backend.close()
    mem("ingest", str(note.parent))
    assert ids(mem.json("search", "tomatoes")) == [edited.id]


def test_watch_ends_deleted_notes_and_a_rename_makes_no_duplicate(mem, tmp_path):
    from memcli.services import watch
    from memcli.store import open_db

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# Plums\nThe plum tree needs pruning in February.\n")
    (notes / "b.md").write_text("# Bees\nThe bees swarmed in June.\n")
    store = open_db()
    watch._ingest(store, [str(notes / "a.md"), str(notes / "b.md")])
    os.rename(notes / "a.md", notes / "plums.md")
    (notes / "b.md").unlink()
    watch._ingest(store, [str(notes / "a.md"), str(notes / "plums.md"), str(notes / "b.md")])
    store.close()
    assert [h["source"] for h in mem.json("search", "plum")] == [str(notes / "plums.md")]
    assert mem.json("search", "bees") == []


# --- 10. bad input gets one line, never a traceback ----------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["show", "9223372036854775808"], ["history", "9223372036854775808"], ["forget", "9223372036854775808", "--yes"],
    ["restore", "9223372036854775808"], ["tag", "99999999999999999999", "x"], ["pin", "0"],
    ["add", "x", "--at", "0001-01-01"], ["add", "x", "--at", "9999-12-31T23:59:59-01:00"],
    ["add", "x", "--at", "10000000 years ago"], ["search", "x", "--since", "10000000 years ago"],
    ["list", "--until", "0000-00-00"], ["ask", "x", "--as-of", "99999-01-01"],
])
def test_out_of_range_ids_and_dates_get_one_line(mem, args):
    mem("add", "keep me")
    result = mem(*args, code=2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert [r["text"] for r in mem.json("list")] == ["keep me"]


@pytest.mark.parametrize("args", [["add", "broken \udcff text"], ["add", "x", "--tag", "t\udcff"],
                                  ["search", "broken \udcff"], ["ask", "broken \udcff?"]])
def test_text_that_is_not_unicode_gets_one_line(mem, args):
    """Python turns an undecodable byte in an argument into a lone surrogate, which no file can hold."""
    mem("add", "keep me")
    result = mem(*args, code=2)
    assert "not valid Unicode" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert [r["text"] for r in mem.json("list")] == ["keep me"]


def test_a_spool_line_with_an_absurd_time_is_skipped_and_counted(mem):
    append(line(b"echo before", 1) + line(b"echo absurd", 2, start_us=10**20) + line(b"echo after", 3))
    report = mem.json("hook", "ingest")
    assert report["rejected"] == 1 and report["added"] == 2
    assert sorted(r["text"] for r in mem.json("list", "--source", "shell")) == ["echo after", "echo before"]


def test_consolidation_hands_a_vector_backlog_to_the_background(mem, monkeypatch):
    """A run holds the consolidation lock: it must not embed a big import inline first."""
    from memcli.retrieve import embedding

    spy = SpyEmbedder()
    started: list[str] = []
    monkeypatch.setenv("MEM_EMBED_MODEL", "spy/test")
    monkeypatch.setitem(embedding._loaded, "spy/test", (spy, None))
    monkeypatch.setattr("memcli.services.embedding.spawn_background", lambda store: started.append("reindex") or True)
    for n in range(40):
        mem("add", f"note number {n} about the allotment")
    report = mem.json("consolidate", "--offline")
    assert spy.seen == [] and started == ["reindex"]
    assert any("in the background" in note for note in report["notes"])
