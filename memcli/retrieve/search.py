"""The search engine: what `mem search`, `mem ask`, consolidation and the TUI call (through
services.recall, which also decides about embedding and reinforcement).

Channels, each one number per candidate record, normalised by its maximum and added:

    score = lexical                      BM25 over text + session context (retrieve.fts)
          + SPEAKER  · [said by someone the query names]
          + SESSION  · BM25 of the record's whole session
          + DENSE    · cosine (floored at the KNN depth) + its session-window average
          + TIME     · [inside the time phrase of the query: "last May", "two weeks ago"]
          + ROUTE    · [its type is what the wording asks for: "how do I ..." → procedural]
          + RECENCY  · exp(-age / 1 year), episodic records only, a tie-breaker

Only candidates with evidence (retrieve.relevance) are ranked: a content word of the query in
the record or next to it, a cosine above the embedder's calibrated floor, or — for a query that
is only a time phrase — a place in that window. No evidence, no hit: "nothing found" is an answer.

Weights were set on the LoCoMo dev conversations with leave-one-conversation-out checks;
score fusion beat reciprocal-rank fusion there, because RRF lets a weak dense channel push
good lexical hits down. Results are distinct records; `signals` explains each score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from memcli.errors import MemError
from memcli.models import Record
from memcli.retrieve import fts, fts_index, relevance, text
from memcli.store import Store, records
from memcli.store.records import Filters
from memcli.timeparse import from_db, now_local, to_db

SPEAKER = 0.5
SESSION = 0.3
SESSION_LEXICAL_ONLY = 0.2  # without vectors a little less session prior did better
DENSE = 0.5
TIME = 0.3
ROUTE = 0.2
RECENCY = 0.05
KNN_DEPTH = 300
WINDOW_DEPTH = 100
WINDOW = (1.0, 0.5, 0.25)  # weights of a hit and its neighbours one and two turns away
SHOWN_RELATIVE = 0.25  # mem search and mem ask leave out hits below a quarter of the best score
MAX_K = 1000


@dataclass
class Hit:
    record: Record
    score: float
    signals: dict[str, Any] = field(default_factory=dict)
    turn_ids: list[int] = field(default_factory=list)  # a derived hit's source turns, for eval

    def to_json(self) -> dict[str, Any]:
        return self.record.to_json(score=round(self.score, 6), signals=self.signals)


@dataclass
class Dense:
    cosines: dict[int, float] = field(default_factory=dict)   # raw cosine per KNN hit
    window: dict[int, float] = field(default_factory=dict)    # floored cosine + session-window average
    floor: float = 1.0                                        # evidence needs a cosine at least this


def _normalised(values: dict[int, float]) -> dict[int, float]:
    top = max(values.values(), default=0.0)
    return {key: value / top for key, value in values.items()} if top > 0 else {}


def _dense(store: Store, embedder: Any, query: str, filters: Filters, lexical: list[int]) -> Dense:
    """Floored cosine per KNN hit, and the hit plus its session-window average. The best
    `lexical` candidates get their exact cosine too: a large store's KNN returns only
    vectors.CANDIDATES hits, and fusion needs the dense score of what full text found."""
    from memcli.store import vectors

    query_vector = embedder.embed_query(query)
    hits = vectors.knn(store, query_vector, KNN_DEPTH, filters)
    if not hits:
        return Dense()
    cosines = {record_id: 1.0 - distance for record_id, distance in hits}
    floor, top = min(cosines.values()), max(cosines.values())
    unseen = [record_id for record_id in lexical[:KNN_DEPTH] if record_id not in cosines]
    for record_id, distance in vectors.distances(store, query_vector, unseen, filters):
        cosines[record_id] = 1.0 - distance
    spread = max(top - floor, 1e-9)
    base = {record_id: max(0.0, (cos - floor) / spread) for record_id, cos in cosines.items()}
    combined = dict(base)
    # The window only matters near the top: below WINDOW_DEPTH the floored values are ~0.
    top_hits = sorted(base, key=lambda i: -base[i])[:WINDOW_DEPTH]
    for record_id, neighbours in fts_index.neighbours(store, top_hits).items():
        total = WINDOW[0] * base[record_id]
        weight_sum = WINDOW[0]
        for offset, neighbour in neighbours:
            total += WINDOW[abs(offset)] * base.get(neighbour, 0.0)
            weight_sum += WINDOW[abs(offset)]
        combined[record_id] = base[record_id] + total / weight_sum
    evidence_floor = relevance.dense_floor(query_vector, relevance.background(store, embedder))
    return Dense(cosines, combined, evidence_floor)


def check_query(query: str, k: int) -> None:
    if k < 1:
        raise MemError(f"-k must be at least 1 (got {k})", "ask for one or more results")
    if k > MAX_K:
        raise MemError(f"-k must be at most {MAX_K} (got {k})", "ask for fewer results")
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:
        raise MemError("the query is not valid Unicode (an undecodable byte in it)", "search with UTF-8 text") from None
    if not fts.query_terms(query):
        raise MemError(f"nothing to search for in {query!r}", "use words, not only punctuation")


def search(store: Store, query: str, *, k: int = 10, filters: Filters | None = None, now: datetime | None = None,
           embedder: Any = None, sync: bool = True, min_relative: float = 0.0) -> list[Hit]:
    """The best `k` memories for `query` that have evidence. `now` anchors relative time phrases
    ("last summer"); it defaults to the current time. `embedder` None: full text only.
    `min_relative` drops hits scoring below that share of the best one: what a person reads
    wants no filler, while a benchmark's k slots do."""
    check_query(query, k)
    filters = filters or Filters()
    now = now or now_local()
    if sync:
        fts_index.sync(store)
    q = text.analyse(query, fts.speakers(store), now)
    terms = fts.discriminating(store, q.terms)
    lexical = dict(fts.lexical(store, terms, filters, dates=q.when is not None))
    sessions = fts.session_scores(store, terms)
    dense = _dense(store, embedder, query, filters, list(lexical)) if embedder is not None else Dense()
    evidence: dict[int, str] = {record_id: "lexical" for record_id in lexical}
    for record_id, cosine in dense.cosines.items():
        if cosine >= dense.floor:
            evidence.setdefault(record_id, "vector")
    if q.when and not q.terms:  # only a time phrase: what lies in that window is the answer
        window = filters.within(to_db(q.when[0]), to_db(q.when[1]))
        for record in records.list_recent(store, window, fts.LEXICAL_DEPTH):
            evidence.setdefault(record.id, "time")
    candidates = records.get_many(store, evidence)
    hits = _fuse(q, candidates, lexical, sessions, dense, embedder is not None, now)
    for hit in hits:
        hit.signals["evidence"] = evidence[hit.record.id]
    hits = hits[:k]
    if hits and min_relative > 0:
        hits = [hit for hit in hits if hit.score >= min_relative * hits[0].score]
    return hits


