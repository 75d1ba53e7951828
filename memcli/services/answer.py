"""`mem ask`: retrieve, show the model a small dated prompt, check its citations; or answer
offline by extraction when there is no model or it does not answer.

Decisions: a provider that is unreachable, times out, keeps failing (429/5xx) or twice replies
with unusable JSON gives the offline answer plus a notice (exit 0); a setup the user must fix
(unknown model string, missing key) is a MemError (exit 2). Citations are kept only for ids that
were shown to the model, and every kept citation is logged as a 'cited' event for later
reinforcement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from memcli.errors import MemError
from memcli.llm.prompts import ABSTAIN, Shown
from memcli.models import Record
from memcli.store import Store, events
from memcli.store.records import Filters
from memcli.text import content_words, sentences, stem, words
from memcli.timeparse import from_db, now_local, parse_when, to_db

DEFAULT_K = 8
MAX_QUESTION_CHARS = 1000
EXCERPT_CHARS = 480  # ~120 tokens: eight memories stay well inside the prompt budget
CONFIGURE_HINT = "for answers written by a model: mem config set llm.model ollama/llama3.2 (any litellm model string)"
CITATION = re.compile(r"\[(\d+)\]")


@dataclass
class Answer:
    question: str
    text: str
    citations: list[int]
    memories: list[Any]  # retrieval Hits, in the order shown
    offline: bool
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    notice: str | None = None  # why the answer is offline, or how to get a model; for stderr
    notices: list[str] = field(default_factory=list)  # from retrieval (vectors off, backlog)
    highlights: dict[int, str] = field(default_factory=dict)  # id -> sentence most likely to answer
    dates: dict[int, str] = field(default_factory=dict)
    superseded: dict[int, str] = field(default_factory=dict)  # id -> note, for superseded memories

    def to_json(self) -> dict[str, Any]:
        memories = []
        for hit in self.memories:
            extra: dict[str, Any] = {"superseded": hit.record.id in self.superseded}
            if hit.record.id in self.highlights:
                extra["highlight"] = self.highlights[hit.record.id]
            memories.append({**hit.to_json(), **extra})
        return {"answer": self.text, "citations": self.citations, "memories": memories, "model": self.model,
                "tokens": {"prompt": self.prompt_tokens, "completion": self.completion_tokens},
                "offline": self.offline, "notice": self.notice}


def ask(store: Store, question: str, *, model: str | None = None, k: int = DEFAULT_K, as_of: str | None = None,
        offline: bool = False) -> Answer:
    question = " ".join(question.split())
    if not question:
        raise MemError("empty question", "ask in words, e.g. mem ask 'when did I renew my passport?'")
    if len(question) > MAX_QUESTION_CHARS:
        raise MemError(f"question too long ({len(question)} characters)", f"keep it under {MAX_QUESTION_CHARS}")
    if k < 1:
        raise MemError(f"-k must be at least 1 (got {k})", "ask for one or more memories")
    # --as-of names a moment or a span ("2023-12-31", "last May"): answer as at its end, so
    # that the day itself counts; relative words in the question are read from there.
    until = parse_when(as_of, end=True) if as_of else None
    now = until - timedelta(seconds=1) if until else now_local()
    client = None if offline else _client(store, model)  # before retrieval: a bad model string fails fast

    from memcli.services import recall

    # Superseded memories are retrieved too (never released or archived ones): they answer
    # questions about the past, and the prompt marks them. --as-of hides what was recorded after
    # that moment.
    filters = Filters(until=to_db(until) if until else None, view="history")
    found = recall.search(store, question, k=k, filters=filters, now=now, reinforce=False)
    hits = found.hits
    answer = Answer(question, ABSTAIN, [], hits, offline=client is None, model=client.model if client else None,
                    notices=found.notices)
    now_db = to_db(now)
    for hit in hits:
        answer.dates[hit.record.id] = local_date(hit.record.observed_at)
        note = superseded_note(hit.record, now_db)
        if note:
            answer.superseded[hit.record.id] = note
    # Current memories before superseded ones, each group in retrieval order.
    hits.sort(key=lambda hit: hit.record.id in answer.superseded)
    if not hits:
        answer.notice = None if client else _hint_unless_chosen(offline, model)
        return answer  # nothing to show a model: abstain without spending a call
    if client is None:
        answer = extractive(answer, notice=_hint_unless_chosen(offline, model))
    else:
        from memcli.llm.client import LLMBadOutput, LLMUnavailable

        try:
            answer = _model_answer(store, client, answer, now)
        except (LLMUnavailable, LLMBadOutput) as error:
            answer.offline, answer.model = True, None
            answer = extractive(answer, notice=f"{error.message}; showing the best-matching memories instead")
    recall.strengthen(store, answer.citations)  # a citation is a use: cited memories fade slower
    return answer


def _client(store: Store, model: str | None) -> Any:
    from memcli.llm.settings import Settings

    settings = Settings.resolve(model)
    if settings is None:
        return None
    from memcli.llm.client import Client

    return Client(store, settings)


def _hint_unless_chosen(offline: bool, model: str | None) -> str | None:
    from memcli import config

    if offline and (model or config.get("llm.model")):
        return None  # the user has a model and chose not to use it: no advice needed
    return f"No model configured; {CONFIGURE_HINT}"


def _model_answer(store: Store, client: Any, answer: Answer, now: datetime) -> Answer:
    from memcli.llm.prompts import ask_messages
    from memcli.llm.schemas import AskReply

    terms = content_terms(answer.question)
    candidates = [
        Shown(hit.record.id, answer.dates[hit.record.id], hit.record.type,
              excerpt(hit.record.text, terms), hit.record.speaker, answer.superseded.get(hit.record.id))
        for hit in answer.memories
    ]
    today = now.astimezone().strftime("%Y-%m-%d (%A)")
    messages, shown = ask_messages(answer.question, candidates, today)
    shown_ids = [memory.id for memory in shown]
    answer.memories = [hit for hit in answer.memories if hit.record.id in shown_ids]
    result = client.structured(messages, AskReply, purpose="ask", max_tokens=300)
    answer.prompt_tokens = result.completion.prompt_tokens
    answer.completion_tokens = result.completion.completion_tokens
    text, cited = check_citations(result.value.answer, result.value.citations, shown_ids)
    if text != ABSTAIN:
        text, cited = supported(text, cited, shown, answer.question)
        if not cited:  # nothing shown says it: never print an unsupported claim as an answer
            notice = f"{client.model}'s answer is not supported by the memories it cites; " \
                     "showing the best-matching memories instead"
            extractive(answer, notice=_with_slow_notice(notice, client))
            answer.model = client.model
            return answer
    answer.text, answer.citations = text, cited
    answer.notice = client.slow_notice
    if answer.citations:
        with store.transaction():  # a citation is a retrieval event: later reinforcement reads these
            for record_id in answer.citations:
                events.log(store, "ask", "cited", record_id, run_id=client.run_id,
                           model=client.model, question=answer.question[:200])
    return answer


def _with_slow_notice(notice: str, client: Any) -> str:
    return f"{notice}\n{client.slow_notice}" if client.slow_notice else notice


# Ways small models say "the memories do not say" instead of the exact abstention.
ABSTAINING = re.compile(
    r"\b(?:i (?:don't|do not) (?:have|know|recall)|no (?:memory|memories|information|record|mention)\b"
    r"|(?:do|does|did) not (?:mention|say|contain|include|specify|state)|not (?:mentioned|specified|stated)"
    r"|(?:cannot|can't|unable to) (?:find|determine|tell|answer))", re.IGNORECASE)


def check_citations(text: str, listed: list[int], shown_ids: list[int]) -> tuple[str, list[int]]:
    """Keep only citations of memories the model was shown: from its list and from `[id]` marks
    in the text. Marks of unknown ids are removed from the text; an abstention, in the exact
    words or the usual paraphrases ("the memories do not mention ..."), cites nothing."""
    allowed = set(shown_ids)
    text = " ".join(text.split())
    if not text or ABSTAIN.lower().rstrip(".") in text.lower() or ABSTAINING.search(text):
        return ABSTAIN, []
    in_text = [int(n) for n in CITATION.findall(text)]
    kept = [n for n in dict.fromkeys([*listed, *in_text]) if n in allowed]
    return _keep_marks(text, set(kept)), kept


def _keep_marks(text: str, ids: set[int]) -> str:
    cleaned = CITATION.sub(lambda m: m.group(0) if int(m.group(1)) in ids else "", text)
    return re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s{2,}", " ", cleaned)).strip()


def supported(text: str, cited: list[int], shown: list[Shown], question: str = "") -> tuple[str, list[int]]:
    """The answer with the citations that support it: cited memories containing one of its
    content words (their dates and speakers count). Words that only echo the question prove
    nothing ("your favourite team is X" shares "favourite" with any favourite), so they count
    only when the answer has no others ("Yes, you renewed your passport"). When no cited memory
    supports it, the shown memories that do are cited instead (small models often cite the
    wrong id, or none); when no shown memory does, no citation is left and the caller falls back."""
    from memcli.services import support

    said = support.terms(CITATION.sub(" ", text))
    wanted = (said - support.terms(question)) or said
    by_id = {memory.id: memory for memory in shown}

    def overlap(memory: Shown) -> int:
        found = support.terms(f"{memory.speaker or ''} {memory.text}") | support.date_terms(memory.date)
        return len(wanted & found)

    if not wanted:  # "Yes [3]": nothing to check beyond the citation itself
        return text, cited
    keep = [n for n in cited if overlap(by_id[n])]
    if not keep:
        ranked = sorted((m for m in shown if overlap(m)), key=lambda m: -overlap(m))
        keep = [m.id for m in ranked[:2]]
    return _keep_marks(text, set(keep)), keep


def extractive(answer: Answer, notice: str | None) -> Answer:
    """The offline answer: the best-matching memories, each with the sentence most likely to
    answer; the top memory's sentence stands as the answer."""
    terms = content_terms(answer.question)
    for hit in answer.memories:
        sentence = best_sentence(hit.record.text, terms)
        if overlap(sentence, terms):  # highlight only a sentence that shares words with the question
            answer.highlights[hit.record.id] = sentence
    top = answer.memories[0].record
    lead = answer.highlights.get(top.id) or excerpt(top.text, terms, 200)
    answer.text = f"[{top.id}] {answer.dates[top.id]}: {lead}"
    answer.citations = [top.id]
    answer.offline = True
    answer.notice = notice
    return answer


