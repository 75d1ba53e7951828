"""Ranking signals a user can see: session context, speakers, time phrases, type cues, --explain."""

from __future__ import annotations

from memcli.models import Record, content_hash
from memcli.store import open_db, records


def chat(mem_home, session: str, turns: list[tuple[str, str]], day: str = "2024-05-08") -> list[int]:
    store = open_db(mem_home / "mem.db")
    ids = []
    with store.transaction():
        for i, (speaker, text) in enumerate(turns):
            ids.append(records.insert(store, Record(
                type="episodic", text=text, observed_at=f"{day}T13:{i:02d}:00Z", created_at=f"{day}T13:00:00Z",
                session=session, speaker=speaker, source="/chats/export.json", content_hash=content_hash(text))))
    store.close()
    return ids


def test_a_short_answer_is_found_through_its_neighbours(mem, mem_home):
    ids = chat(mem_home, "s1", [("Jon", "Hey Mel, what have you been researching lately?"),
                                ("Mel", "Adoption agencies, mostly. It is a big step."),
                                ("Jon", "That is wonderful, good luck!")])
    chat(mem_home, "s2", [("Jon", "I watched a documentary about whales."), ("Mel", "Whales are majestic.")], "2024-06-01")
    top = mem.json("search", "What did Mel research?", "-k", "2")
    assert ids[1] in [h["id"] for h in top]


def test_the_named_speaker_is_preferred(mem, mem_home):
    chat(mem_home, "s1", [("Caroline", "I started painting sunsets last week."),
                          ("Melanie", "I have been painting landscapes with my kids.")])
    hits = mem.json("search", "What does Melanie like painting?")
    assert hits[0]["speaker"] == "Melanie" and hits[0]["signals"]["speaker"] == "Melanie"


def test_time_phrases_favour_that_time(mem):
    mem("add", "Dinner with the climbing group", "--at", "2024-03-15")
    mem("add", "Dinner with the climbing group again", "--at", "2024-05-15")
    hits = mem.json("search", "dinner climbing group in May 2024")
    assert hits[0]["text"] == "Dinner with the climbing group again"
    assert hits[0]["signals"]["time"] == "in May 2024"


def test_how_to_questions_prefer_procedures(mem):
    mem("add", "deploy the blog broke again today")
    mem("add", "To deploy the blog: make build, then make deploy", "--type", "procedural")
    assert mem.json("search", "how do I deploy the blog")[0]["type"] == "procedural"


def test_explain_shows_signals(mem):
    mem("add", "Renewed my passport at the post office")
    out = mem("search", "passport", "--explain").stdout
    assert "#1: lexical rank 1 (bm25 " in out and "; total " in out
    assert not any(mark in out for mark in "{}'")  # words, not a Python dict


def test_an_empty_database_says_so_without_failing(mem):
    result = mem("search", "anything")
    assert result.stdout == "" and "No memories yet: add some with mem add or mem ingest." in result.stderr
    assert mem.json("search", "anything") == []


def test_new_records_are_searchable_without_any_index_step(mem, mem_home):
    mem("add", "first note about kayaks")
    assert len(mem.json("search", "kayaks")) == 1
    mem("add", "second note about kayaks")  # indexed lazily by the next search
    assert len(mem.json("search", "kayaks")) == 2


def test_search_reinforces_what_it_shows(mem):
    rid = mem.json("add", "Prefers aisle seats", "--type", "semantic")["id"]
    mem("search", "aisle seats")
    shown = mem.json("show", str(rid))
    assert shown["use_count"] == 1 and shown["strength"] == 2.0 and shown["last_used_at"]
