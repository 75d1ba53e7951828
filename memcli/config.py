"""The TOML config file: read with dotted keys, written back whole."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from memcli import paths
from memcli.errors import MemError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# Keys mem itself reads, with their defaults; `mem config get` shows these when unset.
DEFAULTS: dict[str, Any] = {
    "llm.model": "",
    "llm.api_base": "",
    # A small local model on a CPU needs 30-60 s for one answer; 120 s leaves room.
    "llm.timeout": 120,
    "llm.connect_timeout": 2,
    # Background work: extraction writes up to ~800 tokens, ~270 s at 3 tokens/s on a CPU.
    "consolidate.timeout": 600,
    # Shell commands are where a secret the redactor missed would sit: they stay out of the
    # LLM stage unless the user opts in (procedures are mined from them without a model).
    "consolidate.include_shell": False,
    "embed.model": "default",
    "embed.inline_limit": 16,
}


def load(path: Path | None = None) -> dict[str, Any]:
    path = path or paths.config_path()
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise MemError(f"config file {path} is not valid TOML: {exc}", "fix or delete it") from exc


def env_name(key: str) -> str:
    return "MEM_" + key.upper().replace(".", "_")


def get(key: str, data: dict[str, Any] | None = None) -> Any:
    """A setting: the environment (MEM_LLM_MODEL for llm.model) wins over config.toml,
    which wins over the default."""
    override = os.environ.get(env_name(key))
    if override is not None:
        return parse_value(override)
    node: Any = load() if data is None else data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return DEFAULTS.get(key)
        node = node[part]
    return node


def parse_value(raw: str) -> Any:
    """Config values typed on a command line: booleans and numbers become TOML scalars."""
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return raw


def set_value(key: str, raw: str, path: Path | None = None) -> Any:
    import tomli_w

    if not key or any(not part for part in key.split(".")):
        raise MemError(f"invalid config key {key!r}", "use dotted names such as llm.model")
    path = path or paths.config_path()
    data = load(path)
    node = data
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise MemError(f"config key {part!r} holds a value, not a table", "unset it first")
        node = child
    value = parse_value(raw)
    node[parts[-1]] = value
    paths.ensure_private_dir(path.parent)
    tmp = path.with_suffix(".toml.tmp")
    with open(tmp, "wb") as fh:
        tomli_w.dump(data, fh)
    os.replace(tmp, path)  # atomic: a crash never leaves half a config
    return value


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{full}."))
        else:
            flat[full] = value
    return flat
