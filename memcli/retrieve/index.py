"""Keeping the vector channel up to date: embed what is pending, in batches, off the write path.

`mem add` never embeds. Pending records are embedded by the next search, by ingest at the end
of its run, or by `mem reindex`. Any embedder failure degrades to full-text search with one notice.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from memcli.errors import MemError
from memcli.store import Store, vectors

BATCH = 64
_notified: set[str] = set()


def notice(message: str) -> None:
    """Print a degradation notice once per process, on stderr (stdout may be JSON)."""
    if message not in _notified:
        _notified.add(message)
        print(f"Note: {message}", file=sys.stderr)


def document_text(row: Any) -> str:
    """What the embedder sees for a record: the speaker's name belongs to what was said."""
    speaker = row["speaker"]
    return f"{speaker}: {row['text']}" if speaker else row["text"]


def load_embedder() -> Any:
    """The configured embedder, or None (full-text only) with a one-line notice on failure."""
    from memcli.embed import EmbedderUnavailable
    from memcli.embed.registry import get_embedder

    try:
        return get_embedder()
    except EmbedderUnavailable as exc:
        notice(f"vector search is off ({exc}); using full-text search only")
        return None


def embed_pending(store: Store, embedder: Any = None, *, on_progress: Callable[[int, int], None] | None = None,
                  batch: int = BATCH) -> str | None:
    """Embed every pending record. Returns the embedder's name, or None when vectors are off."""
    if store.vec_version is None:
        notice(f"sqlite-vec cannot load here ({store.vec_error}); using full-text search only")
        return None
    embedder = embedder or load_embedder()
    if embedder is None:
        return None
    vectors.check_compatible(store, embedder.name, embedder.dim)
    total = vectors.pending_count(store)
    if total == 0:
        return embedder.name
    with store.transaction():
        vectors.ensure_table(store, embedder.name, embedder.dim)
    done = 0
    while True:
        rows = vectors.pending(store, batch)
        if not rows:
            break
        vectors.write(store, rows, embedder.embed_documents([document_text(row) for row in rows]))
        done += len(rows)
        if on_progress:
            on_progress(done, total)
    return embedder.name


def catch_up(store: Store, embedder: Any) -> str | None:
    """Before a search: embed a few pending records inline; hand a backlog (after an ingest,
    say) to a background `mem reindex --pending` so that the search itself never waits for it.
    Meanwhile the vector channel covers what is embedded and full text covers everything."""
    from memcli import config

    if embedder is None:
        return None
    if store.vec_version is None:
        return embed_pending(store, embedder)  # says once that vectors are off, returns None
    vectors.check_compatible(store, embedder.name, embedder.dim)
    pending = vectors.pending_count(store)
    if pending <= int(config.get("embed.inline_limit") or 0):
        return embed_pending(store, embedder)
    spawn_background(store)
    return embedder.name


def embed_lock(store: Store) -> Any:
    """An open file holding an exclusive flock while a process embeds this db's backlog,
    or None when another process holds it."""
    import fcntl

    from memcli.paths import open_private

    handle = open_private(store.path.with_name(store.path.name + ".embed.lock"), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def spawn_background(store: Store) -> bool:
    """Start `mem reindex --pending` detached, unless one is already running for this db."""
    import os
    import subprocess

    from memcli.paths import open_private

    probe = embed_lock(store)
    if probe is None:
        return False  # already running
    probe.close()  # released: the child takes it
    log = store.path.with_name(store.path.name + ".embed.log")
    with open_private(log, "ab") as out:
        subprocess.Popen(
            [sys.executable, "-m", "memcli", "reindex", "--pending", "--quiet"],
            env={**os.environ, "MEM_DB": str(store.path)}, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            start_new_session=True,  # survives the search that started it, and its Ctrl-C
        )
    notice(f"embedding {vectors.pending_count(store)} new memories in the background; search uses full text for them meanwhile")
    return True


def reindex(store: Store, embedder: Any, on_progress: Callable[[int, int], None] | None = None) -> int:
    """Drop every vector and embed all records again with `embedder`."""
    if embedder is None:
        raise MemError("no embedder is configured (embed.model = none)", "set embed.model, e.g. default")
    with store.transaction():
        vectors.drop(store)
        vectors.ensure_table(store, embedder.name, embedder.dim)
    embed_pending(store, embedder, on_progress=on_progress)
    return vectors.count(store)
