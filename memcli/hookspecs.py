"""The hooks a plugin can implement. Plugins declare an entry point in the `memcli` group:

    [project.entry-points.memcli]
    whatsapp = "mem_whatsapp"

and decorate module-level functions with `hookimpl` (e.g. `@hookimpl def register_importers(register)`).
"""

from __future__ import annotations

from typing import Any, Callable

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("memcli")
hookimpl = HookimplMarker("memcli")


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the root `mem` group (typer's): build them with typer and
    `cli.add_command(typer.main.get_command(app), "name")`. Built-in names cannot be taken."""


@hookspec
def register_importers(register: Callable[..., None]) -> None:
    """Add `mem ingest --format` readers: `register(reader)` with a reader object (`name`, `sniff(path, head)`,
    `read(path)` yielding memcli.readers.Item), or `register(factory, name=...)` with a factory taking a ReadContext."""


@hookspec
def register_embedders(register: Callable[[str, Callable[[str], Any]], None]) -> None:
    """Add embedders: `register(prefix, factory)`; `embed.model = prefix/spec` calls `factory(spec)` for an Embedder."""


@hookspec
def process_record(record: Any) -> Any:
    """Change a memcli.models.Record before it is stored (e.g. redact): change it in place, or return a new
    Record. Its content hash is recomputed afterwards, so duplicates are found on the processed text."""
