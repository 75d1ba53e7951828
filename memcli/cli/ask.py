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
    model: common.ModelOption = None,
    k: Annotated[int, typer.Option("-k", metavar="N", help="How many memories to retrieve.")] = 8,
    as_of: Annotated[Optional[str], typer.Option("--as-of", metavar="WHEN", help="Answer as of this time: ISO 8601 or a phrase. Relative words in the question count from it.")] = None,
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
    print(" ".join(answer.text.split()))
    cited = {hit.record.id: hit.record for hit in answer.memories}
    for record_id in answer.citations:
        record = cited[record_id]
        note = " (superseded)" if record_id in answer.superseded else ""
        print(f"  [{record_id}] {answer.dates[record_id]} {record.type}{note}: {common.first_line(record.text, 90)}")


def _print_extractive(answer: "Answer") -> None:
    """The offline answer on its first line (the top memory's likeliest sentence, cited), then
    the memories that support it, one a line. On a terminal each memory's likeliest sentence is
    in bold; piped, the lines are plain text (no markup, no `**`)."""
    from rich.text import Text

    from memcli.services.answer import content_terms, excerpt

    out = common.console()
    out.print(Text(" ".join(answer.text.split())), soft_wrap=True)
    terms = content_terms(answer.question)
    for hit in answer.memories:
        record = hit.record
        line = Text(f"  [{record.id}] {answer.dates[record.id]} {record.type}")
        if record.id in answer.superseded:
            line.append(" (superseded)", style="dim")
        line.append(f" {record.speaker}:" if record.speaker else ":")
        text = excerpt(record.text, terms, 300)
        line.append(" " + text)
        best = answer.highlights.get(record.id, "")
        at = text.find(best) if best else -1
        if at >= 0:  # the sentence most likely to answer stands out on a terminal
            offset = len(line) - len(text)
            line.stylize("bold", offset + at, offset + at + len(best))
        out.print(line, soft_wrap=True)
