"""`mem eval locomo`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from memcli.cli import common
from memcli.errors import MemError

app, eval_app = common.command_group(
    "eval",
    "Measure retrieval quality on a benchmark.\n\nExample: mem eval locomo locomo10.json --k 5,10",
)


def parse_ks(text: str) -> list[int]:
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError as exc:
        raise MemError(f"--k takes whole numbers separated by commas, not {text!r}", "e.g. --k 5,10") from exc
    if not ks or ks[0] < 1:
        raise MemError(f"--k values must be at least 1 (got {text!r})", "e.g. --k 5,10")
    return ks


@eval_app.command("locomo")
def locomo(
    file: Annotated[Path, typer.Argument(help="A LoCoMo-format JSON file (list of samples with conversation and qa).")],
    k: Annotated[str, typer.Option("--k", help="Cut-offs for recall@k, comma-separated.")] = "5,10",
    per_question: Annotated[Optional[Path], typer.Option("--per-question", help="Write one JSON line per question here.")] = None,
    json_: common.JsonFlag = False,
) -> None:
    """Turn- and session-level retrieval recall on LoCoMo, with no LLM.

    Each conversation is ingested into a fresh temporary store (one turn = one episodic record);
    questions of categories 1-4 are searched with the normal search engine.

    Example: mem eval locomo locomo10.json --k 5,10 --json
    """
    from memcli.services.eval_locomo import evaluate, summarise

    ks = parse_ks(k)
    out = common.console(stderr=True)
    with out.status("Evaluating...") as status:
        run = evaluate(file, depth=max(ks), on_conversation=lambda c: status.update(f"Evaluated {c}"))
    summary = summarise(run, ks)
    if per_question:
        with open(per_question, "w", encoding="utf-8") as fh:
            for r in run.results:
                fh.write(json.dumps({"conversation": r.conversation, "question": r.question, "category": r.category,
                                     "evidence": r.evidence, "retrieved": r.retrieved}, ensure_ascii=False) + "\n")
    if json_:
        common.emit_json(summary)
        return
    show = common.console()
    show.print(f"{summary['questions']} questions, embedder {summary['embedder']}")
    for key, value in summary.items():
        if "recall@" in key:
            show.print(f"  {key:20s} {value:.3f}")
    for name, group in summary["by_category"].items():
        cells = "  ".join(f"{k}={v:.3f}" for k, v in group.items() if k != "questions")
        show.print(f"  {name:16s} n={group['questions']:<4d} {cells}")
    show.print(f"  ingest {summary['ingest_turns_per_s']} turns/s, search p50 {summary['search_ms_p50']} ms, "
               f"p95 {summary['search_ms_p95']} ms")
