"""Who embeds, and when: the rule every read and every import follows.

A read never waits on more than a small, bounded amount of embedding: before a search, the
pending records are embedded inline only when they are few and short (INLINE_CHARS in all, at
most `embed.inline_limit` records); a larger backlog goes to one detached `mem reindex --pending`
per database, and full text covers those records meanwhile. Problems come back as notices for
the front end to show (stderr, the TUI's status line, an MCP result), never as exceptions.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import IO, Any

from memcli.paths import open_private
from memcli.retrieve import embedding
from memcli.store import Store, vectors

INLINE_CHARS = 4000  # ~1 s of e5-small on 2 cores


@dataclass
class Upkeep:
    embedder: Any = None                 # None: full-text only
    notices: list[str] = field(default_factory=list)
    backlog: int = 0                     # records the vector channel does not cover yet


def prepare(store: Store, *, inline: bool = True, background: bool = True) -> Upkeep:
    """The embedder for a search, with pending records embedded or handed off as the rule says."""
    from memcli import config

    embedder, notice = embedding.load_embedder()
    upkeep = Upkeep(notices=[notice] if notice else [])
    problem = embedding.usable(store, embedder)
    if embedder is None or problem:
        if problem:
            upkeep.notices.append(problem)
        return upkeep
    upkeep.embedder = embedder
    pending = vectors.pending_count(store)
    limit = int(config.get("embed.inline_limit") or 0)
    if pending and inline and pending <= limit and embedding.pending_chars(store, limit) <= INLINE_CHARS:
        try:
            embedding.embed_pending(store, embedder)
            pending = 0
        except Exception as exc:  # the embedder is optional: full text still finds these records
            upkeep.notices.append(f"new memories not embedded yet ({type(exc).__name__}: {exc})")
    if pending and background and spawn_background(store):
        upkeep.notices.append(f"embedding {pending} new memories in the background; "
                              "search uses full text for them meanwhile")
    upkeep.backlog = vectors.pending_count(store)
    return upkeep


def embed_lock(store: Store) -> IO[str] | None:
    """An open file holding an exclusive flock while a process embeds this db's backlog,
    or None when another process holds it."""
    import fcntl

    handle = open_private(store.path.with_name(store.path.name + ".embed.lock"), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def spawn_background(store: Store) -> bool:
    """Start `mem reindex --pending` detached, unless one is already running for this db."""
    probe = embed_lock(store)
    if probe is None:
        return False  # already running
    probe.close()  # released: the child takes it
    log = store.path.with_name(store.path.name + ".embed.log")
    with open_private(log, "ab") as out:
        subprocess.Popen(
            [sys.executable, "-m", "memcli", "reindex", "--pending", "--quiet"],
            env={**os.environ, "MEM_DB": str(store.path)}, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            start_new_session=True,  # survives the command that started it, and its Ctrl-C
        )
    return True


def reindex(store: Store, *, pending_only: bool = False, on_progress: Any = None) -> tuple[int, str] | None:
    """`mem reindex`: every record embedded again (and the full-text index rebuilt), or with
    `pending_only` what is not embedded yet. (vectors, embedder name); None when another process
    is already embedding this database."""
    from memcli.errors import MemError
    from memcli.retrieve import fts_index

    embedder, notice = embedding.load_embedder()
    if embedder is None:
        raise MemError(notice or "no embedder is configured (embed.model = none)",
                       "set embed.model, e.g. default or litellm/...")
    problem = embedding.usable(store, embedder) if pending_only else None
    if problem:
        raise MemError(problem, "run mem reindex (without --pending) to re-embed with this embedder")
    lock = embed_lock(store)
    if lock is None:
        return None
    with lock:
        if pending_only:
            fts_index.sync(store)
            embedding.embed_pending(store, embedder, on_progress=on_progress)
            return vectors.count(store), embedder.name
        fts_index.rebuild(store)
        return embedding.reindex(store, embedder, on_progress=on_progress), embedder.name


FOREGROUND_EMBED = 512  # after an import, more than this is embedded in the background


def after_import(store: Store, on_progress: Any = None) -> list[str]:
    """Index what was just stored for full text (fast), then embed it: a small batch here, a
    large backlog in the background so that the import returns at full speed. A failure never
    loses the records: search or `mem reindex` catches up later."""
    from memcli.retrieve import fts_index

    fts_index.sync(store)
    embedder, notice = embedding.load_embedder()
    problem = notice or embedding.usable(store, embedder)
    if embedder is None or problem:
        return [problem] if problem else []
    pending = vectors.pending_count(store)
    if pending > FOREGROUND_EMBED:
        spawn_background(store)
        return [f"embedding {pending} new memories in the background; search uses full text for them meanwhile"]
    try:
        embedding.embed_pending(store, embedder, on_progress=on_progress)
    except Exception as exc:  # the embedder is optional; the import already succeeded
        return [f"new memories not embedded yet ({type(exc).__name__}: {exc}); search still finds them by text"]
    return []
