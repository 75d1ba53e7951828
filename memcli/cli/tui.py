"""`mem tui`. Textual is imported only inside the command: every other command starts faster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from memcli.cli import common

app = common.typer_app()


@app.command("tui")
def tui(
    db: Annotated[Optional[Path], typer.Option("--db", metavar="PATH", help="Database file (default: MEM_DB or the data dir).")] = None,
) -> None:
    """Browse, search and tend your memories in a terminal UI (press ? inside for the keys).

    Search as you type, filter, read provenance and history, edit (a new version), tag, pin,
    forget, and run consolidation. Remap keys by binding id under [tui.keys] in config.toml.

    Example: mem tui
    """
    import sys

    from memcli.errors import MemError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise MemError("mem tui needs a terminal", "run it in one, or use mem list / mem search in scripts")
    try:
        from memcli.tui.app import make_app
    except ImportError as exc:  # textual not installed (if it becomes an optional extra)
        raise MemError(f"the TUI needs textual ({exc.name} is missing)", "pip install 'textual>=8.2'") from exc
    make_app(db).run()
