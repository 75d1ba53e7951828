"""`mem tag` and `mem pin`: in-place metadata changes, each logged as an event."""

from __future__ import annotations

from memcli.services import edit
from memcli.store import open_db


def test_tag_adds_and_removes(mem):
    rid = mem.json("add", "Dentist is Dr Lee", "--tag", "health")["id"]
    assert mem.json("tag", str(rid), "#dentist", "health", "elm")["tags"] == ["health", "dentist", "elm"]
    assert mem.json("tag", str(rid), "health", "--remove")["tags"] == ["dentist", "elm"]
    assert [r["id"] for r in mem.json("list", "--tag", "elm")] == [rid]
    actions = [e["action"] for e in mem.json("show", str(rid))["events"]]
    assert actions == ["add", "tag", "tag"]
    assert "#dentist #elm" in mem("tag", str(rid), "elm").stdout  # already there: no change, no event


def test_pin_and_unpin(mem):
    rid = mem.json("add", "Passport number is in the blue folder")["id"]
    assert mem.json("pin", str(rid)) == {"id": rid, "pinned": True}
    assert mem.json("show", str(rid))["pinned"] is True
    assert "unpinned" in mem("pin", str(rid), "--off").stdout
    assert [e["action"] for e in mem.json("show", str(rid))["events"]] == ["add", "pin", "unpin"]


def test_errors_are_one_line(mem):
    result = mem("pin", "999", code=2)
    assert result.stderr.strip().count("\n") == 0 and "no memory with id 999" in result.stderr
    rid = mem.json("add", "x marks the spot")["id"]
    assert "empty tag" in mem("tag", str(rid), "#", code=2).stderr


def test_set_tags_replaces(mem, mem_home):
    rid = mem.json("add", "Bike is in the shed", "--tag", "a")["id"]
    store = open_db(mem_home / "mem.db")
    assert edit.set_tags(store, rid, ["b", "#c", "b"], actor="tui").tags == ["b", "c"]
    assert edit.set_pinned(store, rid, True).pinned is True
    store.close()
    assert mem.json("show", str(rid))["tags"] == ["b", "c"]
