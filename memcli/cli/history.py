"""`mem history`."""

from __future__ import annotations

from typing import Annotated

import typer

from memcli.cli import common

app = common.typer_app()


@app.command("history")
def history(
    record_id: Annotated[int, typer.Argument(metavar="ID", help="Any version of the memory.")],
    json_: common.JsonFlag = False,
) -> None:
    """The chain of versions of a memory: validity, what superseded what, sources and runs.

    Example: mem history 42
    """
    from memcli.services.history import history as run_history

    versions = run_history(common.store(), record_id)
    if json_:
        common.emit_json(versions)
        return
    from rich.text import Text  # user text is never markup

    out = common.console()
    for version in versions:
        marker = "current" if version["current"] else version["state"] if version["state"] != "active" else "ended"
        span = f"{common.short_time(version['valid_from'] or version['observed_at'])} → {common.short_time(version['valid_to']) or 'now'}"
        head = Text(f"#{version['id']}", style="bold")
        head.append(f" ({marker}) {span}")
        out.print(head, soft_wrap=True)
        out.print(Text("  " + " ".join(version["text"].split())), soft_wrap=True)
        details = []
        if version["superseded_by"]:
            details.append(f"superseded by #{version['superseded_by']}")
        if version["derived_from"]:
            details.append("from " + ", ".join(f"#{i}" for i in version["derived_from"]))
        if version["runs"]:
            details.append(("run " if len(version["runs"]) == 1 else "runs ") + ", ".join(version["runs"]))
        if details:
            out.print(Text("  " + "; ".join(details), style="dim"), soft_wrap=True)
