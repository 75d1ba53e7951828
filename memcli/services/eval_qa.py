"""`mem eval locomo --qa`: answers scored, through the real `mem ask` path.

Each conversation is ingested into its own store as for the retrieval eval (with `consolidate`,
consolidated first with the model, so that derived facts are in place), and each question of
categories 1-4, and 5 as "should abstain", is answered by `answer.ask()` as `mem ask` would
answer it just after the conversation ended. Without a model the offline extractive answer is
scored, so the figure exists on every machine. Scores:
- token F1 against the gold answer, the LoCoMo paper's metric: lower case, punctuation and the
  articles a/an/the removed, F1 of the two token multisets (no stemming, so a little below
  implementations that stem);
- category 5: abstention accuracy (the answer is the abstention);
- with a judge model, J: the share of answers of categories 1-4 it grades CORRECT;
- per question: prompt and completion tokens, latency, and whether the citations include an
  evidence turn (derived records count through their source turns).
Results are appended to a JSON-lines file as each question is answered, so a run that stops (a
local model on a CPU takes hours) continues where it left off. The file's first line names the
settings that produced it; other settings refuse to continue it.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

from memcli.errors import MemError
from memcli.services.eval_locomo import (CATEGORY_NAMES, Conversation, load, open_conversation, recall, retrieve,
                                         scorable, session_recall)

HEADER_KIND = "mem-eval-qa"
QA_CATEGORIES = (1, 2, 3, 4, 5)
NAMES = {**CATEGORY_NAMES, 5: "adversarial"}
MAX_FAILED_IN_ROW = 3
ARTICLES = re.compile(r"\b(a|an|the)\b")
PUNCTUATION = re.compile(r"[^\w\s]|_")
CITATION = re.compile(r"\[\d+\]")
OFFLINE_LEAD = re.compile(r"^\[\d+\] [\w-]+: ")
Progress = Callable[[int, int, str], None]

JUDGE_SYSTEM = """You grade answers to questions about a conversation between two people. You \
are given the question, the gold answer and a generated answer. Reply CORRECT when the generated \
answer says the same thing as the gold answer: the same person, thing, place or time, whatever \
the wording, extra detail or date format (a period that contains the gold date counts). Reply \
WRONG when it says something else, leaves the point out, or says it does not know.
Reply with only JSON: {"label": "CORRECT" or "WRONG"}"""


@dataclass
class QARun:
    header: dict[str, Any]
    results_path: Path
    results: list[dict[str, Any]] = field(default_factory=list)  # one per question, in file order
    conversations: list[dict[str, Any]] = field(default_factory=list)  # with consolidate: facts found
    resumed: int = 0
    embedder: str = "none"


def normalise(text: Any) -> str:
    text = PUNCTUATION.sub("", str(text).lower())
    return " ".join(ARTICLES.sub(" ", text).split())


def token_f1(prediction: str, gold: Any) -> float:
    predicted, wanted = normalise(prediction).split(), normalise(gold).split()
    if not predicted or not wanted:
        return float(predicted == wanted)
    same = sum((Counter(predicted) & Counter(wanted)).values())
    if not same:
        return 0.0
    precision, recall_ = same / len(predicted), same / len(wanted)
    return 2 * precision * recall_ / (precision + recall_)


def scored_text(answer: Any) -> str:
    """What is scored: the answer without citation marks; offline, without its "[id] date:" lead."""
    text = OFFLINE_LEAD.sub("", answer.text) if answer.offline else answer.text
    return " ".join(CITATION.sub(" ", text).split())


def questions(samples: list[dict[str, Any]], limit: int | None) -> list[tuple[int, int, dict[str, Any]]]:
    """(sample index, question index, qa) of every answerable question, in file order."""
    found = []
    for s_index, sample in enumerate(samples):
        for q_index, qa in enumerate(sample.get("qa") or []):
            gold = qa.get("answer", qa.get("adversarial_answer"))
            if qa.get("category") in QA_CATEGORIES and qa.get("question") and gold is not None:
                found.append((s_index, q_index, qa))
    return found[:limit] if limit else found


def default_results_path(header: dict[str, Any]) -> Path:
    from memcli import paths

    key = hashlib.sha256(json.dumps(header, sort_keys=True).encode()).hexdigest()[:10]
    return paths.data_dir() / "eval" / f"locomo-qa-{key}.jsonl"


def read_results(path: Path, header: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Answered questions and consolidated conversations already in `path` (the last line of
    each wins), after checking that the file was made with the same settings."""
    answered: dict[str, dict[str, Any]] = {}
    conversations: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return answered, conversations
    with open(path, encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip()]
    try:
        rows = [json.loads(line) for line in lines]
    except json.JSONDecodeError:
        # A run killed mid-write leaves a partial last line: drop it, keep the rest.
        rows = []
        for line in lines:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    if not rows or rows[0].get("kind") != HEADER_KIND:
        raise MemError(f"{path} is not a results file of mem eval locomo --qa", "give another --per-question path")
    made = {k: v for k, v in rows[0].items() if k != "kind"}
    wanted = {k: v for k, v in header.items() if k != "kind"}
    if made != wanted:
        differ = ", ".join(f"{k}: {made.get(k)!r} there, {wanted.get(k)!r} now" for k in sorted(wanted)
                           if made.get(k) != wanted.get(k))
        raise MemError(f"{path} holds results made with other settings ({differ})",
                       "add --fresh to start over, or give another --per-question path")
    for row in rows[1:]:
        if "id" in row:
            answered[row["id"]] = row
        elif "conversation_done" in row:
            conversations[row["conversation_done"]] = row
    return answered, conversations


