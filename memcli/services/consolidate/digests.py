"""Session digests: an extractive summary per conversation session, linked to its turns.

The digest is the session's most central sentences (TF-IDF cosine to the rest of the session),
in their original order, prefixed with the session's date. No model, no invented words. When a
session grows, a new digest supersedes the old one.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from memcli.models import Record, content_hash
from memcli.services.consolidate.ops import Op
from memcli.store.journal import Journal
from memcli.store import Store, derived
from memcli.text import STOPWORDS, words

MIN_TURNS = 6
SENTENCES = 3
SENTENCE = re.compile(r"(?<=[.!?])\s+")
CHATTER = frozenset("yes no oh ok okay yeah hey hi thanks".split())  # carry no topic in a conversation


def _topic_words(sentence: str) -> list[str]:
    return [w for w in words(sentence) if w not in STOPWORDS and w not in CHATTER]


def plan(store: Store) -> list[Op]:
    ops = []
    for session in derived.sessions_needing_digest(store, MIN_TURNS):
        turns = derived.session_turns(store, session)
        text = summarise(turns)
        if not text:
            continue
        previous = derived.current_digest(store, session)
        ops.append(Op("digest", text=text, target=previous.id if previous else None,
                      sources=[t.id for t in turns], type="episodic",
                      extra={"session": session, "observed_at": turns[0].observed_at}))
    return ops


def summarise(turns: list[Record]) -> str:
    sentences: list[tuple[int, str]] = []
    for turn in turns:
        for sentence in SENTENCE.split(turn.text):
            if len(_topic_words(sentence)) >= 4:
                who = f"{turn.speaker}: " if turn.speaker else ""
                sentences.append((len(sentences), who + sentence.strip()))
    if not sentences:
        return ""
    bags = [Counter(_topic_words(s)) for _, s in sentences]
    df = Counter(w for bag in bags for w in bag)
    n = len(bags)
    vecs = [{w: c * math.log(1 + n / df[w]) for w, c in bag.items()} for bag in bags]
    norms = [math.sqrt(sum(v * v for v in vec.values())) or 1.0 for vec in vecs]

    def centrality(i: int) -> float:
        return sum(
            sum(vecs[i][w] * vecs[j].get(w, 0.0) for w in vecs[i]) / (norms[i] * norms[j])
            for j in range(n) if j != i
        )

    best = sorted(range(n), key=lambda i: -centrality(i))[:SENTENCES]
    date = turns[0].observed_at[:10]
    return f"Session of {date}: " + " … ".join(sentences[i][1] for i in sorted(best))


def apply(journal: Journal, ops: list[Op], now: str) -> None:
    for op in ops:
        record = Record(type="episodic", text=op.text, observed_at=op.extra["observed_at"], created_at=now,
                        source="consolidate", session=op.extra["session"],
                        metadata={"kind": "digest", "turns": len(op.sources)}, content_hash=content_hash(op.text))
        journal.insert_record(record)
        journal.add_provenance(record.id, op.sources)
        journal.mark_consolidated(op.sources, "digest")
        if op.target is not None:
            journal.update_record(op.target, valid_to=now, superseded_by=record.id)
