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
    "llm.timeout": 60,
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


def env_value(key: str) -> Any:
    """The environment's override of `key` (MEM_LLM_MODEL for llm.model), or None."""
    override = os.environ.get(env_name(key))
    return None if override is None else parse_value(override)


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
    paths.replace_private(path, tomli_w.dumps(data))  # whole, 0600: a crash never leaves half a config
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
