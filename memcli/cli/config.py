"""`mem config path|get|set|list`."""

from __future__ import annotations


import typer
from typing import Annotated

from memcli.cli import common

app, config_app = common.command_group(
    "config",
    "Read and change settings in config.toml.\n\nExample: mem config set llm.model ollama/llama3.2",
)


@config_app.command("path")
def path() -> None:
    """Print the config file's path (and the database's).

    Example: mem config path
    """
    from memcli import paths

    print(paths.config_path())


@config_app.command("get")
def get(key: Annotated[str, typer.Argument(help="Dotted key, e.g. llm.model.")], json_: common.JsonFlag = False) -> None:
    """Print one setting (its default when unset).

    Example: mem config get llm.model
    """
    from memcli import config

    value = config.get(key)
    if json_:
        common.emit_json({"key": key, "value": value})
    else:
        print("" if value is None else value)


@config_app.command("set")
def set_(key: Annotated[str, typer.Argument(help="Dotted key, e.g. llm.model.")],
         value: Annotated[str, typer.Argument(help="The value; true/false and numbers are typed.")]) -> None:
    """Change one setting.

    Example: mem config set llm.model ollama/llama3.2
    """
    from memcli import config

    stored = config.set_value(key, value)
    print(f"{key} = {stored!r}")


@config_app.command("list")
def list_(json_: common.JsonFlag = False) -> None:
    """Print every setting: defaults, overridden by config.toml.

    Example: mem config list --json
    """
    from memcli import config

    merged = {**config.DEFAULTS, **config.flatten(config.load())}
    if json_:
        common.emit_json(merged)
        return
    for key, value in sorted(merged.items()):
        print(f"{key} = {value!r}")
