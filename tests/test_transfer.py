"""`mem export` / `mem import`: lossless round trip, refusals, all-or-nothing, Markdown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memcli.store import dump, open_db
from memcli.store.migrations import count as migration_count  # noqa: F401  (the schema is migrated by open_db)

CHAT = [
    {"session": "trip", "role": "Ann", "content": text, "timestamp": f"2024-03-0{day}T10:00:00Z", "id": f"m{day}"}
    for day, text in enumerate([
        "We should book the train to Lisbon", "Ok, the 9:40 from Madrid", "I will bring the tickets",
        "Hotel near Alfama, booked", "Dinner at Rosa's on Friday", "Back on Sunday evening",
        "Taxi to the airport at six",
    ], start=1)
]


@pytest.fixture
def rich(mem, tmp_path) -> Path:
    """A store with every kind of row: ingested turns, a consolidation run, a supersede, a release,
    a purge (tombstone), an LLM call, vectors of a (fake) model, and a pending record after them."""
    chat = tmp_path / "chat.jsonl"
    chat.write_text("".join(json.dumps(turn) + "\n" for turn in CHAT), encoding="utf-8")
    mem("ingest", str(chat))
    dentist = mem.json("add", "Dentist is Dr Lee, Elm St", "--type", "semantic", "--tag", "health",
                       "--at", "2023-11-02T09:00")["id"]
    passport = mem.json("add", "Renewed my passport — 10 years", "--tag", "admin", "--tag", "travel")["id"]
    mem("add", "Use `git rebase -i` to squash", "--type", "procedural")
    mem("consolidate", "--offline")
    mem("forget", str(dentist), "--replace-with", "Dentist is Dr Ng, Oak Road", "--yes")
    mem("forget", str(passport), "--yes")
    mem("forget", "--match", "Sunday evening", "--purge", "--yes")  # takes the session digest with it
    mem("consolidate", "--offline")  # which is derived again from the turns left
    store = open_db()
    from memcli.store import llm_calls, vectors
    import numpy as np

    with store.transaction():
        llm_calls.record(store, purpose="ask", model="stub/model", prompt_tokens=12, completion_tokens=3)
        vectors.ensure_table(store, "test/fake", 4)
    rows = vectors.pending(store, 100)
    vectors.write(store, rows, np.arange(len(rows) * 4, dtype=np.float32).reshape(len(rows), 4) / 7)
    store.close()
    mem("add", "added after the vectors: pending for the embedder")
    return tmp_path


def export(mem, path: Path, *args: str) -> bytes:
    mem("export", "-o", str(path), *args)
    return path.read_bytes()


def dump_tables(db_path: Path | None = None) -> dict[str, list]:
    store = open_db(db_path)
    found = {}
    for table in dump.TABLES:
        rows = [dict(r) for r in dump.rows(store, table)]
        for row in rows:
            for column in ("tags", "metadata", "detail", "counts"):
                if isinstance(row.get(column), str):
                    row[column] = json.loads(row[column])
        found[table] = [r for r in rows if not (table == "meta" and r["key"].startswith(("search.", "spool:")))]
    found["vectors"] = list(dump.vector_rows(store))
    store.close()
    return found


def test_round_trip_gives_identical_bytes_and_tables(mem, rich, monkeypatch, mem_home):
    first = export(mem, rich / "one.jsonl")
    kinds = {json.loads(line).get("kind") for line in first.decode().splitlines()[1:]}
    assert {"records", "provenance", "events", "consolidation_runs", "run_journal", "consolidated",
            "llm_calls", "tombstones", "meta", "vector"} <= kinds
    before = dump_tables()
    monkeypatch.setenv("MEM_DB", str(rich / "copy.db"))
    result = mem.json("import", str(rich / "one.jsonl"))
    assert result["counts"]["records"] == len(before["records"])
    assert export(mem, rich / "two.jsonl") == first
    assert dump_tables(rich / "copy.db") == before
    # The ranking index was rebuilt, the pending record is still pending for the embedder.
    assert [hit["id"] for hit in mem.json("search", "Lisbon train")][:1] == [1]
    store = open_db(rich / "copy.db")
    from memcli.store import vectors

    assert vectors.model(store) == ("test/fake", 4) and vectors.pending_count(store) == 1


def test_import_refuses_a_store_with_memories(mem, rich):
    export(mem, rich / "one.jsonl")
    result = mem("import", str(rich / "one.jsonl"), code=2)
    assert result.stderr.strip().count("\n") == 0 and "already has memories" in result.stderr


@pytest.mark.parametrize("damage, message", [
    (lambda lines: lines[:5] + ["{not json"] + lines[5:], "line 6: not JSON"),
    (lambda lines: lines + ['{"kind":"records","id":999,"type":"nonsense","text":"x","observed_at":"2024","created_at":"2024","content_hash":"h"}'], "CHECK constraint"),
    (lambda lines: lines + ['{"kind":"records","id":998,"colour":"red"}'], "has no column colour"),
    (lambda lines: lines + ['{"kind":"provenance","derived_id":5000,"source_id":1,"run_id":null}'], "refers to rows"),
    (lambda lines: lines + ['{"kind":"wat"}'], "unknown kind"),
    (lambda lines: [lines[0].replace('"version":1', '"version":99')] + lines[1:], "newer than this mem"),
    (lambda lines: lines[1:], "not a mem export"),
])
def test_bad_input_is_one_line_and_writes_nothing(mem, rich, monkeypatch, damage, message):
    lines = export(mem, rich / "one.jsonl").decode().splitlines()
    bad = rich / "bad.jsonl"
    bad.write_text("\n".join(damage(lines)) + "\n", encoding="utf-8")
    monkeypatch.setenv("MEM_DB", str(rich / "fresh.db"))
    result = mem("import", str(bad), code=2)
    assert message in result.stderr and result.stderr.strip().count("\n") == 0, result.stderr
    assert mem.json("list", "--all") == []
    store = open_db()
    assert dump.is_empty(store)


def test_import_missing_file_and_non_utf8(mem, tmp_path):
    assert "cannot read" in mem("import", str(tmp_path / "nope.jsonl"), code=2).stderr
    (tmp_path / "latin.jsonl").write_bytes(b"\xff\xfe\x00garbage\n")
    assert "Error:" in mem("import", str(tmp_path / "latin.jsonl"), code=2).stderr


def test_filtered_export_keeps_only_those_and_imports(mem, rich, monkeypatch):
    text = export(mem, rich / "sem.jsonl", "--type", "semantic", "--no-vectors").decode()
    rows = [json.loads(line) for line in text.splitlines()]
    assert rows[0]["filters"] == {"types": ["semantic"], "since": None}
    rows = rows[1:]
    records = [r for r in rows if r["kind"] == "records"]
    assert records and {r["type"] for r in records} == {"semantic"}
    assert not any(r["kind"] in ("vector", "llm_calls", "consolidation_runs") for r in rows)
    monkeypatch.setenv("MEM_DB", str(rich / "sem.db"))
    mem("import", str(rich / "sem.jsonl"))
    assert {r["type"] for r in mem.json("list", "--all")} == {"semantic"}


def test_export_to_stdout_is_the_same_as_to_a_file(mem, rich):
    assert mem("export").stdout_bytes == export(mem, rich / "f.jsonl")


def test_markdown_needs_a_directory(mem):
    assert "needs -o DIRECTORY" in mem("export", "--format", "markdown", code=2).stderr


def test_every_table_is_exported_or_derived():
    """A migration that adds a table must say whether export carries it (dump.TABLES) or not (DERIVED)."""
    store = open_db()
    unknown = set(dump.table_names(store)) - set(dump.TABLES) - dump.DERIVED
    assert unknown == set(), f"add {sorted(unknown)} to memcli/store/dump.py TABLES or DERIVED"


# --- where -o writes: through symlinks, in place, never over a device, never half a file ---

def file_mode(path: Path) -> int:
    import stat

    return stat.S_IMODE(path.stat().st_mode)


def test_export_writes_through_a_symlink(mem, tmp_path):
    mem("add", "a note to back up")
    real = tmp_path / "dotfiles" / "backup.jsonl"
    real.parent.mkdir()
    real.write_text("yesterday's backup\n")
    link = tmp_path / "backup.jsonl"
    link.symlink_to(real)
    mem("export", "-o", str(link))
    assert link.is_symlink() and link.resolve() == real
    assert "a note to back up" in real.read_text()


def test_export_into_an_existing_file_keeps_its_mode_and_inode(mem, tmp_path):
    mem("add", "short")
    target = tmp_path / "backup.jsonl"
    target.write_text("x" * 100_000)  # longer than the export: nothing of it may remain
    target.chmod(0o640)
    inode = target.stat().st_ino
    mem("export", "-o", str(target))
    assert file_mode(target) == 0o640 and target.stat().st_ino == inode
    assert "x" * 10 not in target.read_text() and '"short"' in target.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_a_new_export_file_is_private(mem, tmp_path):
    mem("add", "private")
    mem("export", "-o", str(tmp_path / "new.jsonl"))
    assert file_mode(tmp_path / "new.jsonl") == 0o600


def special_files(tmp_path: Path) -> list[tuple[Path, str]]:
    import os
    import stat

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    found = [(fifo, "named pipe"), (tmp_path, "is a directory")]
    if os.geteuid() == 0:  # a device node of our own, never the machine's /dev/null
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        found.append((device, "character device"))
    return found


def test_export_refuses_devices_pipes_and_directories(mem, tmp_path):
    import stat

    mem("add", "secret things")
    for path, needle in special_files(tmp_path):
        before = path.lstat()
        result = mem("export", "-o", str(path), code=2)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], result.stderr
        after = path.lstat()
        assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode) and after.st_ino == before.st_ino


def test_a_failed_export_leaves_no_file_and_the_old_one_whole(mem, tmp_path, monkeypatch):
    mem("add", "one")

    def broken(store, out, **kwargs):
        out.write('{"format":"memcli-export"}\n')
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("memcli.services.transfer.export_jsonl", broken)
    folder = tmp_path / "out"
    folder.mkdir()
    result = mem("export", "-o", str(folder / "new.jsonl"), code=2)
    assert "No space left" in result.stderr
    assert list(folder.iterdir()) == []
    old = folder / "old.jsonl"
    old.write_text("the old backup\n")
    mem("export", "-o", str(old), code=2)
    assert old.read_text() == "the old backup\n"
    assert [p.name for p in folder.iterdir()] == ["old.jsonl"]
