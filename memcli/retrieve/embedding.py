"""Keeping the vector channel up to date: what an embedder sees of a record, and embedding what
is pending, in batches.

`mem add` never embeds. Which process embeds, and when, is decided by services.embedding (a few
records inline before a search, a backlog in the background); this module only does the work
and reports problems as notices instead of printing them.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from memcli.errors import MemError
from memcli.store import Store, vectors

BATCH = 64
# What the embedder sees of a record is bounded: e5-small reads 512 tokens and its cost grows
# faster than linearly (on 2 cores: 1,000 characters ~0.24 s, 4,000 ~1.4 s, 20,000 ~95 s), so a
# 5 MB note must not reach it whole. Full text indexes every word; the vector keeps the head.
MAX_EMBED_CHARS = 1200

_loaded: dict[str, tuple[Any, str | None]] = {}


def document_text(row: Any) -> str:
    """What the embedder sees for a record: the speaker's name belongs to what was said."""
    speaker = row["speaker"]
    text = " ".join(str(row["text"])[:MAX_EMBED_CHARS * 2].split())[:MAX_EMBED_CHARS]
    return f"{speaker}: {text}" if speaker else text


def load_embedder() -> tuple[Any, str | None]:
    """(the configured embedder, None) or (None, why vectors are off). Loaded once per process."""
    from memcli.embed import EmbedderUnavailable
    from memcli.embed.registry import configured_name, get_embedder

    name = configured_name()
    if name not in _loaded:
        try:
            _loaded[name] = (get_embedder(name), None)
        except EmbedderUnavailable as exc:
            _loaded[name] = (None, f"vector search is off ({exc}); using full-text search only")
    return _loaded[name]


def usable(store: Store, embedder: Any) -> str | None:
    """Why `embedder` cannot serve this store's vectors, or None when it can."""
    if embedder is None:
        return None
    if store.vec_version is None:
        return f"sqlite-vec cannot load here ({store.vec_error}); using full-text search only"
    try:
        vectors.check_compatible(store, embedder.name, embedder.dim)
    except MemError as error:
        return f"{error}; using full-text search only"
    return None


def pending_chars(store: Store, limit: int) -> int:
    """Characters the embedder would read for the first `limit` pending records (bounded per record)."""
    return sum(len(document_text(row)) for row in vectors.pending(store, limit))


def embed_pending(store: Store, embedder: Any, *, on_progress: Callable[[int, int], None] | None = None,
                  batch: int = BATCH, limit: int | None = None) -> int:
    """Embed pending records (all, or the first `limit`) in id order. Returns how many."""
    vectors.check_compatible(store, embedder.name, embedder.dim)
    total = vectors.pending_count(store)
    if limit is not None:
        total = min(total, limit)
    if total == 0:
        return 0
    if vectors.model(store) is None:
        with store.transaction():
            vectors.ensure_table(store, embedder.name, embedder.dim, center=_typical_vector(store, embedder))
    done = 0
    while done < total:
        rows = vectors.pending(store, min(batch, total - done))
        if not rows:
            break
        started = time.perf_counter()
        embedded = embedder.embed_documents([document_text(row) for row in rows])
        vectors.write(store, rows, embedded, seconds=time.perf_counter() - started)  # the rate, for ETAs
        done += len(rows)
        if on_progress:
            on_progress(done, total)
    return done


def reindex(store: Store, embedder: Any, on_progress: Callable[[int, int], None] | None = None) -> int:
    """Drop every vector and embed all records again with `embedder`."""
    if embedder is None:
        raise MemError("no embedder is configured (embed.model = none)", "set embed.model, e.g. default")
    center = _typical_vector(store, embedder)
    with store.transaction():
        vectors.drop(store)
        vectors.ensure_table(store, embedder.name, embedder.dim, center=center)
    embed_pending(store, embedder, on_progress=on_progress)
    return vectors.count(store)


def _typical_vector(store: Store, embedder: Any) -> bytes:
    """The centre for sign bits: the mean of the relevance background, everyday passages."""
    from memcli.retrieve import relevance

    return relevance.background(store, embedder).mean(axis=0).astype("float32").tobytes()
