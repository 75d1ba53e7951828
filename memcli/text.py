"""Words, as every part of mem reads them: one tokeniser, one list of function words, one crude
stem and one sentence splitter, shared by search, answers, snippets, digests and the checks on
what a model wrote.

The stem cuts a word's commonest English endings and keeps six letters: "renewed", "renewal"
and "renewing" meet at "renew", "lives/lived/living" at "liv". It is deliberately crude (no
vocabulary to ship); the full-text index has its own Porter stemmer.
"""

from __future__ import annotations

import re
import unicodedata

WORD = re.compile(r"\w+", re.UNICODE)
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")

STOPWORDS = frozenset("""
a about above after again against all am an and any are aren't as at be because been before being below between
both but by can could couldn't did didn't do does doesn't doing don't down during each few for from further had
hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his how how's i
i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my myself no nor not of off on
once only or other ought our ours ourselves out over own same shan't she she'd she'll she's should shouldn't so some
such than that that's the their theirs them themselves then there there's these they they'd they'll they're they've
this those through to too under until up very was wasn't we we'd we'll we're we've were weren't what what's when
when's where where's which while who who's whom why why's with won't would wouldn't you you'd you'll you're you've
your yours yourself yourselves s t d ll re ve m
""".split())
QUESTION_WORDS = frozenset("""
what when where who whom which why how does did do kind type types sort kinds ever likely would might many much
happen happened happening
""".split())

ENDINGS = ("ations", "ation", "ments", "ment", "ings", "ing", "edly", "ies", "ied", "ed", "es", "al", "ly", "s")


def words(text: str) -> list[str]:
    """Lower-case words (typographic apostrophes read as plain ones)."""
    return WORD.findall(text.lower().replace("\u2019", "'"))


def fold(word: str) -> str:
    """Lower case without accents: "Café" and "cafe" are one word."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def stem(word: str) -> str:
    word = fold(word).removesuffix("'s")
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3 and not (ending == "s" and word.endswith("ss")):
            word = word[: -len(ending)]
            if ending in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # running -> run, stopped -> stop (but not called -> cal)
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word[:6]


def content_words(text: str) -> list[str]:
    """The words that carry a topic: no function words, no question words."""
    return [w for w in words(text) if w not in STOPWORDS and w not in QUESTION_WORDS]


def sentences(text: str) -> list[str]:
    return [part.strip() for part in SENTENCE_END.split(text) if part.strip()]
