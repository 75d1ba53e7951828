"""Reading a query: its content words, the people it names, its time phrase, its kind.

Function words and question words carry no topic ("When did Caroline go to the support
group?" is about `go support group`). Names of known speakers are taken out of the lexical
query and used as a prior instead: in conversations they mostly match greetings ("Hey
Caroline!"), while the question is usually about what that person said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from memcli.text import QUESTION_WORDS, STOPWORDS, WORD, words  # noqa: F401 (re-exported)
from memcli.timeparse import Range, parse_range

PROCEDURAL_CUES = re.compile(r"^\s*(how (do|can|did|should) i|how to|steps? (to|for)|command (to|for)|recipe for)\b", re.I)
SEMANTIC_CUES = re.compile(r"\b(my|i) (favou?rite|prefer|preference|like|dislike|allergic)|\bwho is my\b|\bwhat is my\b|\bwhat's my\b", re.I)

# Spans of 1-4 words tried as time phrases, longest first ("the week before last", "last May").
TIME_HINT = re.compile(r"\b(ago|last|this|next|yesterday|today|week|month|year|weekend|spring|summer|autumn|fall|winter|"
                       r"january|february|march|april|may|june|july|august|september|october|november|december|"
                       r"19\d\d|20\d\d)\b", re.I)


NAMED_TIME = re.compile(r"january|february|march|april|may|june|july|august|september|october|november|december|"
                        r"spring|summer|autumn|fall|winter|(19|20)\d\d")
SINGLE_WORD_TIME = re.compile(r"yesterday|today|(19|20)\d\d")


@dataclass
class Query:
    text: str
    terms: list[str]                      # content words for the lexical channels (none: time only)
    named: set[str] = field(default_factory=set)  # known speakers the question names
    when: Range | None = None
    when_phrase: str | None = None
    route: str | None = None              # procedural / semantic when the wording says so


def find_time_phrase(text: str, now: datetime) -> tuple[str, Range] | None:
    tokens = text.split()
    if not TIME_HINT.search(text):
        return None
    for size in (4, 3, 2, 1):
        for start in range(len(tokens) - size + 1):
            phrase = " ".join(tokens[start:start + size]).strip("?.,!;:'\"()")
            if not TIME_HINT.search(phrase) or (size == 1 and not SINGLE_WORD_TIME.fullmatch(phrase.lower())):
                continue  # alone, "may" or "fall" is more likely a verb than a month
            span = parse_range(phrase, now)
            if span is not None:
                return phrase, span
    return None


def analyse(text: str, speakers: Iterable[str], now: datetime) -> Query:
    tokens = words(text)
    lowered_speakers = {s.lower(): s for s in speakers if s}
    named = {original for low, original in lowered_speakers.items() if set(words(low)) <= set(tokens) and words(low)}
    name_tokens = {w for low in lowered_speakers if lowered_speakers[low] in named for w in words(low)}
    terms: list[str] = []
    for token in tokens:
        if token in STOPWORDS or token in QUESTION_WORDS or token in name_tokens or token in terms:
            continue
        terms.append(token)
    found = find_time_phrase(text, now)
    if found:
        # The window is a boost of its own: its relative words ("last", "week", "ago") are not
        # content. Names of months and seasons and years are: "camping in June" is often said so.
        relative = {w for w in words(found[0]) if not NAMED_TIME.fullmatch(w)}
        terms = [t for t in terms if t not in relative]
    elif not terms:  # a query of only function words ("to be or not to be") searches for them
        terms = list(dict.fromkeys(t for t in tokens if t not in name_tokens)) or list(dict.fromkeys(tokens))
    query = Query(text=text, terms=terms, named=named)
    if found:
        query.when_phrase, query.when = found
    if PROCEDURAL_CUES.search(text):
        query.route = "procedural"
    elif SEMANTIC_CUES.search(text):
        query.route = "semantic"
    return query
