"""Installing the shell hooks: one marked line in the shell's rc file, added and removed exactly.

The line sources the script shipped in the package by its absolute path (`[ -f P ] && . P`): a
shell start pays for reading one small file, not for starting Python (`eval "$(mem hook print)"`
would cost a whole `mem` start on every new shell; bench/shell_hook.py measures both).
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

import memcli
from memcli import paths
from memcli.errors import MemError

SHELLS = ("bash", "zsh", "fish")
MARKER = "# mem-hook"


def check_shell(shell: str) -> str:
    if shell not in SHELLS:
        raise MemError(f"unknown shell {shell!r}", f"use one of: {', '.join(SHELLS)}")
    return shell


def detect_shell(command: str = "mem hook install") -> str:
    """The user's login shell from $SHELL, when it is one we support (`command` is named in the
    hint for when it is not)."""
    name = os.path.basename(os.environ.get("SHELL", ""))
    if name not in SHELLS:
        raise MemError(f"cannot tell which shell to use from SHELL={os.environ.get('SHELL', '')!r}",
                       f"name it: {command} {'|'.join(SHELLS)}")
    return name


def script_path(shell: str) -> Path:
    return Path(memcli.__file__).resolve().parent / "shell" / f"mem.{check_shell(shell)}"


def rc_path(shell: str) -> Path:
    home = Path.home()
    if shell == "bash":
        return home / ".bashrc"
    if shell == "zsh":
        return Path(os.environ.get("ZDOTDIR") or home) / ".zshrc"
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return config_home / "fish" / "config.fish"


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def rc_line(shell: str) -> str:
    script = str(script_path(shell))
    if shell == "fish":
        quoted = _fish_quote(script)
        return f"test -f {quoted}; and source {quoted}  {MARKER}"
    quoted = shlex.quote(script)
    return f"[ -f {quoted} ] && . {quoted}  {MARKER}"


def _is_ours(line: str) -> bool:
    return line.rstrip().endswith(MARKER)


def _read(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="surrogateescape").splitlines(keepends=True)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise MemError(f"cannot read {path}: {exc.strerror}", "check its permissions") from exc


def _write(path: Path, lines: list[str]) -> None:
    """Atomic replace of the real file (an rc file is often a symlink into a dotfiles repo)."""
    target = path.resolve()
    try:
        paths.ensure_private_dir(target.parent, tighten=False)  # e.g. ~/.config/fish: 0700 if mem makes it
        # The rc file is the user's: it keeps its mode (a new one gets the usual 0644; it holds no memories).
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
        tmp = target.with_name(f".{target.name}.mem-tmp")
        with paths.open_private(tmp, "w", errors="surrogateescape") as fh:
            fh.writelines(lines)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        raise MemError(f"cannot write {path}: {exc.strerror}", "check its permissions") from exc


@dataclass
class Change:
    shell: str
    rc: Path
    action: str  # installed, updated, unchanged, removed, absent


def install(shell: str) -> Change:
    rc = rc_path(check_shell(shell))
    lines = _read(rc)
    wanted = rc_line(shell) + "\n"
    ours = [i for i, line in enumerate(lines) if _is_ours(line)]
    if ours and [lines[i] for i in ours] == [wanted]:
        return Change(shell, rc, "unchanged")
    action = "updated" if ours else "installed"
    kept = [line for line in lines if not _is_ours(line)]
    if kept and not kept[-1].endswith("\n"):
        kept[-1] += "\n"
    _write(rc, kept + [wanted])
    return Change(shell, rc, action)


def uninstall(shell: str) -> Change:
    rc = rc_path(check_shell(shell))
    lines = _read(rc)
    kept = [line for line in lines if not _is_ours(line)]
    if len(kept) == len(lines):
        return Change(shell, rc, "absent")
    _write(rc, kept)
    return Change(shell, rc, "removed")


def installed_line(shell: str) -> str | None:
    for line in _read(rc_path(check_shell(shell))):
        if _is_ours(line):
            return line.rstrip("\n")
    return None
