"""Forgetting: precise matching, the three verbs, cascades, as-of, undo, and no trace after purge."""

from __future__ import annotations

import pytest

from memcli.models import Record, content_hash
from memcli.store import open_db, records


def texts(hits) -> list[str]:
    return sorted(h["text"] for h in hits)


def add_derived(mem_home, text: str, sources: list[int], type_: str = "semantic") -> int:
    """A derived record as consolidation would leave it: provenance to its episodes."""
    store = open_db(mem_home / "mem.db")
    with store.transaction():
        record = Record(type=type_, text=text, observed_at="2024-01-01T00:00:00Z", created_at="2024-01-01T00:00:00Z",
                        source="consolidate", content_hash=content_hash(text), valid_from="2024-01-01T00:00:00Z")
        records.insert(store, record)
        records.add_provenance(store, record.id, sources, "run-test")
    store.close()
    return record.id


def test_whole_word_matching_never_hits_prefixes(mem):
    for text in ["Ann called about the boat", "Anna visited Lisbon", "Annual report is due", "Borrowed ann's bike",
                 "Planning with Ann-Marie"]:
        mem("add", text)
    plan = mem.json("forget", "--match", "Ann", "--dry-run")
    assert len(plan["targets"]) == 2  # "Ann" and "ann's"; Anna, Annual and Ann-Marie are other names
    mem("forget", "--match", "Ann", "--yes")
    assert texts(mem.json("list")) == ["Anna visited Lisbon", "Annual report is due", "Planning with Ann-Marie"]


def test_forgetting_one_clause_of_a_split_fact(mem, mem_home):
    episode = mem.json("add", "Ann likes green tea and Bob likes black coffee")["id"]
    add_derived(mem_home, "Ann likes green tea", [episode])
    add_derived(mem_home, "Bob likes black coffee", [episode])
    mem("forget", "--match", "Bob", "--type", "semantic", "--yes")
    assert texts(mem.json("search", "likes", "--type", "semantic")) == ["Ann likes green tea"]
    assert len(mem.json("search", "coffee", "--type", "episodic")) == 1  # the raw episode stays


def test_purge_cascades_through_provenance(mem, mem_home):
    e1 = mem.json("add", "Met Zed at the climbing gym")["id"]
    e2 = mem.json("add", "Zed lent me a rope")["id"]
    only_e1 = add_derived(mem_home, "Zed climbs at the gym", [e1])
    both = add_derived(mem_home, "Zed is a climber", [e1, e2])
    out = mem.json("forget", str(e1), "--purge", "--yes")
    # Both derived facts may quote the purged episode: both go; the other source is derived again.
    assert out["cascade"] == [only_e1, both] and out["requeued"] == [e2]
    for gone in (e1, only_e1, both):
        mem("show", str(gone), code=2)
    assert mem.json("show", str(e2))["text"] == "Zed lent me a rope"


def test_supersede_and_as_of(mem):
    old = mem.json("add", "I live in Paris", "--type", "semantic", "--at", "2023-01-01")["id"]
    out = mem.json("forget", str(old), "--replace-with", "I live in Berlin", "--yes")
    new = out["replacement"]
    assert texts(mem.json("search", "live")) == ["I live in Berlin"]
    assert texts(mem.json("search", "live", "--as-of", "2023-06-01")) == ["I live in Paris"]
    assert texts(mem.json("list", "--type", "semantic", "--as-of", "2023-06-01")) == ["I live in Paris"]
    chain = mem.json("history", str(new))
    assert [v["text"] for v in chain] == ["I live in Paris", "I live in Berlin"]
    assert chain[0]["superseded_by"] == new and chain[0]["valid_to"] and chain[1]["current"]
    assert [v["id"] for v in mem.json("history", str(old))] == [old, new]
    assert "superseded by" in mem("history", str(new)).stdout


def test_release_then_undo(mem):
    mem("add", "Secret santa is Priya")
    mem("add", "Priya's birthday is in June")
    op = mem.json("forget", "--match", "secret santa", "--yes")["op_id"]
    assert texts(mem.json("search", "Priya")) == ["Priya's birthday is in June"]
    everything = mem.json("search", "Priya", "--all")
    assert {h["state"] for h in everything} == {"active", "released"}
    assert "[released]" in mem("search", "Priya", "--all").stdout
    mem("forget", "--undo", op)
    assert len(mem.json("search", "Priya")) == 2


def test_restore_by_id(mem):
    rid = mem.json("add", "temporary thought")["id"]
    mem("forget", str(rid), "--yes")
    assert mem.json("list") == []
    mem("restore", str(rid))
    assert [r["id"] for r in mem.json("list")] == [rid]


