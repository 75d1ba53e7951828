"""Options and output helpers shared by every command, defined once."""

from __future__ import annotations

from typing import Any, Iterable, List, Optional

import typer
from typing import Annotated

from memcli.cli.listing import (  # noqa: F401 (typer-free: shared with the fast path)
    LINE_CHARS, console, human, make_filters, print_notices, print_records, record_text, say_nothing,
    state_marker,
)
from memcli.cli.output import emit_json, short_time  # noqa: F401 (shared with the fast path)
from memcli.models import RECORD_TYPES
from memcli.services import Store, open_store

def choices(values: Iterable[str]) -> str:
    """A metavar that lists what an option takes: `[episodic|semantic|procedural]`."""
    return "[" + "|".join(values) + "]"


# Validated by the services (one-line errors naming the choices), not by click: the metavar and
# completion list them.
TYPES = choices(RECORD_TYPES)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (a stable contract) instead of text.")]
TypeFilter = Annotated[
    Optional[List[str]],
    typer.Option("--type", "-t", metavar=TYPES, help="Only memories of this type; repeatable.",
                 autocompletion=lambda: list(RECORD_TYPES)),
]
TagFilter = Annotated[Optional[List[str]], typer.Option("--tag", metavar="TAG", help="Only memories with this tag; repeatable.")]
SinceOption = Annotated[Optional[str], typer.Option("--since", metavar="WHEN", help="Only from this time on: ISO 8601 or a phrase ('last May').")]
UntilOption = Annotated[Optional[str], typer.Option("--until", metavar="WHEN", help="Only before this time: ISO 8601 or a phrase.")]
AsOfOption = Annotated[Optional[str], typer.Option("--as-of", metavar="WHEN", help="What was known and valid at this time (ISO 8601 or a phrase).")]
AllFlag = Annotated[bool, typer.Option("--all", help="Include released, archived and superseded memories (marked).")]
SourceFilter = Annotated[Optional[List[str]], typer.Option("--source", metavar="SOURCE", help="Only from this source (a file, export or cli); repeatable.")]
ModelOption = Annotated[Optional[str], typer.Option("--model", "-m", metavar="MODEL", help="A litellm model string, e.g. ollama/llama3.2 (default: llm.model).")]


def typer_app(**settings: Any) -> typer.Typer:
    """Every command group is built the same way: plain help (no boxes), errors on one line."""
    from memcli.cli.usage import Group

    return typer.Typer(cls=Group, rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False,
                       context_settings={"help_option_names": ["-h", "--help"]}, **settings)


def command_group(name: str, help: str) -> tuple[typer.Typer, typer.Typer]:
    """(module app, the `mem NAME` group inside it) for commands with subcommands, like config."""
    app = typer_app()
    group = typer_app(help=help, no_args_is_help=True)
    app.add_typer(group, name=name)
    return app, group


def store() -> Store:
    return open_store()


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 memory', '2 memories'."""
    if count == 1:
        return f"1 {word}"
    return f"{count:,} {many or (word[:-1] + 'ies' if word.endswith('y') else word + 's')}"


def first_line(text: str, width: int = 100) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


