"""Plugins: entry points in the `memcli` group, loaded once, lazily, each load guarded.

`MEM_LOAD_PLUGINS` is the way out of a broken plugin: '' loads none, 'a,b' only those (entry-point
or distribution names). Finding entry points costs ~45 ms, so the list is cached in the data dir
and trusted while the sys.path directories keep their mtimes (installing or removing a package
changes them): with no plugin installed, `mem add` neither scans nor imports pluggy.
"""

from __future__ import annotations

import functools

import importlib
import json
import os
import sys
from typing import Any, Callable

CACHE_NAME = "plugins-cache.json"
_pm: Any = None
_found: list[dict[str, str]] | None = None  # this process's answer: ingest asks once per item
failures: dict[str, str] = {}  # entry-point name -> why it did not load


def warn(message: str) -> None:
    print(f"Warning: {message}", file=sys.stderr)


def _search_path() -> list[str]:
    # sys.path[0] is the script's directory or the cwd: a plugin must be installed, not lying around.
    return [entry for entry in sys.path[1:] if entry]


def _cache_key() -> list[Any]:
    stamps = []
    for entry in _search_path():
        try:
            stamps.append([entry, os.stat(entry).st_mtime_ns])
        except OSError:
            continue
    return [sys.prefix, stamps]


def installed(refresh: bool = False) -> list[dict[str, str]]:
    """Entry points of the `memcli` group: name, value, dist, version."""
    global _found
    if _found is not None and not refresh:
        return _found
    _found = _scan(refresh)
    return _found


