"""Where mem keeps its database and config, and how it creates files there.

MEM_HOME puts both in one directory; otherwise the XDG base directories are used.
MEM_DB overrides the database path alone.

Memories are private: every file mem creates is 0600 and every directory 0700, whatever the
umask (under umask 000 a plain `open` would make a world-writable config.toml, and whoever can
edit `llm.api_base` receives the memories). Files that already exist keep their mode.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any

DB_NAME = "mem.db"
CONFIG_NAME = "config.toml"
FILE_MODE = 0o600
DIR_MODE = 0o700


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


def home() -> Path | None:
    value = os.environ.get("MEM_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    return home() or _xdg("XDG_DATA_HOME", ".local/share") / "mem"


def config_dir() -> Path:
    return home() or _xdg("XDG_CONFIG_HOME", ".config") / "mem"


def db_path() -> Path:
    override = os.environ.get("MEM_DB")
    return Path(override).expanduser() if override else data_dir() / DB_NAME


def config_path() -> Path:
    return config_dir() / CONFIG_NAME


def ensure_private_dir(path: Path, *, tighten: bool = True) -> list[Path]:
    """Create `path` and every missing parent 0700; returns the directories it made. With
    `tighten`, a directory of mem's own that exists with group or other bits (made by an older
    mem, or under a loose umask) loses them; pass tighten=False for one the user chose."""
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    made: list[Path] = []
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:  # made meanwhile by another process: theirs to set
            continue
        os.chmod(directory, DIR_MODE)  # mkdir's mode is filtered by the umask
        made.append(directory)
    if tighten and not missing and os.path.realpath(path) != os.path.realpath(Path.home()):  # MEM_HOME=~
        try:
            info = path.stat()
            if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and info.st_mode & 0o077:
                # Only ever removes bits: a directory made read-only on purpose stays read-only.
                os.chmod(path, stat.S_IMODE(info.st_mode) & DIR_MODE)
        except OSError:
            pass  # not ours to change (read-only mount, another owner): use it as it is
    return made


def open_private(path: Path | str, mode: str = "w", *, encoding: str | None = None, errors: str | None = None,
                 newline: str | None = None, exclusive: bool = False) -> IO[Any]:
    """`open(path, mode)` for writing, except that a file it creates is 0600 whatever the umask;
    an existing file keeps its mode. `exclusive` refuses a file that exists (FileExistsError)."""
    if exclusive:
        mode = mode.replace("w", "x")
    existed = "x" not in mode and os.path.exists(path)

    def opener(name: str, flags: int) -> int:
        fd = os.open(name, flags, FILE_MODE)
        if not existed:
            os.fchmod(fd, FILE_MODE)  # os.open's mode is filtered by the umask too
        return fd

    if "b" in mode:
        return open(path, mode, opener=opener)
    return open(path, mode, encoding=encoding or "utf-8", errors=errors, newline=newline, opener=opener)


def replace_private(path: Path, data: bytes | str) -> None:
    """Write `data` to `path` whole: into a 0600 temp file beside it, then renamed over it,
    so that a crash never leaves half a file. For mem's own files (config, caches)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open_private(temp, "wb" if isinstance(data, bytes) else "w", newline="\n") as out:
            out.write(data)
        os.replace(temp, path)
    finally:
        if temp.exists():
            temp.unlink()
