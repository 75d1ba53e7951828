"""Settings: declared once here (key, type, default, help), read from the environment, then
config.toml, then the default; written back to config.toml whole.

`SETTINGS` is every key mem reads. Two families are open-ended and documented as patterns:
`tui.keys.<binding id>` (keys for a TUI action) and `plugins.<name>.<key>` (a plugin's own
settings, whatever their type). `mem config set` refuses anything else, and a value of the
wrong type, naming the valid ones.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any, NamedTuple

from memcli import paths
from memcli.errors import MemError


class Setting(NamedTuple):
    key: str
    kind: str  # text, number, integer, boolean, list (of strings), any (plugins: typed as typed)
    default: Any
    help: str


SETTINGS: dict[str, Setting] = {s.key: s for s in (
    Setting("llm.model", "text", "", "Model for ask and consolidate, as litellm names it (ollama/llama3.2, "
            "gpt-4o-mini); empty: offline."),
    Setting("llm.api_base", "text", "", "The provider's base URL when it needs one (http://localhost:11434)."),
    # A small local model on a CPU needs 30-60 s for one answer; 120 s leaves room.
    Setting("llm.timeout", "number", 120, "Seconds to wait for the model's answer."),
    Setting("llm.connect_timeout", "number", 2, "Seconds to wait for a connection to the provider; an "
            "unreachable one falls back to the offline answer this fast."),
    # Background work: extraction writes up to ~800 tokens, ~270 s at 3 tokens/s on a CPU.
    Setting("consolidate.timeout", "number", 600, "Seconds a consolidation call may take."),
    # Shell commands are where a secret the redactor missed would sit: they stay out of the LLM
    # stage unless the user opts in (procedures are mined from them without a model).
    Setting("consolidate.include_shell", "boolean", False, "Send shell commands to the model during "
            "consolidation (off: only notes and chats are)."),
    Setting("embed.model", "text", "default", "Embedder: default (local), none, litellm/<model> or "
            "fastembed/<model>; run mem reindex after changing it."),
    Setting("embed.api_base", "text", "", "Base URL for a litellm embedding model."),
    Setting("embed.inline_limit", "integer", 16, "A search embeds up to this many new memories itself; "
            "a larger backlog goes to a background mem reindex."),
    Setting("hook.ignore", "list", [], "Regexes: shell commands matching one are not stored."),
    Setting("hook.ignore_dirs", "list", [], "Directories whose shell commands are not stored."),
    Setting("store.busy_timeout", "number", 30, "Seconds a write waits for another writer; then mem add "
            "keeps the memory for the next command and other writes fail."),
)}
PATTERNS: tuple[Setting, ...] = (
    Setting("tui.keys.<binding>", "text", "", "Keys for a TUI action, e.g. tui.keys.mem.forget = x "
            "(binding ids are in the TUI's help screen)."),
    Setting("plugins.<name>.<key>", "any", None, "A plugin's own setting (see the plugin's README)."),
)
DEFAULTS: dict[str, Any] = {key: setting.default for key, setting in SETTINGS.items()}
KINDS = {"text": "text", "number": "a number", "integer": "a whole number", "boolean": "true or false",
         "list": "a string or a JSON list of strings, e.g. '[\"^pass \", \"vault\"]'", "any": "a value"}


def setting_for(key: str) -> Setting | None:
    """The declaration that covers `key`, a pattern's included; None for an unknown key."""
    if key in SETTINGS:
        return SETTINGS[key]
    parts = key.split(".")
    if parts[:2] == ["tui", "keys"] and len(parts) > 2:
        return PATTERNS[0]
    if parts[0] == "plugins" and len(parts) > 2:
        return PATTERNS[1]
    return None


def known(key: str) -> Setting:
    """`setting_for(key)`, or a one-line error that lists the valid keys."""
    if not key or any(not part for part in key.split(".")):
        raise MemError(f"invalid config key {key!r}", "use dotted names such as llm.model")
    setting = setting_for(key)
    if setting is None:
        import difflib

        close = difflib.get_close_matches(key, list(SETTINGS), n=1)
        guess = f" (did you mean {close[0]}?)" if close else ""
        valid = ", ".join([*SETTINGS, *(p.key for p in PATTERNS)])
        raise MemError(f"unknown setting {key!r}{guess}", f"valid settings: {valid}")
    return setting


def load(path: Path | None = None) -> dict[str, Any]:
    path = path or paths.config_path()
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the read forever
            raise MemError(f"config file {path} is not a regular file", "delete it; mem config set writes a new one")
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise MemError(f"cannot read the config file {path}: {exc.strerror}", "fix its permissions or delete it") from exc
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = "\x00"
    if "\x00" in text:  # ASCII in UTF-16 decodes as UTF-8, with a NUL after every letter
        raise MemError(f"config file {path} is not UTF-8 text (a binary or UTF-16 file?)",
                       "save it as UTF-8, or delete it and use mem config set")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MemError(f"config file {path} is not valid TOML: {exc}", "fix that line, or delete the file") from exc


