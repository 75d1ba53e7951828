"""Zero-LLM consolidation: dedupe, procedure mining, session digests, decay, undo, safety."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from memcli.models import Record, content_hash
from memcli.store import open_db, records


NOW = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def insert(mem_home, items: list[dict]) -> list[int]:
    store = open_db(mem_home / "mem.db")
    ids = []
    with store.transaction():
        for item in items:
            text = item.pop("text")
            record = Record(type=item.pop("type", "episodic"), text=text,
                            observed_at=item.pop("observed_at", "2024-03-01T10:00:00Z"),
                            created_at=item.pop("created_at", NOW),
                            content_hash=content_hash(text), **item)
            ids.append(records.insert(store, record))
    store.close()
    return ids


def shell_history(mem_home, cwd: str = "/home/me/src/blog") -> None:
    items = []
    start = datetime(2024, 3, 1, 9, tzinfo=timezone.utc)
    for day in range(4):
        for step, command in enumerate(["git pull", "make build", "make deploy", "ls"]):
            when = start + timedelta(days=day, minutes=step)
            items.append({"text": command, "source": "shell", "session": f"tty-{day}",
                          "observed_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                          "metadata": {"cwd": cwd if command != "ls" else "/tmp", "exit_code": 0}})
    items.append({"text": "make deploy", "source": "shell", "session": "tty-9", "observed_at": "2024-03-09T09:00:00Z",
                  "metadata": {"cwd": cwd, "exit_code": 2}})
    insert(mem_home, items)


def dump(mem_home) -> dict:
    """Every row of the tables a run may touch, for byte-for-byte comparison."""
    store = open_db(mem_home / "mem.db")
    tables = {name: [tuple(row) for row in store.execute(f"SELECT * FROM {name} ORDER BY 1, 2")]
              for name in ("records", "provenance", "consolidated")}
    tables["fts"] = store.execute("SELECT count(*) FROM records_fts").fetchall()[0][0]
    store.close()
    return tables


def test_procedure_mining_from_shell_history(mem, mem_home):
    shell_history(mem_home)
    report = mem.json("consolidate", "--offline")
    procedures = mem.json("list", "--type", "procedural")
    assert [p["text"] for p in procedures] == ["In /home/me/src/blog: `git pull` → `make build` → `make deploy`"]
    meta = procedures[0]["metadata"]
    assert meta["count"] == 4 and meta["steps"] == ["git pull", "make build", "make deploy"]
    assert len(mem.json("show", str(procedures[0]["id"]))["derived_from"]) == 12
    assert report["counts"]["procedure"] == 1
    again = mem.json("consolidate", "--offline")  # nothing new: converges
    assert again["counts"] == {} and len(mem.json("list", "--type", "procedural")) == 1


def test_exact_duplicates_merge_with_sources_kept(mem, mem_home):
    e1, e2 = insert(mem_home, [{"text": "I said I prefer aisle seats"}, {"text": "Aisle seat again please"}])
    f1, f2 = insert(mem_home, [{"text": "Prefers aisle seats", "type": "semantic", "source": "consolidate"},
                               {"text": "prefers  AISLE seats", "type": "semantic", "source": "consolidate"}])
    store = open_db(mem_home / "mem.db")
    with store.transaction():
        records.add_provenance(store, f1, [e1])
        records.add_provenance(store, f2, [e2])
    store.close()
    mem("consolidate", "--offline")
    current = mem.json("list", "--type", "semantic")
    assert [r["id"] for r in current] == [f1]
    assert mem.json("show", str(f1))["derived_from"] == [e1, e2]
    assert mem.json("show", str(f2))["superseded_by"] == f1


def test_session_digest_links_its_turns(mem, mem_home):
    turns = ["We should plan the trip to Lisbon for the spring holidays.",
             "Lisbon in April sounds lovely, the weather should be mild.",
             "I will book the flights to Lisbon this weekend.",
             "Can you look for a hotel near the river in Lisbon?",
             "Sure, I found two hotels near the river with good reviews.",
             "Great, let's book the cheaper hotel for the whole trip."]
    insert(mem_home, [{"text": t, "session": "chat-1", "speaker": "Ann" if i % 2 else "Bo", "source": "/x/chat.json",
                       "observed_at": f"2024-03-01T10:0{i}:00Z"} for i, t in enumerate(turns)])
    mem("consolidate", "--offline")
    digests = [r for r in mem.json("list", "--limit", "50") if r["metadata"].get("kind") == "digest"]
    assert len(digests) == 1 and digests[0]["text"].startswith("Session of 2024-03-01: ")
    assert "Lisbon" in digests[0]["text"] and digests[0]["session"] == "chat-1"
    assert len(mem.json("show", str(digests[0]["id"]))["derived_from"]) == 6
    insert(mem_home, [{"text": "Also remember to renew the passport before the Lisbon trip.", "session": "chat-1",
                       "speaker": "Ann", "source": "/x/chat.json", "observed_at": "2024-03-01T10:09:00Z"}])
    mem("consolidate", "--offline")
    digests_now = [r for r in mem.json("list", "--limit", "50") if r["metadata"].get("kind") == "digest"]
    assert len(digests_now) == 1 and digests_now[0]["id"] != digests[0]["id"]
    assert mem.json("show", str(digests[0]["id"]))["superseded_by"] == digests_now[0]["id"]


def test_decay_archives_weak_derived_memories_only(mem, mem_home):
    old = "2023-01-01T00:00:00Z"
    (episode,) = insert(mem_home, [{"text": "an old episode", "created_at": old, "observed_at": old}])
    weak, pinned, strong = insert(mem_home, [
        {"text": "a fact nobody used", "type": "semantic", "created_at": old},
        {"text": "a pinned fact", "type": "semantic", "created_at": old, "pinned": True},
        {"text": "a fact used often", "type": "semantic", "created_at": old},
    ])
    store = open_db(mem_home / "mem.db")
    with store.transaction():
        for derived_id in (weak, pinned, strong):
            records.add_provenance(store, derived_id, [episode])
        store.execute("UPDATE records SET strength = 50, last_used_at = ? WHERE id = ?", ("2024-01-01T00:00:00Z", strong))
    store.close()
    report = mem.json("consolidate", "--offline")
    assert [op["target"] for op in report["ops"]["decay"]] == [weak]
    assert mem.json("show", str(weak))["state"] == "archived"
    assert {r["id"] for r in mem.json("list", "--limit", "10")} == {episode, pinned, strong}
    mem("restore", str(weak))
    assert mem.json("show", str(weak))["state"] == "active"


def test_dry_run_writes_nothing(mem, mem_home):
    shell_history(mem_home)
    before = dump(mem_home)
    report = mem.json("consolidate", "--dry-run")
    assert report["dry_run"] is True and report["counts"]["procedure"] == 1
    assert dump(mem_home) == before
    assert "[procedures] PROCEDURE" in mem("consolidate", "--dry-run").stdout


def test_undo_restores_exactly(mem, mem_home):
    shell_history(mem_home)
    f1, f2 = insert(mem_home, [{"text": "Likes tea", "type": "semantic"}, {"text": "likes TEA", "type": "semantic"}])
    store = open_db(mem_home / "mem.db")
    with store.transaction():
        records.add_provenance(store, f1, [1])
        records.add_provenance(store, f2, [2])
    store.close()
    before = dump(mem_home)
    run_id = mem.json("consolidate", "--offline")["run_id"]
    assert dump(mem_home) != before
    mem("consolidate", "--undo", run_id)
    assert dump(mem_home) == before
    runs = mem.json("consolidate", "--runs")
    assert runs[0]["id"] == run_id and runs[0]["status"] == "undone"
    assert "already undone" in mem("consolidate", "--undo", run_id, code=2).stderr


def test_undo_refuses_when_later_runs_stand(mem, mem_home):
    shell_history(mem_home)
    first = mem.json("consolidate", "--offline")["run_id"]
    insert(mem_home, [{"text": "Likes tea", "type": "semantic"}, {"text": "likes TEA", "type": "semantic"}])
    mem.json("consolidate", "--offline")
    assert "later runs depend" in mem("consolidate", "--undo", first, code=2).stderr


def test_a_crash_mid_run_leaves_a_consistent_db_and_a_rerun_converges(mem, mem_home, monkeypatch):
    shell_history(mem_home)
    insert(mem_home, [{"text": "Likes tea", "type": "semantic"}, {"text": "likes TEA", "type": "semantic"}])
    from memcli.services.consolidate import procedures

    def crash(*args, **kwargs):
        raise KeyboardInterrupt
    with monkeypatch.context() as patch:
        patch.setattr(procedures, "apply", crash)
        mem("consolidate", "--offline", code=130)
    assert mem.json("consolidate", "--runs")[0]["status"] == "failed"
    assert mem.json("list", "--type", "procedural") == []  # the crashed stage wrote nothing
    mem("consolidate", "--offline")
    after_rerun = mem.json("list", "--limit", "100")
    mem("consolidate", "--offline")
    assert mem.json("list", "--limit", "100") == after_rerun
    assert len(mem.json("list", "--type", "procedural")) == 1
    assert len(mem.json("list", "--type", "semantic")) == 1


def test_only_one_run_at_a_time(mem, mem_home):
    from memcli.services.consolidate.lock import ConsolidationLock

    mem("add", "x")
    with ConsolidationLock(mem_home):
        assert "already running" in mem("consolidate", "--offline", code=2).stderr
    mem("consolidate", "--offline")  # released, and a dead holder would have released it too


@pytest.mark.parametrize("args, needle", [
    (["consolidate", "--undo", "run-nope"], "no consolidation run"),
    (["consolidate", "--max-tokens", "0"], "--max-tokens must be at least 1"),
])
def test_bad_input(mem, args, needle):
    assert needle in mem(*args, code=2).stderr
