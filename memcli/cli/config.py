"""`mem config path|get|set|unset|list`."""

from __future__ import annotations

import json

import typer
from typing import Annotated, Any

from memcli.cli import common

app, config_app = common.command_group(
    "config",
    "Read and change settings in config.toml.\n\nExample: mem config set llm.model ollama/llama3.2",
)

KeyArg = Annotated[str, typer.Argument(metavar="KEY", help="Dotted key, e.g. llm.model (mem config list shows them all).",
                                       autocompletion=lambda: _keys())]


def _keys() -> list[str]:
    from memcli import config

    return list(config.SETTINGS)


def _shown(value: Any) -> str:
    """A value as it would be typed back: text bare, lists as JSON."""
    if isinstance(value, str):
        return value or '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


@config_app.command("path")
def path(json_: common.JsonFlag = False) -> None:
    """Print the config file's path (with --json, the database's too).

    Example: mem config path
    """
    from memcli import paths

    if json_:
        common.emit_json({"config": str(paths.config_path()), "db": str(paths.db_path())})
        return
    print(paths.config_path())


@config_app.command("get")
def get(key: KeyArg, json_: common.JsonFlag = False) -> None:
    """Print one setting (its default when unset).

    Example: mem config get llm.model
    """
    from memcli import config

    setting = config.known(key)
    data = config.load()
    value = config.get(key, data)
    if json_:
        common.emit_json({"key": key, "value": value, "default": setting.default if key in config.SETTINGS else None,
                          "source": config.source(key, data)})
    else:
        print(value if isinstance(value, str) else "" if value is None else _shown(value))  # scripts read it bare


@config_app.command("set")
def set_(key: KeyArg,
         value: Annotated[str, typer.Argument(metavar="VALUE", help="The value, checked against the setting's type; a list as JSON.")]) -> None:
    """Change one setting in config.toml (unknown keys and wrong types are refused).

    Example: mem config set llm.model ollama/llama3.2
    """
    import os
    import sys

    from memcli import config

    stored = config.set_value(key, value)
    print(f"{key} = {_shown(stored)}")
    if os.environ.get(config.env_name(key)) is not None:
        print(f"Note: {config.env_name(key)} is set in the environment and overrides it", file=sys.stderr)


@config_app.command("unset")
def unset(key: KeyArg) -> None:
    """Remove one setting from config.toml: its default applies again.

    Example: mem config unset llm.api_base
    """
    from memcli import config

    removed = config.unset_value(key)
    print(f"{key} removed from config.toml" if removed else f"{key} was not set in config.toml")


@config_app.command("list")
def list_(json_: common.JsonFlag = False) -> None:
    """Print every setting: its value, where that comes from (env, file or default), its
    default and what it does; then the open-ended families (TUI keys, plugin settings).

    Example: mem config list --json
    """
    from memcli import config

    rows = config.listing()
    if json_:
        common.emit_json(rows)
        return
    for key, row in rows.items():
        default = "" if row["source"] == "default" or row["default"] is None else f"  (default {_shown(row['default'])})"
        print(f"{key} = {_shown(row['value'])}  [{row['source']}]{default}")
        print(f"    {row['help']}")
    for pattern in config.PATTERNS:
        print(f"{pattern.key}\n    {pattern.help}")