def env_name(key: str) -> str:
    return "MEM_" + key.upper().replace(".", "_")


def env_value(key: str) -> Any:
    """The environment's override of `key` (MEM_LLM_MODEL for llm.model), typed, or None."""
    raw = os.environ.get(env_name(key))
    if raw is None:
        return None
    setting = setting_for(key)
    try:
        return typed(setting, raw) if setting else parse_value(raw)
    except MemError as exc:
        raise MemError(f"{env_name(key)}={raw!r}: {exc.message}", f"fix or unset {env_name(key)}") from None


def _lookup(data: dict[str, Any], key: str) -> tuple[bool, Any]:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def get(key: str, data: dict[str, Any] | None = None) -> Any:
    """A setting: the environment (MEM_LLM_MODEL for llm.model) wins over config.toml,
    which wins over the default. A value of the wrong type in config.toml is a one-line error."""
    override = env_value(key)
    if override is not None:
        return override
    found, value = _lookup(load() if data is None else data, key)
    if not found:
        return DEFAULTS.get(key)
    setting = SETTINGS.get(key)
    if setting is not None and not _fits(setting, value):
        raise MemError(f"{key} in {paths.config_path()} is {value!r}, not {KINDS[setting.kind]}",
                       f"mem config set {key} VALUE (or mem config unset {key})")
    return value


def source(key: str, data: dict[str, Any]) -> str:
    """Where the value of `key` comes from: env, file or default."""
    if os.environ.get(env_name(key)) is not None:
        return "env"
    return "file" if _lookup(data, key)[0] else "default"


def _fits(setting: Setting, value: Any) -> bool:
    if setting.kind == "text":
        return isinstance(value, str)
    if setting.kind in ("number", "integer"):
        wanted = int if setting.kind == "integer" else (int, float)
        return isinstance(value, wanted) and not isinstance(value, bool) and value >= 0
    if setting.kind == "list":
        return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    if setting.kind == "boolean":
        return isinstance(value, bool)
    return True


def parse_value(raw: str) -> Any:
    """A value typed on a command line for a key of no declared type: booleans and numbers
    become TOML scalars."""
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return raw


def typed(setting: Setting, raw: str) -> Any:
    """`raw` as the setting's type, or a one-line error saying what it takes."""
    value: Any = raw
    if setting.kind in ("number", "integer", "boolean"):
        value = parse_value(raw.strip())
    elif setting.kind == "list" and raw.lstrip().startswith("["):
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
    elif setting.kind == "list":
        value = [raw]
    elif setting.kind == "any":
        value = parse_value(raw)
    if not _fits(setting, value):
        example = setting.default if setting.default not in ("", [], None) else "VALUE"
        raise MemError(f"{setting.key} takes {KINDS[setting.kind]} (got {raw!r})",
                       f"e.g. mem config set {setting.key} {json.dumps(example) if setting.kind == 'list' else example}")
    return value


def _save(data: dict[str, Any], path: Path) -> None:
    import tomli_w

    paths.ensure_private_dir(path.parent)
    paths.replace_private(path, tomli_w.dumps(data))  # whole, 0600: a crash never leaves half a config


def set_value(key: str, raw: str, path: Path | None = None) -> Any:
    value = typed(known(key), raw)
    path = path or paths.config_path()
    data = load(path)
    node = data
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise MemError(f"config key {part!r} holds a value, not a table", f"mem config unset {part}")
        node = child
    if isinstance(node.get(parts[-1]), dict):
        raise MemError(f"config key {key!r} is a table of settings", f"set one of them, e.g. {key}.NAME")
    node[parts[-1]] = value
    _save(data, path)
    return value


def unset_value(key: str, path: Path | None = None) -> bool:
    """Remove `key` from config.toml (and tables left empty). False when it was not there."""
    known(key)
    path = path or paths.config_path()
    data = load(path)
    trail = [data]
    parts = key.split(".")
    for part in parts[:-1]:
        child = trail[-1].get(part)
        if not isinstance(child, dict):
            return False
        trail.append(child)
    if parts[-1] not in trail[-1]:
        return False
    del trail[-1][parts[-1]]
    for depth in range(len(parts) - 1, 0, -1):  # prune tables the removal emptied
        if not trail[depth]:
            del trail[depth - 1][parts[depth - 1]]
    _save(data, path)
    return True


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{full}."))
        else:
            flat[full] = value
    return flat


def listing() -> dict[str, dict[str, Any]]:
    """Every setting with its value, default, source, type and help; then what config.toml
    holds beyond them (TUI keys, plugin settings, and keys mem does not know)."""
    data = load()
    rows: dict[str, dict[str, Any]] = {}
    for key, setting in SETTINGS.items():
        rows[key] = {"value": get(key, data), "default": setting.default, "source": source(key, data),
                     "type": setting.kind, "help": setting.help}
    for key, value in flatten(data).items():
        if key in rows:
            continue
        known = setting_for(key)
        rows[key] = {"value": value, "default": None, "source": "file", "type": known.kind if known else None,
                     "help": known.help if known else "not a setting mem knows (mem config unset removes it)"}
    return rows
