"""The database file: where it lives, its mode, WAL, sqlite-vec, FTS sync, migrations."""

from __future__ import annotations

import stat

from memcli.store import migrations as migrations_module
from memcli.store import open_db
from memcli.store.schema_version import SCHEMA_VERSION


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_paths_under_mem_home(mem, mem_home):
    mem("add", "x")
    assert (mem_home / "mem.db").exists()
    assert mode(mem_home) == 0o700 and mode(mem_home / "mem.db") == 0o600
    assert mem("config", "path").stdout.strip() == str(mem_home / "config.toml")


def test_mem_db_override(mem, tmp_path, monkeypatch):
    target = tmp_path / "elsewhere" / "my.db"
    monkeypatch.setenv("MEM_DB", str(target))
    mem("add", "x")
    assert target.exists()
    assert mem.json("stats")["db"]["path"] == str(target)


def test_xdg_defaults(mem, tmp_path, monkeypatch):
    monkeypatch.delenv("MEM_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "conf"))
    mem("add", "x")
    assert (tmp_path / "data" / "mem" / "mem.db").exists()
    assert mem("config", "path").stdout.strip() == str(tmp_path / "conf" / "mem" / "config.toml")


def test_wal_and_vec_loaded(mem, mem_home):
    mem("add", "x")
    store = open_db(mem_home / "mem.db")
    assert store.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.execute("SELECT vec_version()").fetchone()[0].startswith("v")
    assert store.execute("SELECT count(*) FROM records_fts WHERE records_fts MATCH 'x'").fetchone()[0] == 1


def test_fts_follows_text_changes(mem, mem_home):
    record_id = mem.json("add", "original words")["id"]
    store = open_db(mem_home / "mem.db")
    with store.transaction():
        store.execute("UPDATE records SET text = 'replacement words' WHERE id = ?", (record_id,))
    store.close()
    assert mem.json("search", "original") == []
    assert len(mem.json("search", "replacement")) == 1


def test_schema_version_matches_migrations():
    assert migrations_module.count() == SCHEMA_VERSION


def test_migrates_every_older_version_in_place(mem_home):
    """A db left at each older version opens, migrates to the latest and keeps its rows."""
    from sqlite_utils import Database

    names = [m.name for m in migrations_module.migrations._migrations]
    for index in range(1, len(names) + 1):
        path = mem_home / f"v{index}.db"
        store = open_db(path, migrate=False)
        db = Database(store.conn)
        stop = names[index] if index < len(names) else None
        migrations_module.migrations.apply(db, stop_before=stop)
        store.execute(f"PRAGMA user_version = {index}")
        store.execute(
            "INSERT INTO records (type, text, observed_at, created_at, content_hash) "
            "VALUES ('episodic', 'old row', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z', 'h')"
        )
        store.close()
        upgraded = open_db(path)
        assert upgraded.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert upgraded.execute("SELECT text FROM records").fetchall()[0][0] == "old row"
        assert len(migrations_module.migrations.applied(upgraded.utils())) == SCHEMA_VERSION
        upgraded.close()


# --- files that are not mem's, newer, read-only; a database busy with another writer ---

import hashlib  # noqa: E402
import os  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

from memcli.services import pending  # noqa: E402


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_error_line(result) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    return errors[0]


def foreign_db(path, version: int = 0, journal: str = "delete"):
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    conn.executemany("INSERT INTO moz_places (url) VALUES (?)", [(f"https://example.com/{i}",) for i in range(50)])
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("version", [0, 3, 999])
def test_another_programs_database_is_refused_untouched(mem, tmp_path, monkeypatch, version):
    places = foreign_db(tmp_path / "places.sqlite", version)
    before = digest(places)
    monkeypatch.setenv("MEM_DB", str(places))
    for args in (["stats"], ["add", "x"], ["list"]):
        assert "not a mem database" in one_error_line(mem(*args, code=2))
    assert digest(places) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("places")) == ["places.sqlite"]


