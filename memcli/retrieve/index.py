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


def reindex(store: Store, embedder: Any, on_progress: Callable[[int, int], None] | None = None) -> int:
    """Drop every vector and embed all records again with `embedder`."""
    if embedder is None:
        raise MemError("no embedder is configured (embed.model = none)", "set embed.model, e.g. default")
    with store.transaction():
        vectors.drop(store)
        vectors.ensure_table(store, embedder.name, embedder.dim)
    embed_pending(store, embedder, on_progress=on_progress)
    return vectors.count(store)