def _fuse(q: text.Query, candidates: dict[int, Record], lexical: dict[int, float], sessions: dict[str, float],
          dense: Dense, has_vectors: bool, now: datetime) -> list[Hit]:
    lexical_n = _normalised(lexical)
    dense_n = _normalised(dense.window)
    session_top = max(sessions.values(), default=0.0)
    session_weight = SESSION if has_vectors else SESSION_LEXICAL_ONLY
    when = (to_db(q.when[0]), to_db(q.when[1])) if q.when else None
    lexical_rank = {record_id: rank for rank, record_id in enumerate(sorted(lexical, key=lambda i: -lexical[i]), 1)}
    dense_rank = {record_id: rank for rank, record_id in enumerate(sorted(dense.cosines, key=lambda i: -dense.cosines[i]), 1)}
    hits = []
    for record_id, record in candidates.items():
        signals: dict[str, Any] = {}
        score = 0.0
        if record_id in lexical_n:
            score += lexical_n[record_id]
            signals["lexical"] = {"rank": lexical_rank[record_id], "bm25": round(lexical[record_id], 4)}
        session_score = sessions.get(record.session or "", 0.0)
        if session_score and session_top:
            score += session_weight * session_score / session_top
            signals["session"] = round(session_score / session_top, 4)
        if record.speaker and record.speaker in q.named:
            score += SPEAKER
            signals["speaker"] = record.speaker
        if record_id in dense_n:
            score += DENSE * dense_n[record_id]
            signals["vector"] = {"rank": dense_rank.get(record_id), "cosine": round(dense.cosines.get(record_id, 0.0), 4),
                                 "window": round(dense_n[record_id], 4)}
        if when and when[0] <= record.observed_at < when[1]:
            score += TIME
            signals["time"] = q.when_phrase
        if q.route and record.type == q.route:
            score += ROUTE
            signals["route"] = q.route
        if record.type == "episodic":
            age_days = max(0.0, (now - from_db(record.observed_at)).total_seconds() / 86400)
            score += RECENCY * math.exp(-age_days / 365)
        signals["total"] = round(score, 4)
        hits.append(Hit(record, score, signals))
    hits.sort(key=lambda hit: (-hit.score, hit.record.id))
    return hits
