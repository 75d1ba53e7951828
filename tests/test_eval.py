"""`mem eval locomo` on a small LoCoMo-format file written for the tests."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "locomo" / "two-sessions.json"
KEYS = {"questions", "recall@5", "recall@10", "session_recall@5", "session_recall@10", "by_category",
        "ingest_turns_per_s", "search_ms_p50", "search_ms_p95", "embedder"}


def test_eval_reports_the_contracted_figures(mem, tmp_path):
    per_question = tmp_path / "q.jsonl"
    result = mem.json("eval", "locomo", str(FIXTURE), "--k", "1,5", "--per-question", str(per_question))
    assert {"questions", "recall@1", "recall@5", "session_recall@1"} <= set(result)
    assert result["questions"] == 4  # category 5 and malformed evidence are skipped
    assert result["recall@5"] == 1.0
    assert result["embedder"] == "none"
    lines = [json.loads(line) for line in per_question.read_text().splitlines()]
    assert [line["evidence"] for line in lines][0] == ["D1:3"]
    assert "D1:3" in lines[0]["retrieved"][:3]  # its own words are few: its neighbours carry the topic
    assert all(len(line["retrieved"]) == len(set(line["retrieved"])) for line in lines)  # distinct turns


def test_default_json_has_every_key(mem):
    assert KEYS <= set(mem.json("eval", "locomo", str(FIXTURE)))


def test_generated_summaries_are_never_read(mem):
    """The dataset's observation and summaries are derived from the answers: ingesting a LoCoMo
    file must take turns only."""
    mem("ingest", "--format", "locomo", str(FIXTURE))
    assert mem.json("search", "zanzibarquux") == []
    assert len(mem.json("list", "--limit", "50")) == 7


def test_a_file_that_is_not_locomo(mem, tmp_path):
    other = tmp_path / "other.json"
    other.write_text('{"hello": "world"}')
    assert "not a LoCoMo file" in mem("eval", "locomo", str(other), code=2).stderr
    assert "no such file" in mem("eval", "locomo", str(tmp_path / "missing.json"), code=2).stderr
    assert "--k" in mem("eval", "locomo", str(FIXTURE), "--k", "five", code=2).stderr
