"""`mem forget`, `mem restore`, `mem compact`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, List, Optional, TextIO

import typer

from memcli.cli import common
from memcli.errors import MemError

if TYPE_CHECKING:
    from memcli.services.forget import ForgetPlan

app = common.typer_app()


@app.command("forget")
def forget(
    ids: Annotated[Optional[List[int]], typer.Argument(metavar="[ID]...", help="Ids of memories to forget.")] = None,
    match: Annotated[Optional[str], typer.Option("--match", metavar="PHRASE", help="Forget memories containing this phrase as whole words.")] = None,
    source: Annotated[Optional[str], typer.Option("--source", metavar="SOURCE", help="Forget everything from this file, export or directory.")] = None,
    type_: common.TypeFilter = None,
    since: common.SinceOption = None,
    until: common.UntilOption = None,
    replace_with: Annotated[Optional[str], typer.Option("--replace-with", metavar="TEXT", help="Supersede: a new version takes over; history is kept.")] = None,
    purge: Annotated[bool, typer.Option("--purge", help="Delete the text for good (cascades through provenance).")] = False,
    undo: Annotated[Optional[str], typer.Option("--undo", metavar="OP", help="Bring back what release operation OP hid.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be forgotten; change nothing.")] = False,
    json_: common.JsonFlag = False,
) -> None:
    """Forget memories: release (default: hidden, restorable), supersede (--replace-with) or purge.

    Matching is on whole words: --match Ann never touches Anna or Annual. On a terminal you are
    shown what would go and asked to confirm; scripts pass --yes.

    Example: mem forget --match "old address" --dry-run
    """
    from memcli.services import forget as service

    store = common.store()
    if undo:
        restored = service.undo(store, undo)
        common.emit_json({"restored": restored}) if json_ else print(f"Restored {common.plural(len(restored), 'memory')}")
        return
    if purge and replace_with:
        raise MemError("--purge and --replace-with are different verbs", "choose one")
    mode = "purge" if purge else "supersede" if replace_with is not None else "release"
    filters = common.make_filters(type_, since, until)
    targets = service.select(store, ids or [], match, source, filters, mode=mode)
    if not targets:
        common.emit_json({"mode": mode, "targets": [], "cascade": [], "requeued": []}) if json_ else print("Nothing matches.")
        return
    plan = service.plan(store, targets, mode, replace_with)
    total = len(plan.targets) + len(plan.cascade)
    if dry_run:
        common.emit_json({**plan.to_json(), "dry_run": True}) if json_ else _show_plan(plan, "Would", sys.stdout)
        return
    if not json_:
        _show_plan(plan, "Will", sys.stderr)
    if not yes:
        if not sys.stdin.isatty():
            raise MemError(f"refusing to {mode} {common.plural(total, 'memory')} without confirmation", "pass --yes")
        typer.confirm(f"{mode.capitalize()} {common.plural(total, 'memory')}?", abort=True, err=True)
    result = service.apply(store, plan)
    if json_:
        common.emit_json(result.to_json())
        return
    verb = {"release": "Released", "supersede": "Superseded", "purge": "Purged"}[mode]
    print(f"{verb} {common.plural(total, 'memory')} (operation {result.op_id})")
    if result.replacement is not None:
        print(f"New version: #{result.replacement.id}")
    if plan.requeued:
        print(f"Derived again at the next consolidation, from: {', '.join(f'#{i}' for i in plan.requeued)}")
    if mode == "release":
        print(f"Undo with: mem forget --undo {result.op_id}")
    if mode == "purge":
        print("Run mem compact to rewrite the database file without the freed pages.")


def _show_plan(plan: "ForgetPlan", header: str, stream: TextIO) -> None:
    """What a forget takes, one memory a line: to stdout for --dry-run, to stderr before asking."""
    print(f"{header} {plan.mode} {common.plural(len(plan.targets), 'memory')}:", file=stream)
    for record in plan.targets:
        marker = common.state_marker(record)
        print(f"  #{record.id} {common.short_time(record.observed_at)}{marker} {common.first_line(record.text, 70)}",
              file=stream)
    if plan.cascade:
        print(f"{header} also purge {common.plural(len(plan.cascade), 'memory')} derived from them: "
              f"{', '.join(f'#{r.id}' for r in plan.cascade)}", file=stream)
    if plan.requeued:
        print(f"Their other sources are derived again at the next consolidation: "
              f"{', '.join(f'#{i}' for i in plan.requeued)}", file=stream)


@app.command("restore")
def restore(
    ids: Annotated[List[int], typer.Argument(metavar="ID...", help="Released or archived memories to bring back.")],
    json_: common.JsonFlag = False,
) -> None:
    """Bring released or archived memories back into search and answers.

    Example: mem restore 12 13
    """
    from memcli.services.forget import restore as run_restore

    restored = run_restore(common.store(), ids)
    common.emit_json({"restored": restored}) if json_ else print(f"Restored {common.plural(len(restored), 'memory')}")


@app.command("compact")
def compact(json_: common.JsonFlag = False) -> None:
    """Rewrite the database file (VACUUM) so that purged text is in no page of it.

    Example: mem compact
    """
    from memcli.services.forget import compact as run_compact

    sizes = run_compact(common.store())
    if json_:
        common.emit_json(sizes)
    else:
        print(f"Compacted: {sizes['before_bytes'] / 1024:.0f} KiB -> {sizes['after_bytes'] / 1024:.0f} KiB")