def evaluate_qa(path: Path, *, model: str | None = None, limit: int | None = None, judge: str | None = None,
                consolidate: bool = False, results: Path | None = None, fresh: bool = False, depth: int = 10,
                progress: Progress | None = None) -> QARun:
    from memcli.llm.settings import Settings
    from memcli.services.answer import DEFAULT_K

    if consolidate and not model:
        raise MemError("--consolidate needs a model to extract facts with", "add --model, e.g. --model ollama/llama3.2")
    if limit is not None and limit < 1:
        raise MemError(f"--limit must be at least 1 (got {limit})", "or leave it out for every question")
    for name in (model, judge):  # a bad model string fails now, not after the first ingest
        if name:
            _check_model(Settings.resolve(name))
    raw = path.read_bytes() if path.exists() else b""
    samples = load(path)
    header = {"kind": HEADER_KIND, "version": 1, "file": hashlib.sha256(raw).hexdigest()[:16],
              "model": model, "consolidate": consolidate, "k": DEFAULT_K}
    results_path = results or default_results_path(header)
    if fresh and results_path.exists():
        results_path.unlink()
    answered, consolidated = read_results(results_path, header)
    run = QARun(header, results_path)
    selected = questions(samples, limit)
    pending = [q for q in selected if _id(samples, q) not in answered or _needs_judge(answered[_id(samples, q)], judge)]
    run.resumed = len(selected) - len(pending)
    if not results_path.exists():
        from memcli import paths

        paths.ensure_private_dir(results_path.parent)
        _append(results_path, header)
    elif not results_path.read_bytes().endswith(b"\n"):
        with open(results_path, "a", encoding="utf-8") as fh:
            fh.write("\n")  # end a line cut off by a killed run, so the next one starts clean
    say = progress or (lambda done, total, text: None)
    done = 0
    say(done, len(pending), "")
    failed_in_row = 0
    by_sample: dict[int, list[tuple[int, int, dict[str, Any]]]] = {}
    for item in pending:
        by_sample.setdefault(item[0], []).append(item)
    for s_index, items in by_sample.items():
        with tempfile.TemporaryDirectory(prefix="mem-eval-qa-") as tmp:
            conversation = open_conversation(samples[s_index], s_index, Path(tmp))
            run.embedder = conversation.embedder.name if conversation.embedder else "none"
            try:
                if consolidate:
                    facts = _consolidate(conversation, model, say, done, len(pending))
                    if conversation.name not in consolidated:
                        consolidated[conversation.name] = facts
                        _append(results_path, facts)
                judge_client = _judge_client(conversation.store, judge)
                for _, q_index, qa in items:
                    key = f"{conversation.name}#{q_index}"
                    say(done, len(pending), f"{conversation.name}: {str(qa['question'])[:40]}")
                    row = answered.get(key)
                    if row is None:
                        row, called = _answer(conversation, key, qa, model, depth if consolidate else 0)
                        if row is None:  # the model did not answer: not recorded, retried next run
                            failed_in_row += 1
                            if failed_in_row >= MAX_FAILED_IN_ROW:
                                raise MemError(f"{model} stopped answering ({failed_in_row} questions in a row)",
                                               "check the provider, then rerun: answered questions are kept")
                            done += 1
                            continue
                        if called:  # a question with no memory to show proves nothing about the model
                            failed_in_row = 0
                    if judge_client is not None and _needs_judge(row, judge):
                        row["judge"] = _grade(judge_client, qa, row)
                    answered[key] = row
                    _append(results_path, row)
                    done += 1
                    say(done, len(pending), "")
            finally:
                conversation.store.close()
    for item in selected:
        row = answered.get(_id(samples, item))
        if row is not None:
            run.results.append(row)
    run.conversations = list(consolidated.values())
    return run