def _scan(refresh: bool) -> list[dict[str, str]]:
    from memcli import paths

    cache, key = paths.data_dir() / CACHE_NAME, _cache_key()
    if not refresh:
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
            if data["key"] == key:
                return list(data["entry_points"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    from importlib.metadata import distributions

    found, seen = [], set()
    for dist in distributions(path=_search_path()):
        name = dist.metadata["Name"] or ""
        if name.lower() in seen:  # the first on the path wins, as for imports
            continue
        seen.add(name.lower())
        found += [{"name": ep.name, "value": ep.value, "dist": name, "version": dist.version}
                  for ep in dist.entry_points if ep.group == "memcli"]
    found.sort(key=lambda ep: ep["name"])
    try:
        paths.ensure_private_dir(cache.parent)
        paths.replace_private(cache, json.dumps({"key": key, "entry_points": found}))
    except OSError:
        pass  # a read-only home only costs the scan next time
    return found


def selected(entry_points: list[dict[str, str]]) -> list[dict[str, str]]:
    wanted = os.environ.get("MEM_LOAD_PLUGINS")
    if wanted is None:
        return entry_points
    names = {name.strip() for name in wanted.split(",") if name.strip()}
    return [ep for ep in entry_points if ep["name"] in names or ep["dist"] in names]


def active() -> bool:
    """True when hooks may have implementations; cheap (no pluggy) when none can."""
    return _pm is not None or (os.environ.get("MEM_LOAD_PLUGINS") != "" and bool(selected(installed())))


def get_pm() -> Any:
    """The plugin manager, created (and entry points loaded) on first use. Tests register on it."""
    global _pm
    if _pm is None:
        import pluggy

        from memcli import hookspecs

        _pm = pluggy.PluginManager("memcli")
        _pm.add_hookspecs(hookspecs)
        if os.environ.get("MEM_LOAD_PLUGINS") != "":
            for ep in selected(installed()):
                _load(ep)
    return _pm


def _load(ep: dict[str, str]) -> None:
    try:
        module, _, attr = ep["value"].partition(":")
        plugin: Any = importlib.import_module(module.strip())
        for part in filter(None, attr.strip().split(".")):
            plugin = getattr(plugin, part)
        _pm.register(plugin, name=ep["name"])
    except Exception as exc:  # a broken plugin is a warning, never a broken mem
        failures[ep["name"]] = f"{type(exc).__name__}: {exc}"
        warn(f"plugin {ep['name']} failed to load: {failures[ep['name']]}")


def _impls(hook: str) -> list[Any]:
    """Implementations in pluggy's call order (last registered first), wrappers left out."""
    if not active():
        return []
    impls = getattr(get_pm().hook, hook).get_hookimpls()
    return [impl for impl in reversed(impls) if not (impl.hookwrapper or impl.wrapper)]


def _call(impl: Any, hook: str, **kwargs: Any) -> Any:
    """One implementation, guarded: a failing plugin loses only its own contribution."""
    try:
        return impl.function(**{name: kwargs[name] for name in impl.argnames})
    except Exception as exc:
        warn(f"plugin {impl.plugin_name} failed in {hook}: {type(exc).__name__}: {exc}")
        return None


def load_commands(cli: Any, reserved: Any = ()) -> None:
    """Let plugins add commands to the root group; built-in names cannot be taken over."""
    before = dict(cli.commands)
    for impl in _impls("register_commands"):
        _call(impl, "register_commands", cli=cli)
    for name in reserved:
        if name in cli.commands and cli.commands[name] is not before.get(name):
            warn(f"a plugin tried to replace the built-in command {name!r}; ignored")
            if name in before:
                cli.commands[name] = before[name]
            else:
                del cli.commands[name]


_importers: dict[tuple[Any, ...], dict[str, Callable[[Any], Any]]] = {}  # by the plugins registered


def registered_importers() -> dict[str, Callable[[Any], Any]]:
    """Reader name -> factory(ReadContext) -> reader, as memcli.readers.detect expects. Asked
    for every file an ingest detects: the answer is kept while the same plugins are registered."""
    impls = _impls("register_importers")
    key = tuple((impl.plugin_name, id(impl.plugin)) for impl in impls)
    if key not in _importers:
        _importers.clear()
        _importers[key] = _collect_importers(impls)
    return dict(_importers[key])


def _fresh(cls: type, context: Any) -> Any:
    return cls()


def _same(reader: Any, context: Any) -> Any:
    return reader


def _collect_importers(impls: list[Any]) -> dict[str, Callable[[Any], Any]]:
    found: dict[str, Callable[[Any], Any]] = {}

    def register(reader: Any, name: str | None = None) -> None:
        key = str(name or getattr(reader, "name"))
        if isinstance(reader, type):  # a reader class: a fresh reader per file
            found[key] = functools.partial(_fresh, reader)
        elif hasattr(reader, "read"):  # a reader object: the same one serves every file
            found[key] = functools.partial(_same, reader)
        else:  # a factory taking a ReadContext, like the built-in readers
            found[key] = reader

    for impl in impls:
        _call(impl, "register_importers", register=register)
    return found


def registered_embedders() -> dict[str, Callable[[str], Any]]:
    """Embedder prefix -> factory(spec) -> Embedder, as memcli.embed.registry expects."""
    found: dict[str, Callable[[str], Any]] = {}
    for impl in _impls("register_embedders"):
        _call(impl, "register_embedders", register=lambda prefix, factory: found.__setitem__(prefix, factory))
    return found


def process_record(record: Any) -> Any:
    """Run the process_record hooks on a record about to be stored; the one call on write paths."""
    if _pm is None and not active():
        return record
    original = record.text
    for impl in _impls("process_record"):
        result = _call(impl, "process_record", record=record)
        if result is not None:
            record = result
    if record.text != original:
        from memcli.errors import MemError
        from memcli.models import content_hash

        record.text = record.text.strip()
        if not record.text:
            raise MemError("a plugin's process_record hook left the memory empty", "check mem plugins")
        record.content_hash = content_hash(record.text)
    return record


def describe() -> list[dict[str, Any]]:
    """Installed and registered plugins, their hooks, and any load error, for `mem plugins`."""
    entry_points = {ep["name"]: ep for ep in installed(refresh=True)}
    pm = get_pm()
    rows: dict[str, dict[str, Any]] = {}
    for name, ep in entry_points.items():
        rows[name] = {"name": name, "dist": ep["dist"], "version": ep["version"], "loaded": False,
                      "hooks": [], "error": failures.get(name)}
    for name, plugin in pm.list_name_plugin():
        row = rows.setdefault(name, {"name": name, "dist": None, "version": None, "error": None})
        row.update(loaded=True, hooks=sorted(caller.name for caller in pm.get_hookcallers(plugin) or ()))
    return sorted(rows.values(), key=lambda row: row["name"])
