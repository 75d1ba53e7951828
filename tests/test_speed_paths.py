"""Search whose work is bounded at any size: the same hits a person needs, from a bounded cut.

The bounds (fts.SCORED, SAMPLE, SCAN) are made tiny here so that a few dozen memories behave as
millions would: a query scores only a slice of its matches, and the slices still hold what
matters (an old memory with every word of the query, a filtered memory far behind newer ones).
"""

from __future__ import annotations

import pytest

from memcli.retrieve import fts


@pytest.fixture
def tiny_bounds(monkeypatch):
    monkeypatch.setattr(fts, "SCORED", 5)
    monkeypatch.setattr(fts, "SAMPLE", 20)
    monkeypatch.setattr(fts, "SCAN", 40)


def ids(hits):
    return [hit["id"] for hit in hits]


def test_an_old_memory_with_every_word_is_found_behind_many_newer_matches(mem, tiny_bounds, monkeypatch):
    monkeypatch.setattr(fts, "COMMON_SHARE", 1.0)  # no word counts as common: BM25 ranks the slices
    old = mem.json("add", "Booked the night train to Lisbon for the conference")["id"]
    for i in range(15):
        mem("add", f"Lisbon photo number {i} from the old town")
        mem("add", f"The train was late again, day {i}")
    hits = mem.json("search", "train Lisbon")
    assert hits[0]["id"] == old
    assert hits[0]["signals"]["evidence"] == "lexical"


def test_a_query_of_only_common_words_puts_memories_with_all_of_them_first(mem, tiny_bounds, monkeypatch):
    monkeypatch.setattr(fts, "COMMON_SHARE", 0.0)  # every word is common: matches come newest first
    monkeypatch.setattr(fts, "COMMON_DOCS", 0)
    for i in range(10):
        mem("add", f"Coffee number {i} today")
        mem("add", f"The market was busy, stall {i}")
    both = mem.json("add", "Coffee with Ana at the market")["id"]
    for i in range(10, 20):
        mem("add", f"Coffee number {i} today")
    hits = mem.json("search", "coffee market", "-k", "5")
    assert hits[0]["id"] == both
    assert all("coffee" in h["text"].lower() or "market" in h["text"].lower() for h in hits)


def test_a_filter_finds_its_memory_far_behind_newer_matches(mem, tiny_bounds):
    fact = mem.json("add", "The spare key for the shed is under the blue pot", "--type", "semantic")["id"]
    for i in range(25):
        mem("add", f"Opened the shed to get tool {i}")
    hits = mem.json("search", "shed", "--type", "semantic")
    assert ids(hits) == [fact]


def test_words_found_nowhere_find_nothing_whatever_the_bounds(mem, tiny_bounds):
    for i in range(12):
        mem("add", f"Walked the dog, walk {i}")
    assert mem.json("search", "zebra quantum") == []
    assert "No memories found." in mem("search", "zebra quantum").stderr  # piped: the message on stderr


def test_stats_and_doctor_show_the_backlog_with_the_time_it_should_take(mem, mem_home, monkeypatch):
    import numpy as np

    from memcli.store import open_db, vectors

    monkeypatch.setenv("MEM_EMBED_MODEL", "default")  # an embedder is configured (never loaded here)
    assert mem.json("stats")["backlog"] == {"records": 0, "rate_per_s": None, "eta_s": 0}
    for i in range(4):
        mem("add", f"first batch {i}")
    store = open_db(mem_home / "mem.db")
    with store.transaction():
        vectors.ensure_table(store, "test/fake", 4)
    vectors.write(store, vectors.pending(store, 10), np.ones((4, 4), dtype=np.float32), seconds=2.0)  # 2 per second
    store.close()
    for i in range(240):
        mem("add", f"waiting {i}")
    backlog = mem.json("stats")["backlog"]
    assert backlog == {"records": 240, "rate_per_s": 2.0, "eta_s": 120}
    assert "backlog: 240 memories waiting to be embedded, about 2 min at 2.0/s" in mem("stats").stdout
    assert "240 memories waiting to be embedded, about 2 min at 2.0/s" in mem("doctor").stdout
    assert mem.json("doctor")["backlog"]["eta_s"] == 120
    monkeypatch.setenv("MEM_EMBED_MODEL", "none")
    assert mem.json("stats")["backlog"] is None and "backlog" not in mem("stats").stdout


