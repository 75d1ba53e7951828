"""`mem consolidate`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from memcli.cli import common
from memcli.errors import MemError

app = common.typer_app()


@app.command("consolidate")
def consolidate(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the ops; write nothing.")] = False,
    undo: Annotated[Optional[str], typer.Option("--undo", metavar="RUN_ID", help="Restore the state before this run.")] = None,
    list_runs: Annotated[bool, typer.Option("--runs", help="List recent runs.")] = False,
    model: Annotated[Optional[str], typer.Option("--model", "-m", metavar="MODEL", help="A litellm model for extraction (default: llm.model).")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Zero-LLM stages only, even if a model is configured.")] = False,
    max_tokens: Annotated[Optional[int], typer.Option("--max-tokens", metavar="N", help="Stop the LLM stage after this many tokens.")] = None,
    json_: common.JsonFlag = False,
) -> None:
    """Distil episodes into facts, procedures and session digests; merge duplicates; let weak memories fade.

    Without a model only the zero-LLM stages run (dedupe, shell procedure mining, session
    digests, decay). With one, facts and procedures are extracted from new episodes (shell
    commands only with consolidate.include_shell = true). Every run can be undone exactly with
    --undo RUN_ID.

    Example: mem consolidate --dry-run
    """
    from memcli.services import consolidate as service

    store = common.store()
    if undo:
        changes = service.undo(store, undo)
        common.emit_json({"undone": undo, "changes": changes}) if json_ else print(f"Undid {undo} ({common.plural(changes, 'change')})")
        return
    if list_runs:
        recent = service.recent_runs(store)
        if json_:
            common.emit_json(recent)
            return
        for r in recent:
            counts = ", ".join(f"{k} {v}" for k, v in r["counts"].items()) or "no changes"
            print(f"{r['id']}  {r['status']:9s}  {common.short_time(r['started_at'])}  {r['model'] or 'zero-LLM'}  {counts}")
        return
    if max_tokens is not None and max_tokens < 1:
        raise MemError(f"--max-tokens must be at least 1 (got {max_tokens})", "or leave it out")
    from memcli.llm.settings import Settings

    settings = None if offline else Settings.resolve(model)
    out = common.console(stderr=True)
    with out.status("Consolidating...") as status:
        report = service.run(store, settings=settings, dry_run=dry_run, max_tokens=max_tokens,
                             progress=lambda text: status.update(text))
    if json_:
        common.emit_json(report.to_json())
        return
    show = common.console()
    for stage, ops in report.ops.items():
        if dry_run:
            for op in ops:
                show.print(f"  [{stage}] {op.describe()}", markup=False, soft_wrap=True)
    counts = ", ".join(f"{kind} {n}" for kind, n in report.counts().items()) or "nothing to do"
    head = "Dry run" if dry_run else f"Run {report.run_id}"
    show.print(f"{head}: {counts}" + (f" (model {report.model})" if report.model else " (zero-LLM)"),
               markup=False, soft_wrap=True)
    for note in report.notes:
        show.print(f"Note: {note}", markup=False, soft_wrap=True)
