"""The main loop a user lives in: add, then find again."""

from __future__ import annotations

import re

JSON_FIELDS = {"id", "type", "text", "score", "observed_at", "created_at", "source", "source_ref",
               "session", "tags", "metadata"}


def test_add_then_search_round_trip(mem):
    out = mem("add", "Renewed", "my", "passport", "at", "the", "post office")
    assert re.match(r"Stored #1 \(episodic, \d{4}-\d\d-\d\d \d\d:\d\d\)", out.stdout)
    mem("add", "Bought oat milk")
    hits = mem.json("search", "passport")
    assert [h["text"] for h in hits] == ["Renewed my passport at the post office"]
    assert JSON_FIELDS <= set(hits[0])
    assert hits[0]["score"] > 0


def test_search_stems_words(mem):
    mem("add", "I was running along the canal")
    assert len(mem.json("search", "runs")) == 1


def test_exact_duplicate_returns_existing_id(mem):
    first = mem.json("add", "Dentist is Dr Lee", "--type", "semantic")
    again = mem.json("add", "  dentist is   DR LEE ", "--type", "semantic")
    assert again["id"] == first["id"] and again["created"] is False
    other_type = mem.json("add", "Dentist is Dr Lee")
    assert other_type["id"] != first["id"]
    assert len(mem.json("list")) == 2


def test_add_reads_stdin(mem):
    mem("add", input="line one\nline two\n")
    mem("add", "-", input="from dash")
    texts = sorted(r["text"] for r in mem.json("list"))
    assert texts == ["from dash", "line one\nline two"]


def test_add_at_iso_and_phrase(mem):
    iso = mem.json("add", "iso note", "--at", "2023-05-08T13:56:00+00:00")
    assert iso["observed_at"] == "2023-05-08T13:56:00Z"
    phrase = mem.json("add", "phrase note", "--at", "8 May 2023 1:56 pm")
    assert phrase["observed_at"].startswith("2023-05-0")


def test_tags_and_filters(mem):
    mem("add", "tea with Ann", "--tag", "social", "--at", "2024-01-10")
    mem("add", "tea tasting notes", "--tag", "food", "--at", "2024-03-10")
    mem("add", "tea is best green", "--type", "semantic")
    assert [h["text"] for h in mem.json("search", "tea", "--tag", "social")] == ["tea with Ann"]
    assert [h["text"] for h in mem.json("search", "tea", "--type", "semantic")] == ["tea is best green"]
    dated = mem.json("search", "tea", "--since", "2024-02-01", "--until", "2024-12-31")
    assert [h["text"] for h in dated] == ["tea tasting notes"]
    assert [r["text"] for r in mem.json("list", "--tag", "food")] == ["tea tasting notes"]


def test_search_text_is_never_fts_syntax(mem):
    mem("add", "NEAR the OR gate")
    for query in ['"unbalanced', "a AND", "NOT", "NEAR(", "col:umn", "star*", "-minus", "^caret"]:
        mem("search", "--", query)  # exit 0, no syntax error
    assert len(mem.json("search", "OR", "gate")) == 1


def test_show_and_list(mem):
    added = mem.json("add", "first", "--tag", "x")
    mem("add", "second", "--at", "2020-01-01")
    shown = mem.json("show", str(added["id"]))
    assert shown["text"] == "first" and shown["tags"] == ["x"]
    assert shown["events"][0]["action"] == "add"
    assert [r["text"] for r in mem.json("list")] == ["first", "second"]  # newest first
    assert [r["text"] for r in mem.json("list", "--limit", "1")] == ["first"]
    assert "first" in mem("show", str(added["id"])).stdout


def test_stats(mem):
    mem("add", "a fact", "--type", "semantic")
    mem("add", "an event")
    stats = mem.json("stats")
    assert stats["records"] == 2
    assert stats["by_type"] == {"semantic": 1, "episodic": 1}
    assert stats["by_source"] == {"cli": 2}
    assert stats["db"]["schema_version"] >= 1
    assert stats["db"]["sqlite_vec_version"].startswith("v0.")
