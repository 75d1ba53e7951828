"""Where mem keeps its database and config.

MEM_HOME puts both in one directory; otherwise the XDG base directories are used.
MEM_DB overrides the database path alone.
"""

from __future__ import annotations

import os
from pathlib import Path

DB_NAME = "mem.db"
CONFIG_NAME = "config.toml"


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


def ensure_private_dir(path: Path) -> None:
    """Create `path` (and parents) readable by the owner only, as memories are private."""
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)
