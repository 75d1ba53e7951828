"""`mem ingest` on chat exports: ChatGPT (branches, edits, tools), Claude, JSONL, LoCoMo, auto-detect."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
CHATGPT = FIXTURES / "chatgpt_conversations.json"
CLAUDE = FIXTURES / "claude_conversations.json"
JSONL = FIXTURES / "chat.jsonl"


@pytest.fixture(autouse=True)
def text_only(mem_home: Path) -> None:
    mem_home.mkdir(parents=True, exist_ok=True)
    (mem_home / "config.toml").write_text('[embed]\nmodel = "none"\n')


def turns(mem, *args: str) -> list[dict]:
    return sorted(mem.json("list", "--limit", "1000", *args), key=lambda r: r["id"])


def test_chatgpt_follows_the_current_branch(mem):
    out = mem.json("ingest", str(CHATGPT))
    assert out["by_format"] == {"chatgpt": {"files": 1, "added": 8, "skipped": 0, "superseded": 0}}
    lisbon = [r for r in turns(mem) if r["session"] == "conv-lisbon-0001"]
    assert [(r["speaker"], r["source_ref"]) for r in lisbon] == [
        ("user", "u1"), ("assistant", "a1"), ("user", "u2-new"), ("assistant", "a2-regen"), ("assistant", "code-1"),
        ("assistant", "a3")]
    texts = " ".join(r["text"] for r in turns(mem))
    assert "overnight bus" not in texts      # the question before it was edited
    assert "hovercraft" not in texts         # the answer before it was regenerated
    assert lisbon[4]["text"] == "```python\nprint(313 / 120)\n```"  # the code it ran is kept, fenced
    assert "2.608" not in texts              # the tool's output is not
    assert "I bake on weekends" not in texts  # hidden custom instructions
    first = lisbon[0]
    assert first["observed_at"] == "2024-03-01T10:46:50Z"  # create_time, epoch seconds
    assert first["source"] == str(CHATGPT) and first["metadata"]["conversation"] == "Lisbon trip"
    assert [r["metadata"]["turn"] for r in lisbon] == [0, 1, 2, 3, 4, 5]
    bread = [r for r in turns(mem) if r["session"] == "conv-bread-0002"]
    assert bread[0]["text"] == "My rye starter smells like nail polish remover, is it dead?"  # image part dropped
    assert bread[1]["observed_at"] == bread[0]["observed_at"]  # no create_time: inherits the one before
    assert mem.json("search", "ferry", "Porto")[0]["source_ref"] == "u2-new"


def test_chat_ingest_twice_and_a_later_export_elsewhere(mem, tmp_path):
    mem("ingest", str(CHATGPT))
    again = mem.json("ingest", str(CHATGPT))
    assert (again["added"], again["skipped"]) == (0, 8)
    # A fresh export saved somewhere else, with one more turn: only that turn is new.
    data = json.loads(CHATGPT.read_text())
    mapping = data[1]["mapping"]
    mapping["a21"]["children"] = ["u22"]
    mapping["u22"] = {"id": "u22", "parent": "a21", "children": [], "message": {
        "id": "u22", "author": {"role": "user"}, "create_time": 1709550000.5, "recipient": "all",
        "content": {"content_type": "text", "parts": ["Fed it; it doubled in six hours."]}, "metadata": {}}}
    data[1]["current_node"] = "u22"
    later = tmp_path / "export-2" / "conversations.json"
    later.parent.mkdir()
    later.write_text(json.dumps(data))
    out = mem.json("ingest", str(later))
    assert (out["added"], out["skipped"]) == (1, 8)
    assert len(turns(mem)) == 9


def test_claude_export(mem):
    out = mem.json("ingest", str(CLAUDE))
    assert out["by_format"]["claude"]["added"] == 4
    records = turns(mem)
    assert [r["speaker"] for r in records] == ["human", "assistant", "human", "assistant"]
    assert records[0]["session"] == "c1a0d2e4-0000-4000-8000-000000000001"
    assert records[0]["source_ref"] == "m-0001" and records[0]["observed_at"] == "2024-04-02T07:15:10Z"
    assert records[2]["text"] == "Draft a reply to the tax office about the late penalty."  # from content parts
    assert records[2]["metadata"]["conversation"] == "Tax letter"
    assert mem.json("ingest", str(CLAUDE))["added"] == 0


def test_jsonl_roles_speakers_timestamps_sessions(mem, tmp_path):
    out = mem.json("ingest", str(JSONL))
    assert out["by_format"]["jsonl"]["added"] == 4
    records = turns(mem)
    assert [(r["speaker"], r["session"]) for r in records] == [
        ("user", "s-home"), ("assistant", "s-home"), ("Ana", "s-club"), ("Ben", "s-club")]
    assert records[0]["source_ref"] == "j1" and records[0]["observed_at"] == "2024-01-15T09:00:00Z"
    assert records[2]["observed_at"] == "2024-01-16T10:13:20Z"  # epoch seconds
    # A growing log: appended lines are added, the rest recognised (also those without ids).
    grown = tmp_path / "chat.jsonl"
    shutil.copy(JSONL, grown)
    mem("ingest", str(grown))
    with open(grown, "a") as fh:
        fh.write(json.dumps({"speaker": "Ana", "text": "See you Thursday!"}) + "\n")
    out = mem.json("ingest", str(grown))
    assert (out["added"], out["skipped"]) == (1, 4)
    assert turns(mem, "--source", str(grown))[-1]["session"] == str(grown)  # no session: the file


def test_locomo_turns(mem, tmp_path):
    sample = [{"sample_id": "conv-9", "qa": [{"question": "q", "answer": "a", "evidence": ["D1:1"], "category": 1}],
               "conversation": {"speaker_a": "Caroline", "speaker_b": "Melanie",
                                "session_1_date_time": "1:56 pm on 8 May, 2023",
                                "session_1": [{"speaker": "Caroline", "dia_id": "D1:1", "text": "I went to a support group yesterday."},
                                              {"speaker": "Melanie", "dia_id": "D1:2", "text": "That sounds brave, how was it?"}]},
               "observation": {}, "session_summary": {}}]
    path = tmp_path / "locomo.json"
    path.write_text(json.dumps(sample))
    out = mem.json("ingest", str(path))
    assert out["by_format"]["locomo"]["added"] == 2
    assert [r["source_ref"] for r in turns(mem)] == ["conv-9:D1:1", "conv-9:D1:2"]
    assert mem.json("ingest", str(path), "--format", "locomo")["added"] == 0


def test_auto_detect_everything_in_one_go(mem, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    for source, name in ((CHATGPT, "a.json"), (CLAUDE, "b.json"), (JSONL, "c.jsonl")):
        shutil.copy(source, folder / name)
    out = mem.json("ingest", str(folder), str(FIXTURES / "vault"))
    assert set(out["by_format"]) == {"chatgpt", "claude", "jsonl", "markdown", "text"}
    assert out["warnings"] == []


def test_explicit_format_that_does_not_fit_is_a_clear_error(mem):
    result = mem("ingest", str(CLAUDE), "--format", "chatgpt", code=2)
    assert result.stderr.startswith("Error: ") and "not a ChatGPT export" in result.stderr
    assert "Traceback" not in result.stderr
    assert "unknown format 'word'" in mem("ingest", str(CLAUDE), "--format", "word", code=2).stderr


def test_interrupted_ingest_resumes_without_duplicates(mem, mem_home, tmp_path):
    lines = [json.dumps({"role": "user" if i % 2 else "assistant", "content": f"message number {i}",
                         "timestamp": 1700000000 + i, "session": "long"}) for i in range(1200)]
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(lines) + "\n")
    from memcli.readers.jsonl import JsonlReader
    from memcli.services.ingest import ingest_items
    from memcli.store import open_db

    def interrupted():
        for number, item in enumerate(JsonlReader().read(path)):
            if number == 700:
                raise KeyboardInterrupt  # Ctrl-C in the middle of the third batch
            yield item

    store = open_db()
    with pytest.raises(KeyboardInterrupt):
        ingest_items(store, interrupted(), str(path), batch_size=300)
    store.close()
    assert len(mem.json("list", "--limit", "5000")) == 600  # two whole batches committed, none half
    out = mem.json("ingest", str(path))
    assert (out["added"], out["skipped"]) == (600, 600)
    assert len(mem.json("list", "--limit", "5000")) == 1200
