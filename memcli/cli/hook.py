"""`mem hook install|uninstall|status|ingest|pause|resume|print`: shell auto-logging."""

from __future__ import annotations

from typing import Any, Optional

import typer
from typing import Annotated

from memcli.cli import common

app, hook_app = common.command_group(
    "hook",
    "Log your shell commands as memories (bash, zsh, fish), at no felt cost.\n\n"
    "Example: mem hook install bash",
)

ShellArg = Annotated[Optional[str], typer.Argument(metavar="[bash|zsh|fish]", autocompletion=lambda: _names(),
                                                  help="The shell; default: the one in $SHELL.")]


def _names() -> list[str]:
    from memcli.shell import install as hooks

    return list(hooks.SHELLS)


def _shells(shell: str | None, default_all: bool = False) -> list[str]:
    from memcli.shell import install as hooks

    if shell:
        return [hooks.check_shell(shell)]
    return list(hooks.SHELLS) if default_all else [hooks.detect_shell()]


@hook_app.command("install")
def install(shell: ShellArg = None, json_: common.JsonFlag = False) -> None:
    """Add one marked line to the shell's rc file that loads mem's hook (idempotent).

    Example: mem hook install zsh
    """
    from memcli import paths
    from memcli.services import spool
    from memcli.shell import install as hooks

    paths.ensure_private_dir(spool.spool_dir())
    changes = [hooks.install(name) for name in _shells(shell)]
    if json_:
        common.emit_json([{"shell": c.shell, "rc": str(c.rc), "action": c.action} for c in changes])
        return
    for change in changes:
        verb = {"unchanged": "already installed in", "updated": "updated in", "installed": "installed in"}[change.action]
        print(f"{change.shell}: hook {verb} {change.rc}; it starts in new shells (or source {change.rc})")


@hook_app.command("uninstall")
def uninstall(shell: ShellArg = None, json_: common.JsonFlag = False) -> None:
    """Remove mem's line from the rc file (only that line). Without a shell: from every shell.

    Example: mem hook uninstall bash
    """
    from memcli.shell import install as hooks

    changes = [hooks.uninstall(name) for name in _shells(shell, default_all=True)]
    if json_:
        common.emit_json([{"shell": c.shell, "rc": str(c.rc), "action": c.action} for c in changes])
        return
    for change in changes:
        if change.action == "removed" or shell:
            print(f"{change.shell}: {'removed from' if change.action == 'removed' else 'not installed in'} {change.rc}")
    if not shell and not any(c.action == "removed" for c in changes):
        print("No hook was installed.")


@hook_app.command("status")
def status(shell: ShellArg = None, json_: common.JsonFlag = False) -> None:
    """Where the hook is installed, whether logging is paused, and what waits in the spool.

    Example: mem hook status --json
    """
    import os

    from memcli import paths
    from memcli.services import spool
    from memcli.shell import install as hooks

    data: dict[str, Any] = {
        "shells": [{"shell": name, "rc": str(hooks.rc_path(name)), "installed": hooks.installed_line(name) is not None,
                    "script": str(hooks.script_path(name))} for name in _shells(shell, default_all=True)],
        "paused": os.path.exists(spool.pause_path()),
        "spool": str(spool.spool_path()),
        "pending_bytes": spool.pending_bytes(common.store() if paths.db_path().exists() else None),
    }
    if json_:
        common.emit_json(data)
        return
    for row in data["shells"]:
        print(f"{row['shell']}: {'installed in' if row['installed'] else 'not installed in'} {row['rc']}")
    print(f"logging: {'paused (mem hook resume)' if data['paused'] else 'on'}")
    print(f"spool: {data['spool']} ({common.plural(data['pending_bytes'], 'byte')} waiting)")


@hook_app.command("ingest")
def ingest(json_: common.JsonFlag = False) -> None:
    """Store the commands waiting in the spool as episodic memories (secrets redacted).

    Any other mem command does this too, quietly, before it runs.

    Example: mem hook ingest --json
    """
    from memcli.services import spool

    report = spool.drain(wait=True)
    if json_:
        common.emit_json(report.to_json())
        return
    extra = [f"{n} {label}" for n, label in ((report.duplicates, "already stored"), (report.ignored, "ignored"),
                                            (report.rejected, "malformed"), (report.redacted, "redacted"))
             if n]
    print(f"Stored {common.plural(report.added, 'command')} from {common.plural(report.lines, 'spool line')}"
          + (f" ({', '.join(extra)})" if extra else ""))


@hook_app.command("pause")
def pause() -> None:
    """Stop logging commands (in every shell) until `mem hook resume`.

    Example: mem hook pause
    """
    from memcli import paths
    from memcli.services import spool

    flag = spool.pause_path()
    paths.ensure_private_dir(flag.parent)
    paths.open_private(flag, "a").close()
    print("Shell logging paused; mem hook resume turns it back on.")


@hook_app.command("resume")
def resume() -> None:
    """Log commands again after `mem hook pause`.

    Example: mem hook resume
    """
    from memcli.services import spool

    spool.pause_path().unlink(missing_ok=True)
    print("Shell logging on.")


@hook_app.command("print")
def print_script(shell: Annotated[str, typer.Argument(metavar="[bash|zsh|fish]", help="The shell.",
                                                     autocompletion=lambda: _names())]) -> None:
    """Print the hook script (to read it, or to eval it instead of installing the rc line).

    Example: mem hook print bash | less
    """
    from memcli.shell import install as hooks

    print(hooks.script_path(hooks.check_shell(shell)).read_text(), end="")