def test_a_newer_mem_database_is_refused_before_the_wal_switch(mem, mem_home):
    mem("add", "x")
    conn = sqlite3.connect(mem_home / "mem.db")
    conn.execute("PRAGMA journal_mode = delete")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = digest(mem_home / "mem.db")
    assert "newer than this mem" in one_error_line(mem("list", code=2))
    assert digest(mem_home / "mem.db") == before
    assert not (mem_home / "mem.db-wal").exists()


@pytest.fixture
def read_only(tmp_path):
    """Makes a path read-only for this process: chmod for a normal user; as root (who ignores
    modes) the immutable attribute. Undone afterwards so that the temp dir can be removed."""
    made = []

    def make(path):
        if os.geteuid() == 0:
            if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
                pytest.skip("root, and this filesystem has no immutable attribute")
        else:
            path.chmod(0o555 if path.is_dir() else 0o444)
        made.append(path)

    yield make
    for path in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.mark.parametrize("what", ["file", "directory"])
def test_a_read_only_store_is_searched_and_listed(mem, mem_home, read_only, what):
    mem("add", "Dentist is Dr Lee on Elm St", "--type", "semantic")
    mem("add", "Flight to Lisbon booked")
    before = digest(mem_home / "mem.db")
    read_only(mem_home / "mem.db" if what == "file" else mem_home)
    assert [hit["text"] for hit in mem.json("search", "dentist")] == ["Dentist is Dr Lee on Elm St"]
    assert len(mem.json("list")) == 2 and mem.json("show", "1")["id"] == 1
    assert "Dr Lee" in mem("ask", "who is my dentist?", "--offline").stdout
    assert "read-only" in one_error_line(mem("add", "cannot go in", code=2))
    assert "read-only" in one_error_line(mem("pin", "1", code=2))
    assert digest(mem_home / "mem.db") == before


HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


@pytest.fixture
def writer_holding_the_lock(mem, mem_home, monkeypatch):
    """Another process inside BEGIN IMMEDIATE until the test lets go (with a short busy timeout)."""
    mem("add", "before the lock")
    monkeypatch.setenv("MEM_STORE_BUSY_TIMEOUT", "0.4")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(mem_home / "mem.db")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"

    def release():
        if holder.poll() is None:
            holder.communicate("\n", timeout=30)

    yield release
    release()


def test_add_on_a_busy_database_keeps_the_text_and_the_next_command_stores_it(mem, writer_holding_the_lock):
    result = mem("add", "typed while another mem was writing", "--tag", "busy")
    assert "waiting for another mem to finish writing" in result.stderr
    assert "kept the memory in" in result.stderr and "Traceback" not in result.stderr
    assert mem.json("add", "a second one, still busy")["pending"] == str(pending.pending_path())
    assert [r["text"] for r in mem.json("list")] == ["before the lock"]  # reads go on meanwhile
    assert oct(pending.pending_path().stat().st_mode & 0o777) == "0o600"
    writer_holding_the_lock()
    found = mem("list", "--json")
    assert "stored 2 memories kept while the database was busy" in found.stderr
    import json

    rows = json.loads(found.stdout)
    assert {r["text"] for r in rows} == {"before the lock", "typed while another mem was writing",
                                         "a second one, still busy"}
    assert [r["tags"] for r in rows if r["text"].startswith("typed")] == [["busy"]]
    assert pending.pending_path().stat().st_size == 0
    assert len(mem.json("list")) == 3  # drained once, not again


def test_other_writes_on_a_busy_database_fail_in_one_line(mem, writer_holding_the_lock):
    result = mem("pin", "1", code=2)
    assert "is busy" in one_error_line(result)
    assert "waiting for another mem to finish writing" in result.stderr
    writer_holding_the_lock()
    assert [r["text"] for r in mem.json("list")] == ["before the lock"]


def test_pending_adds_wait_for_their_own_database(mem, mem_home, tmp_path, monkeypatch, writer_holding_the_lock):
    mem("add", "meant for the main database")
    writer_holding_the_lock()
    monkeypatch.setenv("MEM_DB", str(tmp_path / "other.db"))
    assert mem.json("list") == []  # not drained into another database
    monkeypatch.delenv("MEM_DB")
    assert "meant for the main database" in {r["text"] for r in mem.json("list")}
