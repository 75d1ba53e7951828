"""The `mem` command line.

Subcommands are imported only when called (completing a command name imports none): `mem add` must not pay
for the TUI, the LLM layer or the MCP server. `COMMANDS` maps each name to its module and to the
one-line help that `mem --help` shows without importing anything.

This package imports nothing heavy: the typer app lives in cli/group.py (`app` here loads it on
first use), and `mem add` with plain arguments, the command scripts and editors run most, is
served by cli/fast.py without typer or click (importing typer alone costs twice a bare Python
start).
"""

from __future__ import annotations

from typing import Any

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


def main() -> None:
    import sys

    from memcli.cli import fast

    code = fast.run(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from memcli.cli.group import main as run

    run()


def __getattr__(name: str) -> Any:
    """`app` (and the rest of the typer layer) is imported when first asked for."""
    if name in ("app", "LazyGroup", "CliError"):
        from memcli.cli import group

        return getattr(group, name)
    raise AttributeError(f"module 'memcli.cli' has no attribute {name!r}")
