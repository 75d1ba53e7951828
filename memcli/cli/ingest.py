"""`mem ingest`."""

from __future__ import annotations

import sys
from typing import Any, Callable, List, Optional

import typer
from typing import Annotated

from memcli.cli import common
from memcli.errors import MemError

app = common.typer_app()

FORMATS = ("auto", "markdown", "text", "chatgpt", "claude", "mcp-memory", "jsonl", "locomo")  # built in; plugins add more
SHOWN_WARNINGS = 20


def _formats() -> list[str]:
    from memcli.readers.detect import format_names

    return ["auto", *format_names()]


@app.command("ingest")
def ingest(
    paths: Annotated[List[str], typer.Argument(metavar="PATH...", help="Note files or folders (.md, .txt; Obsidian vaults, Logseq graphs), or chat exports (.json, .jsonl, the ChatGPT or Claude .zip).")],
    format_: Annotated[str, typer.Option("--format", "-f", metavar=common.choices(FORMATS),
                                         help="auto: by extension and content; plugins add formats (mem plugins).",
                                         autocompletion=lambda: _formats())] = "auto",
    tag: Annotated[Optional[List[str]], typer.Option("--tag", metavar="TAG", help="Add this tag to every memory stored; repeatable.")] = None,
    exclude: Annotated[Optional[List[str]], typer.Option("--exclude", metavar="GLOB", help="Leave out what this glob names inside the folders given (as in a .memignore: 'drafts/', '*.tmp.md'); repeatable.")] = None,
    json_: common.JsonFlag = False,
) -> None:
    """Import notes and chat exports (ChatGPT, Claude, JSONL, LoCoMo), one memory per note chunk or chat turn.

    Running it again stores nothing new; a changed note replaces only its changed chunks (the old
    ones are kept, marked superseded); a deleted note is reported, not purged. Interrupted? Run it
    again: it resumes without duplicates. A .memignore in a folder (gitignore globs) leaves files
    out, as --exclude does. The formats: docs/formats.md.

    Example: mem ingest ~/notes ~/Downloads/conversations.json --tag imported
    """
    from memcli.services.ingest import ingest_paths
    from memcli.services.remember import clean_tags

    if format_ not in _formats():
        raise MemError(f"unknown format {format_!r}", f"use one of: {', '.join(_formats())}")
    tags = clean_tags(tag or ())
    globs = [g for g in exclude or () if g.strip()]
    db = common.store()
    show_bar = not json_ and sys.stdout.isatty() and sys.stderr.isatty()
    try:
        if show_bar:
            with _progress_bar() as on_progress:
                summary = ingest_paths(db, paths, fmt=format_, tags=tags, on_progress=on_progress, exclude=globs)
        else:
            summary = ingest_paths(db, paths, fmt=format_, tags=tags, exclude=globs)
    except KeyboardInterrupt:
        print("Interrupted. What was stored is kept; run the same command again to resume.", file=sys.stderr)
        raise typer.Exit(130) from None
    common.print_notices(summary.notices)
    nothing_read = summary.files == 0 and not summary.missing
    if json_:
        common.emit_json(summary.to_json())
    elif not nothing_read:
        _print_summary(summary)
    elif len(summary.warnings) > 1:
        _print_warnings(summary.warnings)
    if nothing_read:
        if len(summary.warnings) == 1:
            raise MemError(summary.warnings[0])
        if summary.warnings:
            raise MemError(f"nothing ingested: {len(summary.warnings)} problems",
                           "see the warnings in the JSON output" if json_ else "see the warnings above")
        for given in paths:
            if reason := _left_out(given):
                raise MemError(f"{given}: {reason}; nothing ingested",
                               "edit that .memignore to take it in" if ".memignore" in reason else None)
        raise MemError(f"no notes or chat exports found in {', '.join(paths)}",
                       "mem ingest reads .md, .markdown, .txt, .json and .jsonl files, and export .zips given by name")


def _left_out(given: str) -> str | None:
    """Why a path given by itself was left out by the walk (only asked when nothing was read)."""
    import os

    from memcli.readers.walk import left_out

    path = os.path.expanduser(given)
    return left_out(path) if os.path.exists(path) else None


class _progress_bar:
    """A rich progress bar on stderr, removed when done."""

    def __enter__(self) -> Callable[[int, int, str], None]:
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        # Percentages: the files are measured in bytes read, the embedding after them in records.
        self.progress = Progress(TextColumn("{task.description:<24.24}"), BarColumn(), TaskProgressColumn(),
                                 TimeRemainingColumn(), console=common.console(stderr=True), transient=True)
        self.progress.__enter__()
        self.task = self.progress.add_task("Ingesting", total=None)

        def update(done: int, total: int, name: str) -> None:
            self.progress.update(self.task, completed=done, total=total or None, description=name)

        return update

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)


def _print_summary(summary: Any) -> None:
    out = common.console()
    out.print(f"Ingested {common.plural(summary.files, 'file')}: {summary.added} added, {summary.skipped} unchanged, "
              f"{summary.superseded} superseded.", markup=False)
    if len(summary.by_format) > 1:
        for name, row in summary.by_format.items():
            out.print(f"  {name}: {common.plural(row['files'], 'file')}, {row['added']} added, {row['skipped']} unchanged, "
                      f"{row['superseded']} superseded", markup=False)
    for gone in summary.missing:
        out.print(f"Deleted since it was ingested (records kept): {gone['path']} ({common.plural(gone['records'], 'memory')})",
                  markup=False)
    _print_warnings(summary.warnings)
    if summary.warnings:
        skipped = f"; {common.plural(summary.failed, 'file')} skipped" if summary.failed else ""
        print(f"{common.plural(len(summary.warnings), 'warning')}{skipped}.", file=sys.stderr)


def _print_warnings(warnings: list[str]) -> None:
    for warning in warnings[:SHOWN_WARNINGS]:
        print(f"Warning: {warning}", file=sys.stderr)
    if len(warnings) > SHOWN_WARNINGS:
        print(f"Warning: and {len(warnings) - SHOWN_WARNINGS} more (see --json)", file=sys.stderr)
