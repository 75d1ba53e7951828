"""The hooks a plugin can implement. Plugins declare an entry point in the `memcli` group:

    [project.entry-points.memcli]
    whatsapp = "mem_whatsapp"

and decorate module-level functions with `hookimpl` (e.g. `@hookimpl def register_importers(register)`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol

from pluggy import HookimplMarker, HookspecMarker

if TYPE_CHECKING:
    from pathlib import Path

    import click

    from memcli.embed import Embedder
    from memcli.models import Record
    from memcli.readers import Item


class Reader(Protocol):
    """What `mem ingest --format NAME` uses: a name, a sniffer for auto-detection, a reader."""

    name: str

    def sniff(self, path: "Path", head: bytes) -> bool: ...

    def read(self, path: "Path") -> "Iterator[Item]": ...


class RegisterImporter(Protocol):
    def __call__(self, reader: Any, name: str | None = None) -> None:
        """`reader`: a Reader object or class, or a factory taking a ReadContext (then give `name`)."""

hookspec = HookspecMarker("memcli")
hookimpl = HookimplMarker("memcli")


@hookspec
def register_commands(cli: "click.Group") -> None:
    """Add commands to the root `mem` group (typer's): build them with typer and
    `cli.add_command(typer.main.get_command(app), "name")`. Built-in names cannot be taken."""


@hookspec
def register_importers(register: RegisterImporter) -> None:
    """Add `mem ingest --format` readers: `register(reader)` with a reader object (`name`, `sniff(path, head)`,
    `read(path)` yielding memcli.readers.Item), or `register(factory, name=...)` with a factory taking a ReadContext."""


@hookspec
def register_embedders(register: "Callable[[str, Callable[[str], Embedder]], None]") -> None:
    """Add embedders: `register(prefix, factory)`; `embed.model = prefix/spec` calls `factory(spec)` for an Embedder."""


@hookspec
def process_record(record: "Record") -> "Record | None":
    """Change a memcli.models.Record before it is stored (e.g. redact): change it in place, or return a new
    Record. Its content hash is recomputed afterwards, so duplicates are found on the processed text."""
