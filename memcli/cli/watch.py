"""`mem watch`."""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import datetime
from typing import Any, List

import typer
from typing import Annotated

from memcli.cli import common
from memcli.errors import MemError

app = common.typer_app()


@app.command("watch")
def watch(
    dirs: Annotated[List[str], typer.Argument(metavar="DIR...", help="Note folders to watch (.md, .markdown, .txt files).")],
    debounce: Annotated[float, typer.Option("--debounce", metavar="SECONDS", help="Seconds a file must stay unchanged before it is ingested.")] = 1.0,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object per ingest, one per line.")] = False,
) -> None:
    """Watch note folders and ingest new or changed notes as you save them. Ctrl-C stops.

    Starts with one ingest of the folders (nothing already stored is stored again). Deleted notes
    are reported; their memories are kept.

    Example: mem watch ~/notes --debounce 2
    """
    from memcli.services.watch import check_dirs, watch as run_watch

    if debounce < 0:
        raise MemError(f"--debounce must be 0 or more seconds (got {debounce:g})", "e.g. --debounce 1")
    roots = check_dirs(dirs)
    # Ctrl-C even when started in the background by a shell that ignores SIGINT there, and `kill`
    # (SIGTERM) as cleanly: both take the KeyboardInterrupt path, which stops the observer.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        run_watch(common.store(), roots, debounce=debounce,
                  on_summary=lambda paths, summary, initial: _report(paths, summary, initial, json_),
                  on_ready=lambda: _say(f"Watching {', '.join(roots)} (debounce {debounce:g}s). Press Ctrl-C to stop.",
                                        json_),
                  on_error=lambda message: print(f"Warning: {message}", file=sys.stderr, flush=True))
    except KeyboardInterrupt:
        _say("Stopped.", json_)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _say(message: str, json_: bool) -> None:
    # In JSON mode stdout carries only JSON lines; messages for people go to stderr.
    print(message, file=sys.stderr if json_ else sys.stdout, flush=True)


def _report(paths: list[str], summary: Any, initial: bool, json_: bool) -> None:
    if json_:
        print(json.dumps({"paths": paths, "initial": initial, **summary.to_json()}, ensure_ascii=False), flush=True)
        return
    stamp = datetime.now().strftime("%H:%M:%S")
    counts = f"{summary.added} added, {summary.skipped} unchanged, {summary.superseded} superseded"
    if summary.moved:
        counts += f", {summary.moved} moved from a renamed note"
    if initial:
        print(f"{stamp} first scan: {common.plural(summary.files, 'file')}, {counts}", flush=True)
    elif summary.added or summary.superseded or not summary.missing:
        names = ", ".join(os.path.basename(p) for p in paths[:3]) + (f" (+{len(paths) - 3})" if len(paths) > 3 else "")
        print(f"{stamp} {names}: {counts}", flush=True)
    for gone in summary.missing:
        if gone.get("ended"):
            print(f"{stamp} deleted: {gone['path']} ({common.plural(gone['ended'], 'memory')} ended; kept in history)",
                  flush=True)
        elif gone["records"]:
            print(f"{stamp} deleted (records kept): {gone['path']} ({common.plural(gone['records'], 'memory')})",
                  flush=True)
    for warning in summary.warnings:
        print(f"Warning: {warning}", file=sys.stderr, flush=True)