def _id(samples: list[dict[str, Any]], item: tuple[int, int, dict[str, Any]]) -> str:
    s_index, q_index, _ = item
    return f"{samples[s_index].get('sample_id') or f'conv-{s_index}'}#{q_index}"


def _needs_judge(row: dict[str, Any], judge: str | None) -> bool:
    return bool(judge) and row["category"] != 5 and (row.get("judge") or {}).get("model") != judge


def _check_model(settings: Any) -> None:
    from memcli.llm.client import check_model

    check_model(settings)


def _append(path: Path, row: dict[str, Any]) -> None:
    """One line, appended; the file is private (0600) like everything mem writes."""
    import os

    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with open(fd, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _answer(conversation: Conversation, key: str, qa: dict[str, Any], model: str | None,
            depth: int) -> tuple[dict[str, Any] | None, bool]:
    """One question through `ask()`, scored (None when a model was asked but did not answer),
    and whether a model call was made."""
    from memcli.services.answer import ABSTAIN, ask

    category = int(qa["category"])
    gold = qa.get("answer") if category != 5 else qa.get("adversarial_answer", qa.get("answer"))
    as_of = (conversation.asked_at + timedelta(minutes=1)).isoformat(timespec="seconds")
    started = time.perf_counter()
    answer = ask(conversation.store, str(qa["question"]), model=model, as_of=as_of, offline=model is None)
    latency = (time.perf_counter() - started) * 1000
    called = bool(model) and bool(answer.memories)
    if model and answer.offline and answer.model is None and answer.memories:
        return None, called  # unreachable, timed out or unusable JSON twice: ask() fell back
    abstained = answer.text == ABSTAIN
    evidence = [e for e in qa.get("evidence") or [] if isinstance(e, str)]
    turns = cited_turns(conversation, answer.citations)
    row: dict[str, Any] = {
        "id": key, "conversation": conversation.name, "question": str(qa["question"]), "category": category,
        "gold": str(gold), "answer": answer.text, "abstained": abstained,
        "f1": None if category == 5 else round(token_f1("" if abstained else scored_text(answer), gold), 4),
        "evidence": evidence, "cited_turns": turns,
        "evidence_cited": None if abstained or not scorable({**qa, "category": 1}) else bool(set(turns) & set(evidence)),
        "prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.completion_tokens,
        "latency_ms": round(latency, 1), "offline": answer.offline, "notice": answer.notice,
    }
    if depth and scorable(qa):
        found = retrieve(conversation, qa, depth)
        row["retrieved"], row["sessions"] = found.retrieved, found.sessions
    return row, called


def cited_turns(conversation: Conversation, citations: list[int]) -> list[str]:
    """Citations as turn ids; a derived record (a fact, a digest) stands for its source turns."""
    from memcli.store import records

    turns: dict[str, None] = {}
    for record_id in citations:
        for source in ([record_id] if record_id in conversation.dia_ids
                       else records.derived_from(conversation.store, record_id)):
            if conversation.dia_ids.get(source):
                turns.setdefault(conversation.dia_ids[source], None)
    return list(turns)


def _consolidate(conversation: Conversation, model: str | None, say: Progress, done: int,
                 total: int) -> dict[str, Any]:
    """The real consolidation on this conversation's store, then its facts' support rate."""
    from memcli.services import consolidate, support
    from memcli.store import records
    from memcli.store.records import Filters

    from memcli.llm.settings import Settings

    report = consolidate.run(conversation.store, settings=Settings.resolve(model) if model else None,
                             progress=lambda text: say(done, total, f"{conversation.name}: {text[15:]}"))
    derived = records.list_recent(conversation.store, Filters(types=["semantic", "procedural"],
                                                              sources=["consolidate"], view="all"), 100_000)
    facts = [r for r in derived if r.metadata.get("kind") in ("fact", "procedure")]
    supported = 0
    for fact in facts:
        sources = records.get_many(conversation.store, records.derived_from(conversation.store, fact.id))
        texts = [f"{s.speaker or ''} {s.text}" for s in sources.values()]
        dates = set().union(set(), *(support.near_date_terms(s.observed_at) for s in sources.values()))
        supported += support.fully_supported(fact.text, texts, dates)
    return {"conversation_done": conversation.name, "facts": len(facts), "supported": supported,
            "rejected": report.rejected, "skipped_batches": report.skipped_batches,
            "prompt_tokens": report.tokens["prompt"], "completion_tokens": report.tokens["completion"]}


def _judge_client(store: Any, judge: str | None) -> Any:
    if not judge:
        return None
    from memcli.llm.client import Client
    from memcli.llm.settings import Settings

    settings = Settings.resolve(judge)
    return Client(store, settings, run_id="eval-judge") if settings is not None else None


def _grade(client: Any, qa: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    from memcli.llm.client import LLMBadOutput, LLMUnavailable
    from memcli.llm.schemas import Verdict

    prompt = json.dumps({"question": row["question"], "gold_answer": row["gold"],
                         "generated_answer": row["answer"]}, ensure_ascii=False)
    try:
        verdict = client.structured([{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": prompt}],
                                    Verdict, purpose="eval.judge", max_tokens=20)
    except (LLMUnavailable, LLMBadOutput) as error:
        return {"model": None, "label": None, "error": error.message}  # graded again on the next run
    return {"model": client.model, "label": verdict.value.label,
            "prompt_tokens": verdict.completion.prompt_tokens, "completion_tokens": verdict.completion.completion_tokens}


def summarise_qa(run: QARun, ks: list[int]) -> dict[str, Any]:
    rows = run.results
    if not rows:
        raise MemError("no questions answered", "check the file, or raise --limit")

    def mean(values: list[float]) -> float | None:
        return round(statistics.fmean(values), 4) if values else None

    answerable = [r for r in rows if r["category"] != 5]
    adversarial = [r for r in rows if r["category"] == 5]
    judged = [r for r in answerable if (r.get("judge") or {}).get("label")]
    summary: dict[str, Any] = {
        "questions": len(rows), "model": run.header["model"], "offline": run.header["model"] is None,
        "f1": mean([r["f1"] for r in answerable]),
        "abstention_accuracy": mean([float(r["abstained"]) for r in adversarial]),
        "false_abstentions": mean([float(r["abstained"]) for r in answerable]),
        "j": mean([float(r["judge"]["label"] == "CORRECT") for r in judged]),
        "judged": len(judged),
        "evidence_cited": mean([float(r["evidence_cited"]) for r in rows if r["evidence_cited"] is not None]),
        "by_category": {},
        "tokens_per_question": {"prompt": mean([r["prompt_tokens"] for r in rows]),
                                "completion": mean([r["completion_tokens"] for r in rows])},
        "fallbacks": sum(1 for r in rows if run.header["model"] and r["offline"]),
        "embedder": run.embedder, "results_file": str(run.results_path), "resumed": run.resumed,
    }
    for category in QA_CATEGORIES:
        group = [r for r in rows if r["category"] == category]
        if not group:
            continue
        entry: dict[str, Any] = {"questions": len(group)}
        if category == 5:
            entry["abstention_accuracy"] = mean([float(r["abstained"]) for r in group])
        else:
            entry["f1"] = mean([r["f1"] for r in group])
            graded = [r for r in group if (r.get("judge") or {}).get("label")]
            if graded:
                entry["j"] = mean([float(r["judge"]["label"] == "CORRECT") for r in graded])
        summary["by_category"][f"{category}-{NAMES[category]}"] = entry
    times = sorted(r["latency_ms"] for r in rows)
    summary["latency_ms_p50"] = round(statistics.median(times), 1)
    summary["latency_ms_p95"] = round(times[min(len(times) - 1, int(len(times) * 0.95))], 1)
    if run.header["consolidate"]:
        retrieved = [r for r in rows if "retrieved" in r]
        summary["retrieval"] = {
            **{f"recall@{k}": mean([recall(r["evidence"], r["retrieved"], k) for r in retrieved]) for k in ks},
            **{f"session_recall@{k}": mean([session_recall(r["evidence"], r["sessions"], k) for r in retrieved])
               for k in ks},
        }
        facts = sum(c["facts"] for c in run.conversations)
        summary["facts"] = facts
        summary["facts_supported"] = round(sum(c["supported"] for c in run.conversations) / facts, 4) if facts else None
        rejected: Counter[str] = Counter()
        for c in run.conversations:
            rejected.update(c.get("rejected") or {})
        summary["facts_rejected"] = dict(rejected)
    return summary
