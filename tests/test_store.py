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
