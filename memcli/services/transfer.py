"""`mem export` and `mem import`: a lossless JSONL copy of the database, and Markdown notes for reading.

JSONL: a header line, then the rows of every copied table (store/dump.py TABLES) in a fixed
order, one object a line: `{"kind": <table>, <column>: <value>, ...}` (JSON columns as JSON),
then the vectors as `{"kind": "vector", "id": N, "embedding": <base64 float32>}`, carried with
their model (meta embed.model / embed.dim / embed.last_id) so an import needs no embedder.
Ids are kept. The ranking index is rebuilt after an import; index marks and the shell spool's
offsets are this machine's state and are not exported. So export -> import into an empty
database -> export gives the same bytes.

Markdown: one note per memory, `YYYY/MM/YYYY-MM-DD-<id>-<first words>.md`, with YAML front
matter (title, id, type, observed_at, created_at, tags, source, and source_ref, session, speaker,
valid_from, valid_to, superseded_by when set) and the text as the body: Obsidian and basic-memory
read them as notes, and `mem ingest` of the folder reads type, date and tags back.

Import goes into an empty database only (remapping ids would have to reach into events and run
journals, whose JSON names ids); it is one transaction: any bad line and nothing is written.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections import Counter
from pathlib import Path
from typing import IO, Any, Iterable, Sequence

from memcli import paths
from memcli.errors import MemError
from memcli.models import Record
from memcli.store import Store, dump, meta, records
from memcli.store.records import Filters
from memcli.store.schema_version import SCHEMA_VERSION

FORMAT = "memcli-export"
VERSION = 1
JSON_COLUMNS = {"records": ("tags", "metadata"), "events": ("detail",), "consolidation_runs": ("counts",)}
EMBED_META = ("embed.model", "embed.dim", "embed.last_id", "embed.center")
LOCAL_META = ("search.", "spool:", "embed.", "relevance.")  # embed.* travels with the vectors, or not at all
WHOLE_STORE = ("meta", "consolidation_runs", "run_journal", "llm_calls", "tombstones")  # not in filtered exports


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def _sorted(value: Any) -> Any:
    """JSON with its object keys in order: SQLite's json_set may have written them in any order."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    return [_sorted(item) for item in value] if isinstance(value, list) else value


def _selection(types: Sequence[str], since: str | None) -> tuple[str, list[Any]] | None:
    if not types and not since:
        return None
    return Filters(types=types, since=since, view="all").sql("records")


def export_jsonl(store: Store, out: IO[str], *, types: Sequence[str] = (), since: str | None = None,
                 vectors: bool = True) -> dict[str, int]:
    """Write the export to `out`, streaming; returns rows written per kind."""
    chosen = _selection(types, since)
    counts: Counter[str] = Counter()
    with dump.snapshot(store):
        carry = vectors and store.vec_version is not None and meta.get(store, "embed.model") is not None
        filters = {"types": list(types), "since": since} if chosen else None
        out.write(_line({"format": FORMAT, "version": VERSION, "schema_version": SCHEMA_VERSION, "filters": filters,
                         "ids_given": records.ids_given(store)}))
        for table in dump.TABLES:
            if not dump.present(store, table) or (chosen is not None and table in WHOLE_STORE and table != "meta"):
                continue
            for row in dump.rows(store, table, None if table == "meta" else chosen):
                if table == "meta" and row["key"].startswith(LOCAL_META) and not (carry and row["key"] in EMBED_META):
                    continue
                for column in JSON_COLUMNS.get(table, ()):
                    row[column] = None if row[column] is None else _sorted(json.loads(row[column]))
                out.write(_line({"kind": table, **row}))
                counts[table] += 1
        if carry:
            for record_id, blob in dump.vector_rows(store, chosen):
                out.write(_line({"kind": "vector", "id": record_id, "embedding": base64.b64encode(blob).decode("ascii")}))
                counts["vector"] += 1
    return dict(counts)


