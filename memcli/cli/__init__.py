"""The `mem` command line.

Subcommands are imported only when called (completing a command name imports none): `mem add` must not pay
for the TUI, the LLM layer or the MCP server. `COMMANDS` maps each name to its module and to the
one-line help that `mem --help` shows without importing anything.
"""

from __future__ import annotations

import importlib
from typing import Any, Optional

import typer
from typer._click.exceptions import UsageError

from memcli import __version__
from memcli.cli.usage import Group, one_line
from memcli.errors import MemError

# name -> (module, one-line help). Keep in the order `mem --help` should list them.
COMMANDS: dict[str, tuple[str, str]] = {
    "add": ("memcli.cli.records", "Store a memory (text, or stdin). Never calls an LLM."),
    "search": ("memcli.cli.search", "Find memories matching a query."),
    "ask": ("memcli.cli.ask", "Answer a question from your memories, citing them (works offline)."),
    "show": ("memcli.cli.records", "Show one memory with its provenance and history."),
    "list": ("memcli.cli.records", "List recent memories, newest first."),
    "history": ("memcli.cli.history", "The versions of a memory and where each came from."),
    "ingest": ("memcli.cli.ingest", "Import notes (Markdown, Obsidian, text) and chat exports (ChatGPT, Claude, JSONL)."),
    "watch": ("memcli.cli.watch", "Watch note folders and ingest notes as they change."),
    "forget": ("memcli.cli.forget", "Release, supersede or purge memories (whole-word matching)."),
    "restore": ("memcli.cli.forget", "Bring released or archived memories back."),
    "compact": ("memcli.cli.forget", "Rewrite the database file so purged text is gone from it."),
    "tag": ("memcli.cli.edit", "Add or remove tags on a memory."),
    "pin": ("memcli.cli.edit", "Pin a memory so it never fades (--off to unpin)."),
    "consolidate": ("memcli.cli.consolidate", "Distil episodes into facts, procedures and digests; undoable."),
    "tui": ("memcli.cli.tui", "Browse, search and tend your memories in a terminal UI."),
    "stats": ("memcli.cli.stats", "Counts by type and source, database size and versions."),
    "hook": ("memcli.cli.hook", "Log shell commands as memories: install, status, ingest, pause."),
    "schedule": ("memcli.cli.schedule", "Run ingest and consolidate every night (cron or systemd)."),
    "reindex": ("memcli.cli.index", "Re-embed every memory after changing the embedder."),
    "eval": ("memcli.cli.evaluate", "Measure retrieval recall on a benchmark (LoCoMo)."),
    "export": ("memcli.cli.transfer", "Write every memory to JSONL (lossless) or Markdown (for reading)."),
    "import": ("memcli.cli.transfer", "Load a JSONL export into an empty database."),
    "mcp": ("memcli.cli.mcp", "Serve your memory to AI assistants over MCP (stdio)."),
    "plugins": ("memcli.cli.plugins", "List installed plugins and the hooks they implement."),
    "completion": ("memcli.cli.completion", "Tab completion for bash, zsh and fish: install it, or print the script."),
    "config": ("memcli.cli.config", "Read and change settings (config.toml)."),
    "doctor": ("memcli.cli.doctor", "Show the setup and check that the configured model answers."),
}


class CliError(typer.Exit):
    """Raised after printing a MemError; carries exit code 2."""


def _report(error: MemError) -> None:
    import sys

    text = error.message if not error.hint else f"{error.message}; {error.hint}"
    print(f"Error: {text}", file=sys.stderr)


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
        args: list[str] = []
        try:  # shell commands waiting in the hook's spool become memories first; never blocks
            args = [*(ctx._protected_args if hasattr(ctx, "_protected_args") else ctx.protected_args), *ctx.args]
            if args and args[0] != "hook" and "--help" not in args and "-h" not in args:
                from memcli.services import no_waiting
                from memcli.services.spool import drain_if_pending

                with no_waiting():  # a busy database: the spool waits for a later command
                    drain_if_pending()
        except Exception:
            pass
        if args and "--help" not in args and "-h" not in args:  # adds kept while the db was busy
            from memcli.services import pending

            pending.drain_if_pending()
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
