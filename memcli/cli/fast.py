"""`mem add` and `mem search` without typer or click, and what every command does before it runs.

Importing typer costs about twice a bare Python start, so `mem add TEXT` (run from scripts,
editors and hooks, often many times) and `mem search WORDS [-k N] [--json]` read their own
arguments when they have the plain shapes. For add:
words, `--type/-t`, `--tag` (repeatable), `--at`, `--source` (each once; `--name=value` too) and
`--json`. Anything else (stdin, `-`, `--`, `--help`, an unknown or repeated option, a value that
looks like an option) returns None and goes to the typer command, which owns help, errors and
completion. Both paths end in cli/adding.py or cli/searching.py, so they do and print the same.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from memcli.errors import MemError

OPTIONS = {"--type": "type_", "-t": "type_", "--tag": "tags", "--at": "at", "--source": "source"}


def parse_add(args: list[str]) -> dict[str, Any] | None:
    """Keyword arguments for adding.add, or None when the typer command should read `args`."""
    words: list[str] = []
    values: dict[str, list[str]] = {"type_": [], "tags": [], "at": [], "source": []}
    json_ = False
    rest = iter(args)
    for arg in rest:
        if arg == "--json":
            json_ = True
        elif arg.startswith("-"):
            name, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
            if name not in OPTIONS:
                return None
            if not equals:
                value = next(rest, None)  # type: ignore[assignment]
                if value is None or value.startswith("-"):
                    return None
            values[OPTIONS[name]].append(value)
        else:
            words.append(arg)
    if not words or any(len(values[key]) > 1 for key in ("type_", "at", "source")):
        return None
    single = {key: values[key][0] for key in ("type_", "at", "source") if values[key]}
    return {"words": words, "tags": values["tags"], "json_": json_, **single}


def parse_search(args: list[str]) -> dict[str, Any] | None:
    """Keyword arguments for searching.search from words, `-k N` and `--json`, else None."""
    words: list[str] = []
    found: dict[str, Any] = {}
    rest = iter(args)
    for arg in rest:
        if arg == "--json" and "json_" not in found:
            found["json_"] = True
        elif arg == "-k" and "k" not in found:
            value = next(rest, None)
            if value is None or not value.isdigit():
                return None
            found["k"] = int(value)
        elif arg.startswith("-"):
            return None
        else:
            words.append(arg)
    return {"words": words, **found} if words else None


def report(error: MemError) -> None:
    text = error.message if not error.hint else f"{error.message}; {error.hint}"
    print(f"Error: {text}", file=sys.stderr)


def before_command(args: list[str]) -> None:
    """Shell commands waiting in the hook's spool, and adds kept while the database was busy,
    are stored first; neither ever blocks or fails the command that was typed."""
    if not args or "--help" in args or "-h" in args:
        return
    if args[0] != "hook":
        try:
            from memcli.services.spool import drain_if_pending
            from memcli.services import no_waiting

            with no_waiting():  # a busy database: the spool waits for a later command
                drain_if_pending()
        except Exception:
            pass
    from memcli.services import pending

    pending.drain_if_pending()


def run(argv: list[str]) -> int | None:
    """The exit code when `argv` was served here, None when the typer app should serve it."""
    if not argv or argv[0] not in ("add", "search") or os.environ.get("_MEM_COMPLETE"):
        return None
    parsed = (parse_add if argv[0] == "add" else parse_search)(argv[1:])
    if parsed is None:
        return None
    before_command(argv)
    try:
        if argv[0] == "add":
            from memcli.cli import adding

            adding.add(**parsed)
        else:
            from memcli.cli import searching

            searching.search(**parsed)
    except MemError as error:
        report(error)
        return error.exit_code
    return 0
