"""`mem eval locomo`: retrieval recall on LoCoMo-format conversations, with no LLM.

Each conversation goes into a fresh temporary store through the normal ingest path (one turn =
one episodic record). Questions of categories 1-4 whose evidence ids are all `D<n>:<m>` are
searched with the normal search service. Only the question text is used to search; evidence ids
are used only to score. Recall@k counts the top k *distinct turns*: a hit on a derived record
resolves to its source turns and takes one slot per turn.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable

from memcli.errors import MemError
from memcli.readers import ReadError
from memcli.readers.locomo import LocomoReader, conversation_items

EVIDENCE_ID = re.compile(r"^D(\d+):(\d+)$")
CATEGORIES = (1, 2, 3, 4)
CATEGORY_NAMES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
SESSION_DEPTH = 60  # how many turns to rank to find the top distinct sessions


@dataclass
class QuestionResult:
    conversation: str
    question: str
    category: int
    evidence: list[str]
    retrieved: list[str]
    sessions: list[str]
    search_ms: float


@dataclass
class EvalRun:
    results: list[QuestionResult] = field(default_factory=list)
    turns: int = 0
    ingest_seconds: float = 0.0
    embedder: str = "none"


def scorable(qa: dict[str, Any]) -> bool:
    evidence = qa.get("evidence") or []
    return qa.get("category") in CATEGORIES and bool(evidence) and all(
        isinstance(e, str) and EVIDENCE_ID.match(e) for e in evidence
    )


def load(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise MemError(f"no such file: {path}", "give the path of a LoCoMo JSON file")
    try:
        samples = LocomoReader().load(path)
    except ReadError as exc:
        raise MemError(str(exc), "give a LoCoMo-format JSON file (a list of samples with conversation and qa)") from exc
    if not any(isinstance(s.get("qa"), list) for s in samples):
        raise MemError(f"{path} has no 'qa' lists to evaluate", "give a LoCoMo file with questions")
    return samples


def session_of(dia_id: str) -> str:
    return dia_id.split(":")[0]


@dataclass
class Conversation:
    """One LoCoMo conversation ingested into its own store, as both evals use it."""

    name: str
    store: Any
    dia_ids: dict[int, str]       # record id -> turn id ("D3:7")
    asked_at: datetime            # questions are asked just after the conversation
    embedder: Any
    turns: int
    ingest_seconds: float


def open_conversation(sample: dict[str, Any], index: int, directory: Path) -> Conversation:
    """Ingest `sample` into a fresh store under `directory` through the normal ingest path,
    with vectors embedded (when an embedder is configured) and the ranking index built."""
    from memcli.retrieve.embedding import embed_pending, load_embedder, usable
    from memcli.retrieve.fts_index import sync
    from memcli.services.ingest import ingest_items
    from memcli.store import open_db, records
    from memcli.timeparse import from_db

    name = str(sample.get("sample_id") or f"conv-{index}")
    store = open_db(directory / "mem.db")
    started = time.perf_counter()
    report = ingest_items(store, conversation_items(sample, index), source=f"locomo:{name}")
    embedder, _ = load_embedder()
    if embedder is not None and usable(store, embedder) is None:
        embed_pending(store, embedder)
    else:
        embedder = None
    sync(store)
    stored = records.get_many(store, report.record_ids)
    return Conversation(
        name=name, store=store, dia_ids={rid: str(rec.metadata["dia_id"]) for rid, rec in stored.items() if rec.metadata.get("dia_id")},
        asked_at=from_db(max(rec.observed_at for rec in stored.values())), embedder=embedder,
        turns=report.added, ingest_seconds=time.perf_counter() - started,
    )


def retrieve(conversation: Conversation, qa: dict[str, Any], depth: int) -> QuestionResult:
    """Search for one question the way `mem search` does, scored in distinct turns."""
    from memcli.retrieve.search import search
    from memcli.store.records import Filters

    started = time.perf_counter()
    hits = search(conversation.store, str(qa["question"]), k=max(depth, SESSION_DEPTH), filters=Filters(),
                  now=conversation.asked_at, embedder=conversation.embedder)
    elapsed = (time.perf_counter() - started) * 1000
    turns = distinct_turns(hits, conversation.dia_ids, sources_of(conversation.store, hits))
    return QuestionResult(
        conversation=conversation.name, question=str(qa["question"]), category=int(qa["category"]),
        evidence=list(qa["evidence"]), retrieved=turns[:depth],
        sessions=list(dict.fromkeys(session_of(t) for t in turns)), search_ms=elapsed,
    )


def sources_of(store: Any, hits: Iterable[Any]) -> dict[int, list[int]]:
    """Derived records among `hits` (facts, digests) -> the turns they came from."""
    from memcli.store import records

    return {hit.record.id: records.derived_from(store, hit.record.id)
            for hit in hits if hit.record.type != "episodic" and not hit.turn_ids}


def evaluate(path: Path, *, depth: int = 10, on_conversation: Callable[[str], None] | None = None) -> EvalRun:
    run = EvalRun()
    for index, sample in enumerate(load(path)):
        with tempfile.TemporaryDirectory(prefix="mem-eval-") as tmp:
            conversation = open_conversation(sample, index, Path(tmp))
            run.embedder = conversation.embedder.name if conversation.embedder else "none"
            run.ingest_seconds += conversation.ingest_seconds
            run.turns += conversation.turns
            for qa in sample.get("qa") or []:
                if scorable(qa):
                    run.results.append(retrieve(conversation, qa, depth))
            conversation.store.close()
        if on_conversation:
            on_conversation(conversation.name)
    return run


def distinct_turns(hits: Iterable[Any], dia_ids: dict[int, str], derived: dict[int, list[int]] | None = None) -> list[str]:
    """Hits as turn ids, in rank order, each turn once; derived hits expand to their turns."""
    seen: dict[str, None] = {}
    derived = derived or {}
    for hit in hits:
        for record_id in hit.turn_ids or derived.get(hit.record.id) or [hit.record.id]:
            dia = dia_ids.get(record_id)
            if dia:
                seen.setdefault(dia, None)
    return list(seen)


def recall(evidence: list[str], retrieved: list[str], k: int) -> float:
    wanted = set(evidence)
    return len(wanted & set(retrieved[:k])) / len(wanted)


def session_recall(evidence: list[str], sessions: list[str], k: int) -> float:
    wanted = {session_of(e) for e in evidence}
    return len(wanted & set(sessions[:k])) / len(wanted)


def summarise(run: EvalRun, ks: list[int]) -> dict[str, Any]:
    results = run.results
    if not results:
        raise MemError("no scorable questions (categories 1-4 with D<n>:<m> evidence)", "check the file")

    def mean(values: list[float]) -> float:
        return round(statistics.fmean(values), 4) if values else 0.0

    summary: dict[str, Any] = {"questions": len(results)}
    for k in ks:
        summary[f"recall@{k}"] = mean([recall(r.evidence, r.retrieved, k) for r in results])
    for k in ks:
        summary[f"session_recall@{k}"] = mean([session_recall(r.evidence, r.sessions, k) for r in results])
    summary["by_category"] = {
        f"{c}-{CATEGORY_NAMES[c]}": {
            "questions": len(group),
            **{f"recall@{k}": mean([recall(r.evidence, r.retrieved, k) for r in group]) for k in ks},
        }
        for c in CATEGORIES if (group := [r for r in results if r.category == c])
    }
    times = sorted(r.search_ms for r in results)
    summary["ingest_turns_per_s"] = round(run.turns / run.ingest_seconds, 1) if run.ingest_seconds else None
    summary["search_ms_p50"] = round(statistics.median(times), 2)
    summary["search_ms_p95"] = round(times[min(len(times) - 1, int(len(times) * 0.95))], 2)
    summary["embedder"] = run.embedder
    return summary
