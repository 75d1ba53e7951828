"""`mem export` and `mem import`."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from typing import Annotated

from memcli.cli import common
from memcli.errors import MemError

app = common.typer_app()
FORMATS = ("jsonl", "markdown")


@app.command("export")
def export(
    format_: Annotated[str, typer.Option("--format", "-f", metavar=common.choices(FORMATS), help="jsonl (lossless, for mem import) or markdown (for reading).",
                                         autocompletion=lambda: list(FORMATS))] = "jsonl",
    output: Annotated[Optional[str], typer.Option("--output", "-o", metavar="PATH", help="File for jsonl (default: stdout); directory for markdown (required).")] = None,
    type_: common.TypeFilter = None,
    since: common.SinceOption = None,
    no_vectors: Annotated[bool, typer.Option("--no-vectors", help="Leave vectors out (smaller; re-made by the next search).")] = False,
    json_: common.JsonFlag = False,
) -> None:
    """Export memories. JSONL keeps everything (records, provenance, validity, events, consolidation
    runs, vectors with their model) so that `mem import` rebuilds the same database; Markdown writes
    one dated file per month (YYYY-MM.md) into a directory.

    Example: mem export -o ~/mem-backup.jsonl
    """
    from memcli.services import transfer
    from memcli.services.remember import check_type
    from memcli.timeparse import parse_when, to_db

    if format_ not in FORMATS:
        raise MemError(f"unknown format {format_!r}", f"use one of: {', '.join(FORMATS)}")
    types = [check_type(t) for t in type_ or ()]
    since_db = to_db(parse_when(since)) if since else None
    to_stdout = output in (None, "-")
    if json_ and to_stdout:
        raise MemError("--json needs -o PATH (stdout carries the export)", "add -o FILE")
    db = common.store()
    if format_ == "markdown":
        if to_stdout:
            raise MemError("markdown export needs -o DIRECTORY", "e.g. mem export --format markdown -o ~/mem-notes")
        files = transfer.export_markdown(db, Path(output).expanduser(), types=types, since=since_db)  # type: ignore[arg-type]
        if json_:
            common.emit_json({"format": "markdown", "files": [str(f) for f in files]})
        else:
            print(f"Wrote {common.plural(len(files), 'Markdown file')} to {output}", file=sys.stderr)
        return
    if to_stdout:
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
        try:
            counts = transfer.export_jsonl(db, out, types=types, since=since_db, vectors=not no_vectors)
            out.flush()
        except BrokenPipeError:  # `mem export | head`
            os._exit(0)
        finally:
            out.detach()
    else:
        counts = _export_to_file(db, Path(output).expanduser(), types, since_db, not no_vectors)  # type: ignore[arg-type]
    if json_:
        common.emit_json({"format": "jsonl", "path": output, "counts": counts})
    else:
        print(f"Exported {_counts(counts)}" + (f" to {output}" if not to_stdout else ""), file=sys.stderr)


def _export_to_file(db, path: Path, types: list[str], since: Optional[str], vectors: bool) -> dict[str, int]:
    """Into the file as given (through a symlink, in place, never over a device); see system/outfile."""
    from memcli.services import transfer
    from memcli.system import outfile

    return outfile.write_text(path, lambda out: transfer.export_jsonl(db, out, types=types, since=since, vectors=vectors))


@app.command("import")
def import_(
    file: Annotated[str, typer.Argument(metavar="FILE.jsonl", help="An export made by mem export (- for stdin).")],
    json_: common.JsonFlag = False,
) -> None:
    """Load a JSONL export into an empty database, keeping ids; then rebuild the search index.
    A database that already has memories is refused: import into a new one (MEM_DB=...).
    All or nothing: a bad line leaves the database as it was.

    Example: MEM_DB=~/restored.db mem import ~/mem-backup.jsonl
    """
    from memcli.services import transfer

    counts = transfer.import_jsonl(common.store(), transfer.read_lines(file))
    if json_:
        common.emit_json({"counts": counts})
        return
    skipped = counts.get("vector_skipped", 0)
    print(f"Imported {_counts(counts)}"
          + (f" ({common.plural(skipped, 'vector')} skipped: sqlite-vec is unavailable)" if skipped else ""))


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(common.plural(counts.get(key, 0), word) for key, word in
                     (("records", "memory"), ("events", "event"), ("vector", "vector")))
