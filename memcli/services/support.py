"""Does a text say something its sources say? Cheap word-level checks on what a model wrote.

One place for the checks that keep a small model honest without a second model:
- `mem ask`: an answer's content words must appear in a memory it cites;
- consolidation: an UPDATE or SUPERSEDE must be about the same subject as the memory it replaces,
  and a "fact" that is a near-verbatim copy of its episode is no claim at all;
- `mem eval locomo --consolidate`: the share of extracted facts whose cited episodes contain
  their key words (hallucinated facts must not enter memory).

Words are compared by memcli.text's crude stem, which is enough to match "lives/lived/living"
or "vaccine/vaccines" without a stemmer's vocabulary.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from difflib import SequenceMatcher
from typing import Iterable

from memcli.text import QUESTION_WORDS, STOPWORDS, stem, words

# Words any fact or answer may contain that say nothing about its subject.
GENERIC = frozenset("user users user's person people someone thing things yes no also now currently".split())
NEAR_COPY = 0.9  # SequenceMatcher ratio from which a fact counts as a copy of its episode


def terms(text: str) -> set[str]:
    """The content words of `text`, stemmed: no function, question or generic words."""
    return {stem(w) for w in words(text) if w not in STOPWORDS and w not in QUESTION_WORDS and w not in GENERIC}


def date_terms(day: str | None) -> set[str]:
    """A memory's date in the words an answer may use: '2024-03-02' -> 2024, march, 2, saturday."""
    if not day:
        return set()
    try:
        when = date.fromisoformat(day[:10])
    except ValueError:
        return set()
    return {str(when.year), stem(when.strftime("%B")), stem(when.strftime("%b")), str(when.day),
            f"{when.day:02d}", stem(when.strftime("%A"))}


def near_date_terms(day: str | None, days: int = 7) -> set[str]:
    """Date words for `day` and the days around it: what "yesterday" or "last week" said there
    may have been resolved to."""
    if not day:
        return set()
    from datetime import timedelta

    try:
        when = date.fromisoformat(day[:10])
    except ValueError:
        return set()
    return set().union(*(date_terms((when + timedelta(days=offset)).isoformat()) for offset in range(-days, days + 1)))


def share(claim: str, sources: Iterable[str], extra: set[str] | None = None) -> float:
    """The share of `claim`'s content words found in `sources` (1.0 when it has none)."""
    wanted = terms(claim)
    if not wanted:
        return 1.0
    found = set(extra or ())
    for source in sources:
        found |= terms(source)
    return len(wanted & found) / len(wanted)


def key_terms(text: str) -> set[str]:
    """Names and numbers: capitalised words past a sentence's start, and words with digits
    (the parts of a claim that are hallucinated most visibly)."""
    found: set[str] = set()
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        for position, word in enumerate(re.findall(r"[\w'’]+", sentence)):
            base = word.lower().removesuffix("'s").removesuffix("’s")
            if base in STOPWORDS or base in GENERIC:
                continue
            if any(ch.isdigit() for ch in word) or (position > 0 and word[0].isupper()):
                found.add(stem(base))
    return found


def fully_supported(claim: str, sources: Iterable[str], extra: set[str] | None = None) -> bool:
    """All of `claim`'s names and numbers, and at least half its content words, are in `sources`."""
    sources = list(sources)
    found = set(extra or ())
    for source in sources:
        found |= terms(source)
    return key_terms(claim) <= found and share(claim, sources, extra) >= 0.5


def shares_words(a: str, b: str) -> bool:
    return bool(terms(a) & terms(b))


def flat(text: str) -> str:
    """Text reduced to lower-case words separated by single spaces, for copy detection."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.findall(r"\w+", text))


def near_copy(candidate: str, original: str, threshold: float = NEAR_COPY) -> bool:
    a, b = flat(candidate), flat(original)
    if not a or not b:
        return False
    if a == b:
        return True
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= threshold
