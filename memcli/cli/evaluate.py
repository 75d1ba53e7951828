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
    "Measure retrieval and answer quality on a benchmark.\n\nExample: mem eval locomo locomo10.json --k 5,10",
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
    file: Annotated[Path, typer.Argument(metavar="FILE.json", help="A LoCoMo-format JSON file (list of samples with conversation and qa).")],
    k: Annotated[str, typer.Option("--k", metavar="K,K", help="Cut-offs for recall@k, comma-separated.")] = "5,10",
    qa: Annotated[bool, typer.Option("--qa", help="Score the answers of mem ask (token F1, abstention, J) instead of retrieval.")] = False,
    model: Annotated[Optional[str], typer.Option("--model", "-m", metavar="MODEL", help="With --qa: answer with this litellm model (default: the offline answer).")] = None,
    judge: Annotated[Optional[str], typer.Option("--judge", metavar="MODEL", help="With --qa: grade answers correct/wrong with this model (J).")] = None,
    consolidate: Annotated[bool, typer.Option("--consolidate", help="Consolidate each conversation with --model first; report retrieval, QA and the facts' support rate.")] = False,
    limit: Annotated[Optional[int], typer.Option("--limit", metavar="N", help="With --qa: only the first N questions.")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="With --qa: discard earlier results instead of continuing them.")] = False,
    per_question: Annotated[Optional[Path], typer.Option("--per-question", metavar="PATH", help="Write one JSON line per question here (with --qa: appended as answered, and a rerun continues from it).")] = None,
    json_: common.JsonFlag = False,
) -> None:
    """Retrieval recall on LoCoMo with no LLM; with --qa, the answers of mem ask.

    Each conversation is ingested into a fresh temporary store (one turn = one episodic record);
    questions of categories 1-4 are searched with the normal search engine. With --qa every
    question (category 5 as "should abstain") goes through the real mem ask path, offline
    unless --model is given; results are kept as they come, so a rerun continues.

    Example: mem eval locomo locomo10.json --qa --model ollama/llama3.2 --limit 100
    """
    ks = parse_ks(k)
    if consolidate or qa or model or judge or limit is not None or fresh:
        if not (qa or consolidate):
            raise MemError("--model, --judge, --limit and --fresh go with --qa", "add --qa")
        _qa(file, ks, model=model, judge=judge, consolidate=consolidate, limit=limit, fresh=fresh,
            per_question=per_question, json_=json_)
        return
    from memcli.services.eval_locomo import evaluate, summarise

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


def _qa(file: Path, ks: list[int], *, model: str | None, judge: str | None, consolidate: bool, limit: int | None,
        fresh: bool, per_question: Path | None, json_: bool) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
        TimeRemainingColumn

    from memcli.services.eval_qa import evaluate_qa, summarise_qa

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("ETA"), TimeRemainingColumn(), console=common.console(stderr=True), transient=True)
    task = bar.add_task("Answering", total=None)

    def progress(done: int, total: int, text: str) -> None:
        bar.update(task, completed=done, total=total, description=text[:50] or "Answering")

    with bar:
        run = evaluate_qa(file, model=model, limit=limit, judge=judge, consolidate=consolidate, results=per_question,
                          fresh=fresh, depth=max(ks), progress=progress)
    summary = summarise_qa(run, ks)
    if json_:
        common.emit_json(summary)
        return
    _print_qa(summary)


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _print_qa(summary: dict) -> None:
    out = common.console()
    who = summary["model"] or "offline extractive answer"
    out.print(f"{summary['questions']} questions, answered by {who}, embedder {summary['embedder']}", markup=False,
              soft_wrap=True)
    out.print(f"  F1 (categories 1-4)      {_figure(summary['f1'])}")
    out.print(f"  abstention (category 5)  {_figure(summary['abstention_accuracy'])}")
    if summary["judged"]:
        out.print(f"  J (judge, 1-4)           {_figure(summary['j'])}  ({summary['judged']} graded)")
    out.print(f"  citations with evidence  {_figure(summary['evidence_cited'])}")
    for name, group in summary["by_category"].items():
        cells = "  ".join(f"{k}={_figure(v)}" for k, v in group.items() if k != "questions")
        out.print(f"  {name:16s} n={group['questions']:<4d} {cells}")
    tokens = summary["tokens_per_question"]
    out.print(f"  tokens per question: {tokens['prompt']:.0f} prompt + {tokens['completion']:.0f} completion; "
              f"latency p50 {summary['latency_ms_p50']} ms, p95 {summary['latency_ms_p95']} ms", soft_wrap=True)
    if summary["fallbacks"]:
        out.print(f"  {summary['fallbacks']} answers fell back to the extractive answer (unsupported by their citations)")
    if "retrieval" in summary:
        cells = "  ".join(f"{k}={_figure(v)}" for k, v in summary["retrieval"].items())
        out.print(f"  retrieval with derived facts: {cells}", soft_wrap=True)
        out.print(f"  facts extracted {summary['facts']}, supported by their episodes {_figure(summary['facts_supported'])}",
                  soft_wrap=True)
    resumed = f" ({summary['resumed']} from an earlier run)" if summary["resumed"] else ""
    out.print(f"  results: {summary['results_file']}{resumed}", markup=False, soft_wrap=True)
