"""`mem reindex`."""

from __future__ import annotations

from typing import Annotated

import typer

from memcli.cli import common

app = common.typer_app()


@app.command("reindex")
def reindex(
    pending: Annotated[bool, typer.Option("--pending", help="Only embed memories not embedded yet (what a search starts in the background).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, no summary.")] = False,
    json_: common.JsonFlag = False,
) -> None:
    """Re-embed every memory with the configured embedder (after changing embed.model), and
    rebuild the full-text ranking index.

    Example: mem config set embed.model litellm/ollama/nomic-embed-text && mem reindex
    """
    from memcli.services.embedding import reindex as run_reindex

    bar = None if quiet or json_ else _bar()
    update = (lambda done, total: bar.update(bar.task_ids[0], completed=done, total=total)) if bar else None
    if bar:
        bar.start()
    try:
        done = run_reindex(common.store(), pending_only=pending, on_progress=update)
    finally:
        if bar:
            bar.stop()
    if done is None:
        if not quiet:
            print("Another mem is already embedding this database; try again when it is done.")
        return
    count, name = done
    if json_:
        common.emit_json({"embedded": count, "embedder": name})
    elif not quiet:
        print(f"{common.plural(count, 'memory')} embedded with {name}")


def _bar():
    from rich.progress import Progress

    progress = Progress(console=common.console(stderr=True), transient=True)
    progress.add_task("Embedding", total=None)
    return progress
