"""`mem ask`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, List, Optional

import typer
from typing import Annotated

from memcli.cli import common

if TYPE_CHECKING:
    from memcli.services.answer import Answer

app = common.typer_app()


@app.command("ask")
def ask(
    question: Annotated[List[str], typer.Argument(metavar="QUESTION...", help="The question, in plain words.")],
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="A litellm model string for this question (default: llm.model).")] = None,
    k: Annotated[int, typer.Option("-k", help="How many memories to retrieve.")] = 8,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Answer as of this time: ISO 8601 or a phrase. Relative words in the question count from it.")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Never call a model: show the best-matching memories.")] = False,
    json_: common.JsonFlag = False,
) -> None:
    """Answer a question from your memories, citing them by id. Without a model (or with
    --offline, or when the provider does not answer) shows the best-matching memories instead.

    Example: mem ask "when did I last renew my passport?"
    """
    from memcli.services.answer import ask as run_ask

    answer = run_ask(common.store(), " ".join(question), model=model, k=k, as_of=as_of, offline=offline)
    common.print_notices(answer.notices)
    if answer.notice:
        print(answer.notice, file=sys.stderr)
    if json_:
        common.emit_json(answer.to_json())
        return
    if answer.offline and answer.memories:
        _print_extractive(answer)
        return
    print(answer.text)
    cited = {hit.record.id: hit.record for hit in answer.memories}
    for record_id in answer.citations:
        record = cited[record_id]
        note = " (superseded)" if record_id in answer.superseded else ""
        print(f"  [{record_id}] {answer.dates[record_id]} {record.type}{note}: {common.first_line(record.text, 90)}")


def _print_extractive(answer: "Answer") -> None:
    from rich.text import Text

    from memcli.services.answer import content_terms, excerpt

    out = common.console()
    terms = content_terms(answer.question)
    out.print("Best-matching memories (no model used):")
    for hit in answer.memories:
        record = hit.record
        line = Text(f"[{record.id}] {answer.dates[record.id]} {record.type}", style="bold")
        if record.id in answer.superseded:
            line.append(" (superseded)", style="dim")
        if record.speaker:
            line.append(f" {record.speaker}:")
        text = excerpt(record.text, terms, 300)
        best = answer.highlights.get(record.id, "")
        at = text.find(best) if best else -1
        if at < 0:
            line.append(" " + text)
        else:  # the sentence most likely to answer stands out; marked in plain text when piped
            marked = best if out.is_terminal else f"**{best}**"
            line.append(" " + text[:at])
            line.append(marked, style="bold yellow")
            line.append(text[at + len(best):])
        out.print(line, soft_wrap=True)
