"""Usage errors on one line, as mem's other errors are: `Error: <problem>; <fix>`, exit code 2.

click prints a usage block and a "Try ... --help" line before its message, and typer adds a
list of guesses; here a mistyped command gets the one closest name (`mem serch` → "did you mean
'search'?"), a mistyped option the closest option, and anything else a pointer to the help.
"""

from __future__ import annotations

import difflib
import re
import sys
from typing import IO, Any, Iterable

from typer._click.exceptions import MissingParameter, NoArgsIsHelpError, NoSuchOption, UsageError
from typer.core import TyperGroup


class OneLineUsageError(UsageError):
    def __init__(self, problem: str, hint: str, ctx: Any = None) -> None:
        super().__init__(problem, ctx)
        self.hint = hint

    def format_message(self) -> str:
        return f"{self.message}; {self.hint}"

    def show(self, file: IO[Any] | None = None) -> None:
        print(f"Error: {self.format_message()}", file=file or sys.stderr)


EXTRA = re.compile(r"got unexpected extra arguments?(?:\(s\))? \((.*)\)")
PATH_KEY = "memcli.command_path"  # in ctx.meta: the command being parsed, for errors raised without a ctx


def _help_hint(ctx: Any, fallback: Any = None) -> str:
    if ctx is not None:
        return f"see {ctx.command_path} --help"
    path = fallback.meta.get(PATH_KEY, fallback.command_path) if fallback is not None else "mem"
    return f"see {path} --help"


def _closest(name: str, names: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_command(ctx: Any, name: str, names: Iterable[str]) -> OneLineUsageError:
    guess = _closest(name, names)
    hint = f"did you mean '{guess}'?" if guess else f"{ctx.command_path} --help lists them"
    return OneLineUsageError(f"no command '{name}'", hint, ctx)


def one_line(error: UsageError, outer: Any = None) -> UsageError:
    """The same error, shown on one line (help asked for by no arguments stays help). `outer`:
    the context that caught it, for the errors click's parser raises without one."""
    if isinstance(error, (OneLineUsageError, NoArgsIsHelpError)):
        return error
    ctx = error.ctx
    if isinstance(error, NoSuchOption):
        guess = _closest(error.option_name, error.possibilities or ())
        return OneLineUsageError(f"no option {error.option_name}",
                                 f"did you mean {guess}?" if guess else _help_hint(ctx, outer), ctx)
    problem = " ".join(error.format_message().split()).rstrip(".")
    problem = problem[:1].lower() + problem[1:]
    extra = EXTRA.fullmatch(problem)
    if extra:
        problem = f"unexpected argument {extra.group(1)!r}" if " " not in extra.group(1) else \
            f"unexpected arguments ({extra.group(1)})"
    problem = problem.replace("is not a valid int", "is not a whole number")
    if isinstance(error, MissingParameter) and ctx is not None:
        usage = " ".join(ctx.get_usage().split()).replace("{", "").replace("}", "")  # typer's braces: required
        return OneLineUsageError(problem, usage[:1].lower() + usage[1:], ctx)
    return OneLineUsageError(problem, _help_hint(ctx, outer), ctx)


class Group(TyperGroup):
    """A command group whose unknown-command error names the closest command."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and not ctx.resilient_parsing and self.get_command(ctx, name) is None:
            raise unknown_command(ctx, name, self.list_commands(ctx))
        found = super().resolve_command(ctx, args)
        if found[0]:
            ctx.meta[PATH_KEY] = f"{ctx.command_path} {found[0]}"
        return found
