"""Bringing items from readers into the store: batched, idempotent, resumable.

Chat turns are appended: each batch is one transaction, and an item whose `source_ref` is
already stored from the same source (or, for exports with global message ids, in the same
session) is skipped, so an interrupted ingest resumes without duplicates when run again.

A note file is a document: its chunks are synced in one transaction. Unchanged chunks are
skipped, new ones added, and the chunks that are gone are marked superseded (valid_to, and
superseded_by when a new chunk took their place), never deleted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from memcli import plugins
from memcli.models import Record, content_hash
from memcli.readers import Item, ReadError
from memcli.store import Store, events, lifecycle, records
from memcli.timeparse import now_local, to_db

BATCH = 500

# (bytes done, bytes in all, file being read)
ProgressFn = Callable[[int, int, str], None]


@dataclass
class IngestReport:
    added: int = 0
    skipped: int = 0
    superseded: int = 0
    warnings: list[str] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)


def to_record(item: Item, source: str, now: str, extra_tags: Iterable[str] = ()) -> Record:
    tags = list(dict.fromkeys([*item.tags, *extra_tags]))
    record = Record(
        type=item.type, text=item.text.strip(), observed_at=item.observed_at or now, created_at=now,
        source=source, source_ref=item.source_ref, session=item.session, speaker=item.speaker,
        tags=tags, metadata=item.metadata, content_hash=content_hash(item.text),
        valid_from=None if item.type == "episodic" else (item.observed_at or now),
    )
    return plugins.process_record(record)  # e.g. extra redaction; free when no plugin is installed


def _stored(store: Store, item: Item, source: str, match_session: bool) -> bool:
    """Already stored, or purged on purpose (a purge must not come back with the next ingest)."""
    if not item.source_ref:
        return False
    if lifecycle.is_tombstoned(store, source, item.source_ref):
        return True
    if match_session and item.session:  # message ids are global: the conversation and id say it all
        return records.find_by_session_ref(store, item.session, item.source_ref) is not None
    return records.find_by_source_ref(store, source, item.source_ref) is not None


def ingest_items(store: Store, items: Iterable[Item], source: str, *, tags: Iterable[str] = (),
                 actor: str = "ingest", on_batch: Callable[[int], None] | None = None,
                 batch_size: int = BATCH, match_session: bool = False) -> IngestReport:
    """Append items in batches. `match_session`: message ids are global (a later export of the
    same conversation, saved elsewhere, must not store its turns again)."""
    report = IngestReport()
    tags = list(tags)
    batch: list[Item] = []

    def flush() -> None:
        if not batch:
            return
        now = to_db(now_local())
        first = len(report.record_ids)
        with store.transaction():
            for item in batch:
                if not item.text.strip() or _stored(store, item, source, match_session):
                    report.skipped += 1
                    continue
                record = to_record(item, source, now, tags)
                report.record_ids.append(records.insert(store, record))
                report.added += 1
            added = report.record_ids[first:]
            if added:  # one event per batch, naming the ids it added
                events.log(store, actor, "ingest", None, source=source, count=len(added),
                           first_id=added[0], last_id=added[-1])
        if on_batch:
            on_batch(len(batch))
        batch.clear()

    for item in items:
        batch.append(item)
        if len(batch) >= batch_size:
            flush()
    flush()
    return report


def _slot(metadata: dict[str, Any]) -> tuple[tuple[str, ...], int]:
    return tuple(metadata.get("headings") or ()), int(metadata.get("part") or 0)


def sync_document(store: Store, items: Sequence[Item], source: str, *, tags: Iterable[str] = (),
                  actor: str = "ingest") -> IngestReport:
    """Make the current records of `source` match `items` (a note file's chunks), in one transaction."""
    report = IngestReport()
    tags = list(tags)
    with store.transaction():  # read inside the write lock: a second watcher may sync the same file
        now = to_db(now_local())
        current = {r.source_ref: r for r in records.heads_for_source(store, source)}
        wanted = {item.source_ref for item in items}
        fresh: list[tuple[Item, int]] = []
        added_refs: set[str | None] = set()
        for item in items:
            if (item.source_ref in current or item.source_ref in added_refs or not item.text.strip()
                    or (item.source_ref and lifecycle.is_tombstoned(store, source, item.source_ref))):
                report.skipped += 1
                continue
            added_refs.add(item.source_ref)
            record_id = records.insert(store, to_record(item, source, now, tags))
            fresh.append((item, record_id))
            report.record_ids.append(record_id)
            report.added += 1
        # What replaced a chunk that is gone: the new chunk in the same place under the same heading,
        # else the new chunk at the same position; none when the text was only removed.
        by_slot: dict[tuple[tuple[str, ...], int], int] = {}
        by_index: dict[int, int] = {}
        for item, record_id in fresh:
            by_slot.setdefault(_slot(item.metadata), record_id)
            by_index.setdefault(int(item.metadata.get("chunk", -1)), record_id)
        for ref, old in current.items():
            if ref in wanted:
                continue
            successor = by_slot.get(_slot(old.metadata)) or by_index.get(int(old.metadata.get("chunk", -2)))
            lifecycle.end_validity(store, old.id, now, successor)
            events.log(store, actor, "supersede", old.id, source=source, superseded_by=successor)
            report.superseded += 1
        if report.added:
            events.log(store, actor, "ingest", None, source=source, count=report.added,
                       first_id=report.record_ids[0], last_id=report.record_ids[-1])
    return report


@dataclass
class Summary:
    added: int = 0
    skipped: int = 0
    superseded: int = 0
    files: int = 0      # files read (wholly or in part)
    failed: int = 0     # files that could not be read at all
    warnings: list[str] = field(default_factory=list)
    by_format: dict[str, dict[str, int]] = field(default_factory=dict)
    missing: list[dict[str, Any]] = field(default_factory=list)  # ingested before, now deleted (kept)
    moved: int = 0      # records of a vanished file found again in another (a rename): superseded by those
    ended: int = 0      # records of a deleted note that `mem watch` ended
    notices: list[str] = field(default_factory=list)  # about vectors, for stderr
    record_ids: list[int] = field(default_factory=list)  # added by this run

    def to_json(self) -> dict[str, Any]:
        return {"added": self.added, "skipped": self.skipped, "superseded": self.superseded, "files": self.files,
                "failed": self.failed, "warnings": self.warnings, "by_format": self.by_format,
                "missing": self.missing, "moved": self.moved, "ended": self.ended}

    def count(self, fmt: str, report: IngestReport) -> None:
        self.record_ids.extend(report.record_ids)
        self.added += report.added
        self.skipped += report.skipped
        self.superseded += report.superseded
        row = self.by_format.setdefault(fmt, {"files": 0, "added": 0, "skipped": 0, "superseded": 0})
        row["files"] += 1
        row["added"] += report.added
        row["skipped"] += report.skipped
        row["superseded"] += report.superseded


def _guarded(read: Callable[[], Iterable[Item]], problems: list[str]) -> Iterator[Item]:
    """Stop cleanly at a reader error, keeping what came before it (a truncated export still
    gives its complete conversations); the error becomes a warning."""
    try:
        yield from read()
    except ReadError as exc:
        problems.append(str(exc))
    except Exception as exc:  # any reader failure on odd input is a warning, never a traceback
        problems.append(f"{type(exc).__name__}: {exc}")


def _with_path(path: Path, message: str) -> str:
    return message if str(path) in message else f"{path}: {message}"


def choose_format(path: Path, fmt: str) -> str:
    """The reader name for `path`; raises ReadError for unreadable, empty, binary or unknown files."""
    from memcli.readers import detect

    try:
        head = detect.read_head(path)
    except OSError as exc:
        raise ReadError(f"cannot read ({exc.strerror})") from exc
    if not head.strip():
        raise ReadError("empty file")
    if fmt != "auto":
        return fmt
    if detect.looks_binary(head):
        raise ReadError("binary file, not a note or chat export")
    found = detect.detect(path, head)
    if found is None:
        raise ReadError(f"matches no known format ({', '.join(detect.format_names())}); "
                        "pass --format if you know which it is")
    return found


def ingest_file(store: Store, path: Path, fmt: str, summary: Summary, *, tags: Sequence[str] = (),
                advance: Callable[[int], None] = lambda n: None) -> None:
    from memcli.readers import detect

    try:
        name = choose_format(path, fmt)
    except ReadError as exc:
        summary.failed += 1
        summary.warnings.append(_with_path(path, str(exc)))
        return
    problems: list[str] = []
    warned = len(summary.warnings)
    context = detect.ReadContext(warn=lambda message: summary.warnings.append(_with_path(path, message)),
                                 advance=advance)
    reader = detect.make_reader(name, context)
    source = str(path)
    items = _guarded(lambda: reader.read(path), problems)
    if getattr(reader, "whole_file", False):
        chunks = list(items)
        report = sync_document(store, chunks, source, tags=tags) if not problems else IngestReport()
    else:
        report = ingest_items(store, items, source, tags=tags, match_session=getattr(reader, "global_ids", False))
    summary.warnings.extend(_with_path(path, p) for p in problems)
    if not (report.added or report.skipped):  # nothing usable in it: a failed file, never a silent one
        if not problems and len(summary.warnings) == warned:
            summary.warnings.append(f"{path}: nothing to ingest in it")
        summary.failed += 1
        return
    summary.files += 1
    summary.count(name, report)


def follow_moves(store: Store, summary: Summary, actor: str = "ingest") -> None:
    """A vanished file whose text came back in a file read by this run was renamed or moved: each
    of its records is superseded by the new record with the same text, so there are never two
    current copies. What is not found again stays as it was (reported as missing)."""
    if not summary.missing or not summary.record_ids:
        return
    fresh: dict[tuple[str, str], int] = {}
    for record in records.get_many(store, summary.record_ids).values():
        fresh.setdefault((record.type, record.content_hash), record.id)
    now = to_db(now_local())
    for entry in summary.missing:
        with store.transaction():
            for old in records.heads_for_source(store, entry["path"]):
                successor = fresh.get((old.type, old.content_hash))
                if successor is not None:
                    lifecycle.end_validity(store, old.id, now, successor)
                    events.log(store, actor, "supersede", old.id, reason="moved", superseded_by=successor)
                    entry["records"] -= 1
                    summary.moved += 1


def end_missing(store: Store, summary: Summary, actor: str = "watch") -> None:
    """`mem watch` mirrors a folder: the records of a note deleted from it are no longer current
    (ended, kept in history). `mem ingest` only reports them: an export deleted after import is
    not a memory to forget."""
    now = to_db(now_local())
    for entry in summary.missing:
        entry["ended"] = 0
        with store.transaction():
            for old in records.heads_for_source(store, entry["path"]):
                lifecycle.end_validity(store, old.id, now, None)
                events.log(store, actor, "end", old.id, reason="note deleted", source=entry["path"])
                entry["ended"] += 1
        summary.ended += entry["ended"]
        entry["records"] -= entry["ended"]


def note_missing(store: Store, given: Path, summary: Summary, *, under: bool) -> bool:
    """Report files ingested before that are gone now; their records are kept. True if any."""
    prefix = str(given) + os.sep if under else str(given)
    found = False
    for source, count in records.current_sources_under(store, prefix).items():
        if (under or source == prefix or source.startswith(prefix + os.sep)) and not os.path.exists(source):
            summary.missing.append({"path": source, "records": count})
            found = True
    return found


def ingest_paths(store: Store, paths: Sequence[str | os.PathLike[str]], *, fmt: str = "auto",
                 tags: Sequence[str] = (), on_progress: ProgressFn | None = None, embed: bool = True,
                 exclude: Sequence[str] = ()) -> Summary:
    """Ingest files and directory trees; problems become warnings, never exceptions.
    `exclude`: globs of what to leave out of the folders (`mem ingest --exclude`)."""
    from memcli.readers import detect

    summary = Summary()
    walk = detect.walk(paths, exclude=[store.path, Path(f"{store.path}-wal"), Path(f"{store.path}-shm")],
                       ignore_globs=exclude, suffixes=detect.plugin_suffixes())
    summary.warnings.extend(walk.problems)
    summary.failed += len(walk.problems)
    for gone in walk.missing:
        if not note_missing(store, gone, summary, under=False):
            summary.failed += 1
            summary.warnings.append(f"{gone}: no such file or directory")
    files = [f for f in walk.files if _fits(f, fmt, walk.roots)]
    sizes = [_size(f) for f in files]
    meter = _Meter(sum(sizes), on_progress)
    for path, size in zip(files, sizes, strict=True):
        meter.begin(path.name, size)
        ingest_file(store, path, fmt, summary, tags=tags, advance=meter.advance)
        meter.end()
    for root in walk.roots:
        note_missing(store, root, summary, under=True)
    follow_moves(store, summary)
    summary.missing = [entry for entry in summary.missing if entry["records"] > 0]
    if embed and summary.added:
        from memcli.services.embedding import after_import

        progress = (lambda done, total: on_progress(done, total, "Embedding")) if on_progress else None
        summary.notices.extend(after_import(store, progress))
    return summary


class _Meter:
    """Progress in bytes over all files; a file never counts for more than its size."""

    def __init__(self, total: int, on_progress: ProgressFn | None) -> None:
        self.total, self.done, self.start, self.size, self.name = total, 0, 0, 0, ""
        self.on_progress = on_progress

    def begin(self, name: str, size: int) -> None:
        self.start, self.size, self.name = self.done, size, name
        self.advance(0)

    def advance(self, nbytes: int) -> None:
        self.done = min(self.done + nbytes, self.start + self.size)
        if self.on_progress:
            self.on_progress(self.done, self.total, self.name)

    def end(self) -> None:
        self.done = self.start + self.size
        self.advance(0)


def _fits(path: Path, fmt: str, roots: list[Path]) -> bool:
    """In a directory walk an explicit --format takes only files of its kind (notes or exports)."""
    from memcli.readers.detect import CHAT_SUFFIXES, NOTE_SUFFIXES

    if fmt == "auto" or not any(root in path.parents for root in roots):
        return True
    return path.suffix.lower() in (NOTE_SUFFIXES if fmt in ("markdown", "text") else CHAT_SUFFIXES)


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
