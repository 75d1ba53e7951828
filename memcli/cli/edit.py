"""`mem tag`, `mem pin`."""

from __future__ import annotations

from typing import Annotated, List

import typer

from memcli.cli import common

app = common.typer_app()


@app.command("tag")
def tag(
    record_id: Annotated[int, typer.Argument(metavar="ID", help="The memory's id.")],
    tags: Annotated[List[str], typer.Argument(metavar="TAG...", help="Tags to add (a leading # is dropped).")],
    remove: Annotated[bool, typer.Option("--remove", "-r", help="Remove these tags instead of adding them.")] = False,
    json_: common.JsonFlag = False,
) -> None:
    """Add tags to a memory, or remove them with --remove. The text is not touched.

    Example: mem tag 42 health dentist
    """
    from memcli.services import edit

    store = common.store()
    change = edit.remove_tags if remove else edit.add_tags
    record = change(store, record_id, tags)
    if json_:
        common.emit_json({"id": record.id, "tags": record.tags})
    else:
        print(f"#{record.id} tags: {' '.join('#' + t for t in record.tags) or '(none)'}")


@app.command("pin")
def pin(
    record_id: Annotated[int, typer.Argument(metavar="ID", help="The memory's id.")],
    off: Annotated[bool, typer.Option("--off", help="Unpin instead.")] = False,
    json_: common.JsonFlag = False,
) -> None:
    """Pin a memory so that it never fades (consolidation's decay skips it); --off unpins.

    Example: mem pin 42
    """
    from memcli.services import edit

    record = edit.set_pinned(common.store(), record_id, not off)
    if json_:
        common.emit_json({"id": record.id, "pinned": record.pinned})
    else:
        print(f"#{record.id} {'pinned' if record.pinned else 'unpinned'}")