# --- `mem add` without the CLI framework ---------------------------------------------------------

ADDS = [
    ["add", "Renewed my passport", "--at", "2024-05-01T10:00"],
    ["add", "Dentist", "is", "Dr", "Lee", "--type", "semantic", "--tag", "health", "--tag", "people", "--at", "2024-04-01"],
    ["add", "--type=procedural", "Use git rebase -i to squash", "--at=2024-05-02T08:00", "--json"],
    ["add", "Dentist is Dr Lee", "--type", "semantic"],  # already stored: said so, not stored twice
    ["add", "-t", "semantic", "Dentist is Dr Lee", "--json"],
    ["add", "A bad type", "--type", "opinion"],  # one line on stderr, exit 2
    ["add", "A bad date", "--at", "the day after never"],
    ["add", "From a script", "--source", "cron", "--at", "2024-05-03T07:00"],
]


def _without_moments(text: str) -> object:
    """JSON output without the moments of storing and of use (they differ between two runs)."""
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return text
    for row in data if isinstance(data, list) else [data]:
        for key in ("created_at", "last_used_at"):
            row.pop(key, None)
    return data


def assert_both_paths_agree(commands: list[list[str]], typer_home, fast_home, monkeypatch) -> None:
    """Each command through typer's CliRunner in one home and the fast path (a real `mem`
    process) in the other: the same exit code, stdout and stderr."""
    from memcli.cli import app
    from tests.conftest import Mem, run_mem

    for args in commands:
        monkeypatch.setenv("MEM_HOME", str(typer_home))
        slow = Mem().runner.invoke(app, args)
        fast = run_mem(*args, env={"MEM_HOME": str(fast_home)})
        assert (fast.returncode, _without_moments(fast.stdout.decode())) == (
            slow.exit_code, _without_moments(slow.stdout)), args
        assert fast.stderr.decode() == slow.stderr, args


def test_the_fast_add_stores_and_prints_what_the_typer_command_does(tmp_path, monkeypatch):
    import json

    from tests.conftest import Mem

    typer_home, fast_home = tmp_path / "typer", tmp_path / "fast"
    assert_both_paths_agree(ADDS, typer_home, fast_home, monkeypatch)
    rows = {}
    for home in (typer_home, fast_home):
        monkeypatch.setenv("MEM_HOME", str(home))
        rows[home] = [_without_moments(json.dumps(row)) for row in Mem().json("list", "--all")]
    assert rows[fast_home] == rows[typer_home] and len(rows[fast_home]) == 4


@pytest.mark.parametrize("args", [
    ["add"], ["add", "-"], ["add", "x", "--help"], ["add", "--", "-x"], ["add", "x", "--type", "a", "--type", "b"],
    ["add", "x", "--unknown"], ["add", "x", "--at"], ["add", "x", "-tsemantic"],
    ["search"], ["search", "--help"], ["search", "x", "--type", "semantic"], ["search", "x", "-k"],
    ["search", "x", "-k", "ten"], ["search", "x", "--explain"], ["search", "x", "-k", "2", "-k", "3"],
])
def test_other_shapes_go_to_the_typer_command(args):
    from memcli.cli import fast

    assert fast.run(args) is None


SEARCHES = [
    ["search", "dentist"], ["search", "dentist", "-k", "1"], ["search", "Dr", "Lee", "--json"],
    ["search", "zebra", "quantum"],  # nothing found: said on stderr, exit 0
    ["search", "dentist", "-k", "0"],  # one line on stderr, exit 2
    ["search", "!!!"],
]


def test_the_fast_search_prints_what_the_typer_command_does(tmp_path, monkeypatch):
    from tests.conftest import Mem, run_mem

    typer_home, fast_home = tmp_path / "typer", tmp_path / "fast"
    for home in (typer_home, fast_home):
        monkeypatch.setenv("MEM_HOME", str(home))
        Mem()("add", "Dentist is Dr Lee on Elm Street", "--type", "semantic", "--at", "2024-04-01")
        Mem()("add", "Booked the dentist for a filling", "--at", "2024-05-02T08:00")
        Mem()("add", "Lunch with Ana at the bakery", "--at", "2024-05-03T12:00")
    assert_both_paths_agree(SEARCHES, typer_home, fast_home, monkeypatch)
    assert "#1" in run_mem("search", "dentist", env={"MEM_HOME": str(fast_home)}).stdout.decode()
