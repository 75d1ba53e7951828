"""The part of a memory that matches a query, as `rg` and atuin show a hit: a window around the
best-matching words, with the spans of the matched words so that a terminal can mark them.

Words match the way the full-text index matches them, roughly: case and accents aside, and a
word's common endings ("renewed", "renewal", "renewing" all match "renew"). Function words of
the query ("the", "did") are not marked unless the query has nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from memcli.text import STOPWORDS, WORD, stem

CONTEXT = 30  # characters of text kept before the first match of the window
SENTENCE_END = re.compile(r"[.!?…]\s+")


@dataclass
class Snippet:
    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)  # (start, end) of matched words in text


root = stem  # a word without case, accents and its commonest endings (memcli.text)


def query_roots(query: str) -> list[str]:
    """The query's content words (function words only when there is nothing else), as roots."""
    words = [word.lower() for word in WORD.findall(query)]
    content = [word for word in words if word not in STOPWORDS] or words
    return list(dict.fromkeys(root(word) for word in content))


def _matches(text: str, roots: list[str]) -> list[tuple[int, int, int]]:
    """(start, end, index of the query word) for every word of text that matches one."""
    found = []
    for match in WORD.finditer(text):
        word = root(match.group())
        for index, wanted in enumerate(roots):
            if word == wanted or (len(word) >= 5 and len(wanted) >= 5 and word[:5] == wanted[:5]):
                found.append((match.start(), match.end(), index))
                break
    return found


def _word_start(text: str, at: int) -> int:
    """`at` moved back to the start of the word it falls in."""
    while 0 < at < len(text) and not text[at - 1].isspace():
        at -= 1
    return at


def _word_end(text: str, at: int, floor: int = 0) -> int:
    """`at` moved back to the end of the word before it, when it falls inside a word (never
    before `floor`)."""
    if at >= len(text):
        return len(text)
    cut = text.rfind(" ", floor, at + 1)
    return cut if cut > floor else at


def _window_start(text: str, first: int) -> int:
    """Where a window showing the match at `first` begins: its sentence's start when that is
    near, else a few words before it."""
    floor = max(0, first - 2 * CONTEXT)
    ends = [m.end() for m in SENTENCE_END.finditer(text, floor, first)]
    if ends:
        return ends[-1]
    return 0 if floor == 0 and first <= 2 * CONTEXT else _word_start(text, max(0, first - CONTEXT))


def snippet(text: str, query: str, width: int = 200) -> Snippet:
    """One line of at most about `width` characters of `text`: the window holding the most
    distinct query words (then the most matches, then the earliest), cut at word boundaries,
    with "…" where text was left out. No match: the start of the text, unmarked."""
    line = " ".join(text.split())
    found = _matches(line, query_roots(query))
    if len(line) <= width:
        return Snippet(line, [(start, end) for start, end, _ in found])
    if not found:
        end = _word_end(line, width - 1)
        return Snippet(line[:end] + "…")
    best: tuple[tuple[int, int, int], int, int] | None = None
    for first, _, _ in found:
        start = _window_start(line, first)
        end = _word_end(line, start + width, start)
        inside = [index for s, e, index in found if s >= start and e <= end]
        score = (len(set(inside)), len(inside), -start)
        if best is None or score > best[0]:
            best = (score, start, end)
    assert best is not None
    _, start, end = best
    lead = "…" if start else ""
    shown = lead + line[start:end] + ("…" if end < len(line) else "")
    shift = len(lead) - start
    return Snippet(shown, [(s + shift, e + shift) for s, e, _ in found if s >= start and e <= end])
