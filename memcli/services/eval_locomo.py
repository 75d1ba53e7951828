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


def evaluate(path: Path, *, depth: int = 10, on_conversation: Callable[[str], None] | None = None) -> EvalRun:
    from memcli.retrieve.embedding import embed_pending, load_embedder, usable
    from memcli.retrieve.fts_index import sync
    from memcli.timeparse import from_db
    from memcli.retrieve.search import search
    from memcli.services.ingest import ingest_items
    from memcli.store import open_db, records
    from memcli.store.records import Filters

    run = EvalRun()
    for index, sample in enumerate(load(path)):
        conversation = str(sample.get("sample_id") or f"conv-{index}")
        with tempfile.TemporaryDirectory(prefix="mem-eval-") as tmp:
            store = open_db(Path(tmp) / "mem.db")
            started = time.perf_counter()
            report = ingest_items(store, conversation_items(sample, index), source=f"locomo:{conversation}")
            embedder, _ = load_embedder()
            if embedder is not None and usable(store, embedder) is None:
                embed_pending(store, embedder)
            else:
                embedder = None
            run.embedder = embedder.name if embedder is not None else "none"
            sync(store)
            run.ingest_seconds += time.perf_counter() - started
            run.turns += report.added
            stored = records.get_many(store, report.record_ids)
            dia_ids = {rid: rec.metadata.get("dia_id") for rid, rec in stored.items()}
            # Questions are asked just after the conversation: relative phrases resolve against its end.
            asked_at = from_db(max(rec.observed_at for rec in stored.values()))
            for qa in sample.get("qa") or []:
                if not scorable(qa):
                    continue
                started = time.perf_counter()
                hits = search(store, str(qa["question"]), k=max(depth, SESSION_DEPTH), filters=Filters(),
                              now=asked_at, embedder=embedder)
                elapsed = (time.perf_counter() - started) * 1000
                turns = distinct_turns(hits, dia_ids)
                run.results.append(QuestionResult(
                    conversation=conversation, question=str(qa["question"]), category=int(qa["category"]),
                    evidence=list(qa["evidence"]), retrieved=turns[:depth],
                    sessions=list(dict.fromkeys(session_of(t) for t in turns)), search_ms=elapsed,
                ))
            store.close()
        if on_conversation:
            on_conversation(conversation)
    return run


def distinct_turns(hits: Iterable[Any], dia_ids: dict[int, str]) -> list[str]:
    """Hits as turn ids, in rank order, each turn once; derived hits expand to their turns."""
    seen: dict[str, None] = {}
    for hit in hits:
        for record_id in hit.turn_ids or [hit.record.id]:
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