def test_purge_leaves_no_bytes_behind(mem, mem_home):
    for i in range(200):
        mem("add", f"ordinary note number {i} about groceries and errands")
    secret = mem.json("add", "my locker code is zebraquasar7781")["id"]
    store = open_db(mem_home / "mem.db")
    with store.transaction():  # a chat turn with neighbours: they index it as context
        for i, text in enumerate(["what is the code?", "the code is zebraquasar7781", "thanks, noted"]):
            records.insert(store, Record(type="episodic", text=text, observed_at=f"2024-01-01T00:00:0{i}Z",
                                         created_at="2024-01-01T00:00:00Z", session="chat-9",
                                         content_hash=content_hash(text)))
    store.close()
    assert len(mem.json("search", "zebraquasar7781")) == 4  # the turn, the note and two neighbours by context
    turn = [h["id"] for h in mem.json("search", "zebraquasar7781") if h["text"] == "the code is zebraquasar7781"]
    mem("forget", str(turn[0]), "--purge", "--yes")
    assert [h["text"] for h in mem.json("search", "zebraquasar7781")] == ["my locker code is zebraquasar7781"]
    mem("forget", str(secret), "--purge", "--yes")
    mem("compact")
    for suffix in ("", "-wal", "-shm"):
        path = mem_home / f"mem.db{suffix}"
        if path.exists():
            data = path.read_bytes()
            assert b"zebraquasar" not in data and b"locker code" not in data, path
    events = open_db(mem_home / "mem.db").execute("SELECT detail FROM events WHERE record_id = ?", (secret,)).fetchall()
    assert events and all("zebra" not in row[0] and "hash" in row[0] for row in events)


def test_forget_by_source(mem, mem_home, tmp_path, monkeypatch):
    export = tmp_path / "chat.json"
    store = open_db(mem_home / "mem.db")
    with store.transaction():
        for i in range(3):
            text = f"turn {i} of an imported chat"
            records.insert(store, Record(type="episodic", text=text, observed_at="2024-01-01T00:00:00Z",
                                         created_at="2024-01-01T00:00:00Z", source=str(export),
                                         content_hash=content_hash(text)))
    store.close()
    mem("add", "a turn typed by hand")
    monkeypatch.chdir(tmp_path)
    assert len(mem.json("forget", "--source", "chat.json", "--yes")["targets"]) == 3
    assert texts(mem.json("search", "turn")) == ["a turn typed by hand"]


def test_dry_run_and_confirmation(mem):
    mem("add", "keep this note")
    assert mem.json("forget", "--match", "note", "--dry-run")["dry_run"] is True
    result = mem("forget", "--match", "note", code=2)  # stdin is not a terminal and no --yes
    assert "without confirmation" in result.stderr
    assert len(mem.json("list")) == 1


def test_interrupted_forget_leaves_a_consistent_db(mem, mem_home, monkeypatch):
    rid = mem.json("add", "unique kumquat memory")["id"]
    from memcli.store import lifecycle

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # as if the user hit Ctrl-C mid-purge
    with monkeypatch.context() as patch:
        patch.setattr(lifecycle, "scrub_events", crash)
        mem("forget", str(rid), "--purge", "--yes", code=130)
    assert [h["id"] for h in mem.json("search", "kumquat")] == [rid]
    store = open_db(mem_home / "mem.db")
    assert store.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.execute("SELECT count(*) FROM events WHERE action = 'purge'").fetchone()[0] == 0


@pytest.mark.parametrize("args, needle", [
    (["forget"], "nothing says what to forget"),
    (["forget", "999", "--yes"], "no memory with id 999"),
    (["forget", "--match", "!!", "--yes"], "--match needs words"),
    (["forget", "--undo", "forget-nope"], "no release operation"),
    (["restore", "999"], "no memory with id 999"),
])
def test_forget_bad_input(mem, args, needle):
    mem("add", "something")
    assert needle in mem(*args, code=2).stderr


def test_a_purged_chat_turn_does_not_come_back_with_the_next_ingest(mem, tmp_path):
    export = tmp_path / "chat.jsonl"
    export.write_text('{"role": "user", "content": "my bank pin is 4321", "session": "s1"}\n'
                      '{"role": "assistant", "content": "noted", "session": "s1"}\n')
    mem("ingest", str(export))
    pin = [h["id"] for h in mem.json("search", "bank pin") if "4321" in h["text"]]
    mem("forget", str(pin[0]), "--purge", "--yes")
    mem("ingest", str(export))
    assert [h["text"] for h in mem.json("search", "bank pin 4321")] == ["noted"] or \
        all("4321" not in h["text"] for h in mem.json("search", "bank pin 4321"))
    assert len(mem.json("list")) == 1
