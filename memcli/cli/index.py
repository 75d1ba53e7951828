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
    from memcli.errors import MemError
    from memcli.retrieve import embedding, fts_index
    from memcli.services.embedding import embed_lock
    from memcli.store import vectors

    store = common.store()
    embedder, notice = embedding.load_embedder()
    if embedder is None:
        raise MemError(notice or "no embedder is configured (embed.model = none)",
                       "set embed.model, e.g. default or litellm/...")
    problem = embedding.usable(store, embedder) if pending else None
    if problem:
        raise MemError(problem, "run mem reindex (without --pending) to re-embed with this embedder")
    lock = embed_lock(store)
    if lock is None:
        if not quiet:
            print("Another mem is already embedding this database; try again when it is done.")
        return
    with lock:
        bar = None if quiet or json_ else _bar()
        update = (lambda done, total: bar.update(bar.task_ids[0], completed=done, total=total)) if bar else None
        if bar:
            bar.start()
        try:
            if pending:
                fts_index.sync(store)
                embedding.embed_pending(store, embedder, on_progress=update)
                count = vectors.count(store)
            else:
                fts_index.rebuild(store)
                count = embedding.reindex(store, embedder, on_progress=update)
        finally:
            if bar:
                bar.stop()
    if json_:
        common.emit_json({"embedded": count, "embedder": embedder.name})
    elif not quiet:
        print(f"{common.plural(count, 'memory')} embedded with {embedder.name}")


def _bar():
    from rich.progress import Progress

    progress = Progress(console=common.console(stderr=True), transient=True)
    progress.add_task("Embedding", total=None)
    return progress
