"""`mem eval locomo --qa`: answers through the real `mem ask` path, scored, resumable; offline, with
a model (the loopback stub through litellm), with a judge, and after consolidation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.llm_stub import Reply

FIXTURE = Path(__file__).parent / "fixtures" / "locomo" / "qa-small.json"
ABSTAIN = "I don't have a memory of that"
MEMORY_LINE = re.compile(r'^\[(\d+)\] [^:]*: (".*")$')
EPISODE_LINE = re.compile(r'^\[(\d+)\] \S+ (\w+): (".*")$')
WORDS = re.compile(r"[a-z]+")
COMMON = set("a an the what did is of in her his how when where who my i you to for do does".split())


def words(text: str) -> set[str]:
    return {w for w in WORDS.findall(text.lower()) if w not in COMMON}


def reading_model(body: dict[str, Any]) -> Reply:
    """A tiny 'model' that reads its prompt: answers from the memory sharing the most words with
    the question, abstains when none shares one; grades, extracts and reconciles too."""
    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
    if system.startswith("You grade answers"):
        case = json.loads(user)
        right = words(str(case["gold_answer"])) <= words(case["generated_answer"])
        return Reply(json.dumps({"label": "CORRECT" if right else "WRONG"}), prompt_tokens=50, completion_tokens=5)
    if system.startswith("You distil"):
        items = []
        for line in user.splitlines():
            found = EPISODE_LINE.match(line)
            if found:
                items.append({"text": f"{found.group(2)} talked about this: {json.loads(found.group(3))}",
                              "sources": [int(found.group(1))]})
        return Reply(json.dumps({"items": items}))
    if system.startswith("You keep"):
        return Reply(json.dumps({"ops": []}))  # undecided candidates are added
    question = words(user.rsplit("Question:", 1)[-1])
    best, best_overlap = None, 0
    for line in user.splitlines():
        found = MEMORY_LINE.match(line)
        if found and len(words(json.loads(found.group(2))) & question) > best_overlap:
            best, best_overlap = (int(found.group(1)), json.loads(found.group(2))), len(words(found.group(2)) & question)
    if best is None:
        return Reply(json.dumps({"answer": ABSTAIN, "citations": []}), prompt_tokens=300, completion_tokens=10)
    return Reply(json.dumps({"answer": f"{best[1]} [{best[0]}]", "citations": [best[0]]}),
                 prompt_tokens=300, completion_tokens=20)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_token_f1_is_the_locomo_metric():
    from memcli.services.eval_qa import normalise, token_f1

    assert normalise("The Blue, bowl!") == "blue bowl"
    assert token_f1("a blue bowl", "The blue bowl.") == 1.0
    assert token_f1("a small blue bowl for my keys", "a blue bowl") == pytest.approx(2 * (2 / 6) * 1 / (2 / 6 + 1))
    assert token_f1("Lisbon", 2021) == 0.0 and token_f1("in 2021", 2021) == pytest.approx(2 / 3)


def test_offline_qa_scores_the_extractive_answer(mem, tmp_path):
    results = tmp_path / "qa.jsonl"
    summary = mem.json("eval", "locomo", str(FIXTURE), "--qa", "--per-question", str(results))
    assert summary["questions"] == 8 and summary["offline"] is True and summary["model"] is None
    assert set(summary["by_category"]) == {"1-multi-hop", "2-temporal", "3-open-domain", "4-single-hop",
                                           "5-adversarial"}
    assert summary["abstention_accuracy"] == 1.0  # no memory mentions a car or a dog: nothing to show
    assert summary["tokens_per_question"] == {"prompt": 0, "completion": 0}
    assert 0 < summary["f1"] < 1 and summary["evidence_cited"] > 0.5
    assert {"latency_ms_p50", "latency_ms_p95", "j", "false_abstentions", "results_file"} <= set(summary)
    rows = lines(results)
    assert rows[0]["kind"] == "mem-eval-qa" and len(rows) == 9
    assert results.stat().st_mode & 0o777 == 0o600
    from memcli.services.eval_qa import token_f1

    for row in rows[1:]:
        if row["category"] != 5:  # the "[id] date:" lead is not scored
            assert row["f1"] == pytest.approx(token_f1(row["answer"].split(": ", 1)[1], row["gold"]), abs=1e-4)
            assert row["evidence_cited"] is bool(set(row["cited_turns"]) & set(row["evidence"]))
    cat = next(r for r in rows[1:] if r["question"] == "What is the name of Ana's cat?")
    assert cat["answer"].endswith("I adopted a cat named Miso.") and cat["cited_turns"] == ["D2:2"]
    text = mem("eval", "locomo", str(FIXTURE), "--qa", "--per-question", str(results)).stdout
    assert "offline extractive answer" in text and "5-adversarial" in text and "(8 from an earlier run)" in text


def test_generated_summaries_are_never_read_by_the_qa_eval(mem, tmp_path, monkeypatch):
    seen: list[str] = []
    from memcli.services import answer

    real = answer.ask
    monkeypatch.setattr(answer, "ask", lambda store, q, **kw: seen.append(q) or real(store, q, **kw))
    mem.json("eval", "locomo", str(FIXTURE), "--qa", "--limit", "1", "--per-question", str(tmp_path / "r.jsonl"))
    from memcli.store import open_db

    assert seen == ["What did Ana make in her pottery class?"]
    assert open_db().execute("SELECT count(*) FROM records").fetchone()[0] == 0  # the user's store is untouched


def test_a_rerun_continues_where_the_last_one_stopped(mem, tmp_path):
    results = tmp_path / "qa.jsonl"
    first = mem.json("eval", "locomo", str(FIXTURE), "--qa", "--limit", "3", "--per-question", str(results))
    assert first["questions"] == 3 and first["resumed"] == 0
    second = mem.json("eval", "locomo", str(FIXTURE), "--qa", "--per-question", str(results))
    assert second["questions"] == 8 and second["resumed"] == 3
    assert len(lines(results)) == 1 + 8  # the first three were not answered again
    kept = results.read_text().splitlines(keepends=True)
    results.write_text("".join(kept[:-1]) + kept[-1][:20])  # a run killed while writing the last line
    assert mem.json("eval", "locomo", str(FIXTURE), "--qa", "--per-question", str(results))["resumed"] == 7
    assert mem.json("eval", "locomo", str(FIXTURE), "--qa", "--per-question", str(results))["resumed"] == 8
    fresh = mem.json("eval", "locomo", str(FIXTURE), "--qa", "--limit", "2", "--fresh", "--per-question", str(results))
    assert fresh["resumed"] == 0 and len(lines(results)) == 3


def test_results_of_other_settings_are_never_mixed(mem, llm, tmp_path):
    results = tmp_path / "qa.jsonl"
    mem.json("eval", "locomo", str(FIXTURE), "--qa", "--limit", "1", "--per-question", str(results))
    error = mem("eval", "locomo", str(FIXTURE), "--qa", "--model", "openai/stub-model", "--per-question", str(results),
                code=2).stderr
    assert "other settings" in error and "--fresh" in error and llm.requests == []


def test_qa_with_a_model_and_a_judge(mem, llm, tmp_path):
    llm.responder = reading_model
    results = tmp_path / "qa.jsonl"
    summary = mem.json("eval", "locomo", str(FIXTURE), "--qa", "--model", "openai/stub-model",
                       "--judge", "openai/judge-model", "--per-question", str(results))
    assert summary["model"] == "openai/stub-model" and summary["offline"] is False
    assert summary["abstention_accuracy"] == 1.0  # neither car nor dog is in any memory
    assert summary["tokens_per_question"]["prompt"] == 6 * 300 / 8  # no call where no memory matches
    assert summary["judged"] == 6 and 0 < summary["j"] <= 1
    assert 0 < summary["by_category"]["4-single-hop"]["j"] < 1  # the pottery answer misses the bowl
    rows = lines(results)[1:]
    cat = next(r for r in rows if r["question"] == "What is the name of Ana's cat?")
    assert "Miso" in cat["answer"] and cat["judge"]["label"] == "CORRECT" and cat["evidence_cited"] is True
    assert all(r["offline"] is False for r in rows)
    judged = [r for r in llm.requests if r["messages"][0]["content"].startswith("You grade")]
    assert len(judged) == 6 and all(r["model"] == "judge-model" for r in judged)
    # A judge added later grades the kept answers without asking the questions again.
    asked = len(llm.requests)
    again = mem.json("eval", "locomo", str(FIXTURE), "--qa", "--model", "openai/stub-model",
                     "--judge", "openai/other-judge", "--per-question", str(results))
    assert len(llm.requests) - asked == 6 and again["judged"] == 6


def test_a_model_that_stops_answering_stops_the_eval_and_a_rerun_continues(mem, llm, tmp_path):
    llm.responder = reading_model
    results = tmp_path / "qa.jsonl"
    llm.queue(Reply(json.dumps({"answer": ABSTAIN, "citations": []})), *[Reply(status=503)] * 9)
    error = mem("eval", "locomo", str(FIXTURE), "--qa", "--model", "openai/stub-model",
                "--per-question", str(results), code=2).stderr
    assert "stopped answering (3 questions in a row)" in error and "rerun" in error
    # Kept: the one answer, and the car question no memory matches; failures are not answers.
    assert [r["question"] for r in lines(results)[1:]] == ["What did Ana make in her pottery class?",
                                                          "What colour is Ben's car?"]
    summary = mem.json("eval", "locomo", str(FIXTURE), "--qa", "--model", "openai/stub-model",
                       "--per-question", str(results))
    assert summary["questions"] == 8 and summary["resumed"] == 2


def test_consolidate_then_retrieval_qa_and_support(mem, llm, tmp_path):
    llm.responder = reading_model
    summary = mem.json("eval", "locomo", str(FIXTURE), "--consolidate", "--model", "openai/stub-model",
                       "--per-question", str(tmp_path / "qa.jsonl"))
    assert summary["facts"] == 11 and summary["facts_supported"] == 1.0  # one fact per turn, from that turn
    assert {"recall@5", "recall@10", "session_recall@5"} <= set(summary["retrieval"])
    assert summary["retrieval"]["recall@10"] == 1.0
    assert any(r["messages"][0]["content"].startswith("You distil") for r in llm.requests)
    conversations = [r for r in lines(tmp_path / "qa.jsonl") if "conversation_done" in r]
    assert [c["conversation_done"] for c in conversations] == ["qa-1", "qa-2"]


@pytest.mark.parametrize("args, needle", [
    (["--consolidate"], "--consolidate needs a model"),
    (["--model", "openai/x"], "go with --qa"),
    (["--qa", "--limit", "0"], "--limit must be at least 1"),
    (["--qa", "--model", "nosuchprovider/x"], "unknown model 'nosuchprovider/x'"),
    (["--qa", "--judge", "nosuchprovider/y"], "unknown model 'nosuchprovider/y'"),
])
def test_bad_options_are_one_line_exit_2(mem, args, needle):
    result = mem("eval", "locomo", str(FIXTURE), *args, code=2)
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1
