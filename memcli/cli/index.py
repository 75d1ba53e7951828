"""`mem reindex`."""

from __future__ import annotations

from memcli.cli import common

app = common.typer_app()


@app.command("reindex")
def reindex(json_: common.JsonFlag = False) -> None:
    """Re-embed every memory with the configured embedder (after changing embed.model).

    Example: mem config set embed.model litellm/ollama/nomic-embed-text && mem reindex
    """
    from rich.progress import Progress

    from memcli.retrieve import index

    store = common.store()
    embedder = index.load_embedder()
    with Progress(console=common.console(stderr=True), transient=True) as progress:
        task = progress.add_task("Embedding", total=None)
        count = index.reindex(store, embedder,
                              on_progress=lambda done, total: progress.update(task, completed=done, total=total))
    if json_:
        common.emit_json({"embedded": count, "embedder": embedder.name})
    else:
        print(f"Embedded {count} memories with {embedder.name}")