def superseded_note(record: Record, now_db: str) -> str | None:
    """Why `record` is no longer current at `now_db`, or None. A fact replaced after the moment
    asked about (--as-of) was still current then."""
    if record.valid_to and record.valid_to > now_db:
        return None
    if record.superseded_by is not None:
        return f"superseded (replaced by memory {record.superseded_by})"
    if record.valid_to and record.valid_to <= now_db:
        return f"superseded (no longer true after {local_date(record.valid_to)})"
    return None


def local_date(stamp: str | None) -> str:
    return from_db(stamp).astimezone().strftime("%Y-%m-%d") if stamp else "undated"


def content_terms(question: str) -> set[str]:
    """The question's topic words, stemmed: what decides which sentence of a memory answers."""
    return {stem(word) for word in content_words(question)}


def best_sentence(text: str, terms: set[str]) -> str:
    parts = sentences(text) or [text.strip()]
    return max(parts, key=lambda part: overlap(part, terms))  # the first of equals wins ties


def overlap(sentence: str, terms: set[str]) -> int:
    return len(terms & {stem(word) for word in words(sentence)})


def excerpt(text: str, terms: set[str], limit: int = EXCERPT_CHARS) -> str:
    """`text`, or when long a window of `limit` characters around its best sentence."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    start = max(0, min(text.find(best_sentence(text, terms)), len(text) - limit))
    window = text[start:start + limit]
    return ("…" if start else "") + window + ("…" if start + limit < len(text) else "")