def check_header(text: str) -> dict[str, Any]:
    try:
        header = json.loads(text)
    except (ValueError, RecursionError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise MemError(f"not a mem export: the first line is not a {FORMAT} header",
                       "make one with mem export; chat logs and notes go in with mem ingest")
    version, schema = header.get("version"), header.get("schema_version")
    if not isinstance(version, int) or not isinstance(schema, int):
        raise MemError("the export's header has no valid version", "export again with mem export")
    if version > VERSION or schema > SCHEMA_VERSION:
        raise MemError(f"this export (format {version}, schema {schema}) is newer than this mem reads "
                       f"(format {VERSION}, schema {SCHEMA_VERSION})", "upgrade memcli: pip install -U memcli")
    return header


class _Importer:
    """Inserts one line at a time; vectors wait for their model's meta lines."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.counts: Counter[str] = Counter()
        self.columns: dict[str, set[str]] = {}
        self.embed: dict[str, str] = {}
        self.vectors_ready: bool | None = None  # None: not decided yet; False: skipped (no sqlite-vec)

    def add(self, number: int, data: dict[str, Any]) -> None:
        kind = data.pop("kind", None)
        if kind == "vector":
            self._vector(number, data)
        elif kind in dump.TABLES:
            self._row(number, kind, data)
        else:
            raise MemError(f"line {number}: unknown kind {kind!r}", "is the file a mem export?")

    def _row(self, number: int, table: str, data: dict[str, Any]) -> None:
        if table not in self.columns:
            if not dump.present(self.store, table):
                raise MemError(f"line {number}: no table {table!r} in this database", "upgrade memcli")
            self.columns[table] = set(dump.columns(self.store, table))
        unknown = sorted(set(data) - self.columns[table])
        if unknown or not data:
            raise MemError(f"line {number}: {table} has no column {', '.join(unknown) or '(none given)'}",
                           "was it exported by a newer mem?")
        if table == "meta" and data.get("key") in EMBED_META:
            self.embed[str(data["key"])] = str(data.get("value"))
            return
        for column in JSON_COLUMNS.get(table, ()):
            if column in data and data[column] is not None:
                data[column] = json.dumps(data[column], ensure_ascii=False, sort_keys=True)
        dump.insert(self.store, table, list(data), list(data.values()))
        self.counts[table] += 1

    def _vector(self, number: int, data: dict[str, Any]) -> None:
        if not self.prepare_vectors(number):
            self.counts["vector_skipped"] += 1
            return
        try:
            blob = base64.b64decode(str(data["embedding"]), validate=True)
            dump.insert_vector(self.store, int(data["id"]), blob)
        except (KeyError, ValueError, TypeError, binascii.Error) as exc:
            raise MemError(f"line {number}: bad vector ({type(exc).__name__})", "export again with mem export") from exc
        except LookupError:
            raise MemError(f"line {number}: a vector for record {data['id']}, which the export does not have",
                           "export again with mem export") from None
        self.counts["vector"] += 1

    def _center(self) -> bytes | None:
        """The sign bits' centre the export carried (older exports have none: the bits use zeros)."""
        try:
            return base64.b64decode(self.embed.get("embed.center") or "", validate=True) or None
        except binascii.Error:
            return None

    def prepare_vectors(self, number: int = 0) -> bool:
        """Create the vector table for the export's model, once. False: vectors are skipped."""
        if self.vectors_ready is None:
            if "embed.model" not in self.embed:
                if number:
                    raise MemError(f"line {number}: vectors without their model (meta embed.model)",
                                   "export again with mem export")
                return False
            if self.store.vec_version is None:
                self.vectors_ready = False  # FTS-only here; the next search on a vec-capable install re-embeds
                return False
            from memcli.store import vectors  # numpy: only when vectors come along

            vectors.ensure_table(self.store, self.embed["embed.model"], int(self.embed.get("embed.dim") or 0),
                                 center=self._center())
            meta.put(self.store, "embed.last_id", self.embed.get("embed.last_id", "0"))
            self.vectors_ready = True
        return self.vectors_ready


def import_jsonl(store: Store, lines: Iterable[str]) -> dict[str, int]:
    """Load an export into an empty store in one transaction, then rebuild the ranking index."""
    lines = iter(lines)
    header = check_header(next(lines, ""))
    if not dump.is_empty(store):
        raise MemError("this database already has memories; mem import only fills an empty one",
                       "import into a new one, e.g. MEM_DB=~/new-mem.db mem import FILE")
    importer = _Importer(store)
    with store.transaction():
        dump.defer_foreign_keys(store)  # a superseded record points at a later one
        for number, text in enumerate(lines, start=2):
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise MemError(f"line {number}: not JSON ({exc})", "is the file complete?") from None
            except RecursionError:
                raise MemError(f"line {number}: nested too deeply to be an export line", "is the file a mem export?") from None
            if not isinstance(data, dict):
                raise MemError(f"line {number}: not a JSON object", "is the file a mem export?")
            try:
                importer.add(number, data)
            except store.sqlite.DatabaseError as exc:
                raise MemError(f"line {number}: {exc}", "the export is damaged or was edited") from None
        importer.prepare_vectors()  # the model's table even when it held no vectors
        given = header.get("ids_given")
        records.never_give_ids_up_to(store, given if isinstance(given, int) else 0)  # ids only grow
        broken = dump.broken_references(store)
        if broken:
            raise MemError(f"the export refers to rows it does not contain ({broken})", "export again with mem export")
    from memcli.retrieve.fts_index import rebuild

    rebuild(store)
    return dict(importer.counts)


def read_lines(path: str) -> Iterable[str]:
    """The lines of an export file ('-': stdin), streamed, as UTF-8."""
    import io
    import sys

    from memcli.readers import ReadError
    from memcli.readers.bounds import open_regular

    try:
        stream = sys.stdin if path == "-" else io.TextIOWrapper(open_regular(Path(path)), encoding="utf-8", newline="")
    except ReadError as exc:  # a named pipe or a device is never opened: it could block forever
        raise MemError(f"cannot read {path}: {exc}", "give the path of a file made by mem export") from None
    try:
        yield from stream
    except UnicodeDecodeError:
        raise MemError(f"{path} is not UTF-8 text", "give a file made by mem export") from None
    finally:
        if stream is not sys.stdin:
            stream.close()


# --- Markdown, for reading: one note per memory, with front matter ---

SLUG_WORDS = 8


def note_path(record: Record, local: Any) -> Path:
    """`YYYY/MM/YYYY-MM-DD-<id>-<first words>.md`: sorted by date, unique by id, a readable name."""
    import re

    words = re.findall(r"[^\W_]+", record.text.casefold())[:SLUG_WORDS]
    slug = "-".join(words)[:60].strip("-")
    return Path(f"{local:%Y}", f"{local:%m}", f"{local:%Y-%m-%d}-{record.id}" + (f"-{slug}" if slug else "") + ".md")


def front_matter(record: Record) -> dict[str, Any]:
    """What Obsidian and basic-memory read as the note's properties; `mem ingest` of the folder
    reads type, observed_at and tags back."""
    title = " ".join(record.text.split())
    data: dict[str, Any] = {"title": title if len(title) <= 80 else title[:79].rstrip() + "…",
                            "id": record.id, "type": record.type, "observed_at": record.observed_at,
                            "created_at": record.created_at, "tags": list(record.tags), "source": record.source}
    optional = {"source_ref": record.source_ref, "session": record.session, "speaker": record.speaker,
                "valid_from": record.valid_from, "valid_to": record.valid_to, "superseded_by": record.superseded_by}
    data.update({key: value for key, value in optional.items() if value is not None})
    return data


def note_text(record: Record) -> str:
    import yaml

    header = yaml.safe_dump(front_matter(record), sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000)
    return f"---\n{header}---\n\n{record.text.strip()}\n"


def export_markdown(store: Store, directory: Path, *, types: Sequence[str] = (), since: str | None = None) -> list[Path]:
    """One Markdown note per active memory under `directory` (see note_path); a note that exists
    is rewritten. Each file is written beside its place and renamed: whole or absent."""
    from memcli.timeparse import from_db

    where, params = Filters(types=types, since=since, view="all").sql("r")
    try:
        paths.ensure_private_dir(directory, tighten=False)  # a new directory is 0700; the user's keeps its mode
    except OSError as exc:
        raise MemError(f"cannot create {directory}: {exc.strerror}", "pick a writable directory") from None
    written: list[Path] = []
    try:
        with dump.snapshot(store):
            for row in dump.for_reading(store, where, params):
                record = Record.from_row(row)
                path = directory / note_path(record, from_db(record.observed_at).astimezone())
                paths.ensure_private_dir(path.parent, tighten=False)
                temp = path.with_name(f".{path.name}.tmp")
                try:
                    with paths.open_private(temp, "w", encoding="utf-8") as out:  # 0600 whatever the umask
                        out.write(note_text(record))
                    os.replace(temp, path)
                finally:
                    temp.unlink(missing_ok=True)
                written.append(path)
    except OSError as exc:
        raise MemError(f"cannot write in {directory}: {exc.strerror}", "pick a writable directory") from None
    return written
