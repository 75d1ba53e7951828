"""The typer app of `mem`: the root command, lazy subcommands, and how errors are reported."""

from __future__ import annotations

import importlib
from typing import Any, Optional

import typer
from typer._click.exceptions import UsageError

from memcli import __version__
from memcli.cli import COMMANDS
from memcli.cli.fast import before_command, report as _report
from memcli.cli.usage import Group, one_line
from memcli.errors import MemError


class CliError(typer.Exit):
    """Raised after printing a MemError; carries exit code 2."""


class LazyGroup(Group):
    def _plugin_commands(self) -> None:
        """Plugins' commands, added once and only when a listing or an unknown name needs them."""
        if not getattr(self, "_plugins_loaded", False):
            self._plugins_loaded = True
            from memcli.plugins import load_commands

            load_commands(self, reserved=COMMANDS)

    def list_commands(self, ctx: Any) -> list[str]:
        self._plugin_commands()
        return list(COMMANDS) + sorted(name for name in self.commands if name not in COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in COMMANDS:
            self._plugin_commands()
            return self.commands.get(cmd_name)
        module = importlib.import_module(COMMANDS[cmd_name][0])
        group = typer.main.get_group(module.app)
        command = group.get_command(ctx, cmd_name)
        if command is not None:
            self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        self._plugin_commands()
        rows = [(name, help_text) for name, (_, help_text) in COMMANDS.items()]
        rows += [(name, cmd.get_short_help_str()) for name, cmd in self.commands.items() if name not in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        """Command names with the help stored above: completing `mem ` imports no command module."""
        if incomplete.startswith("-"):
            return super().shell_complete(ctx, incomplete)
        from typer._click.shell_completion import CompletionItem

        self._plugin_commands()
        found = [CompletionItem(name, help=help_text) for name, (_, help_text) in COMMANDS.items()]
        found += [CompletionItem(name, help=cmd.get_short_help_str()) for name, cmd in self.commands.items()
                  if name not in COMMANDS and not cmd.hidden]
        return [item for item in found if item.value.startswith(incomplete)]

    def invoke(self, ctx: Any) -> Any:
        before_command([*(ctx._protected_args if hasattr(ctx, "_protected_args") else ctx.protected_args), *ctx.args])
        try:
            return super().invoke(ctx)
        except MemError as error:
            _report(error)
            raise CliError(code=error.exit_code) from None
        except UsageError as error:  # a subcommand's: one line, like every other error
            raise one_line(error, ctx) from None

    def make_context(self, info_name: Optional[str], args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except UsageError as error:
            raise one_line(error) from None


app = typer.Typer(
    cls=LazyGroup,
    name="mem",
    help="mem: a local-first memory for the terminal. Add what happened, search it, ask about it.\n\n"
    "Example: mem add \"renewed my passport\" --at 'yesterday 3pm'",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"mem {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """mem: a local-first memory for the terminal."""


def main() -> None:
    import os

    if os.environ.get("_MEM_COMPLETE"):  # a completion script is asking (see cli/completion.py)
        from memcli.cli.completion import register

        register()  # add_completion=False leaves typer's shells unregistered
    app(prog_name="mem")
