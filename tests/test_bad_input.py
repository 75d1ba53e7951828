"""Bad input: one line naming the problem and the fix, exit code 2, nothing half-written."""

from __future__ import annotations

import os
import stat

import pytest

from tests.conftest import run_mem


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("args, needle", [
    (["add", "   "], "empty"),
    (["add", "x", "--type", "opinion"], "unknown type 'opinion'"),
    (["add", "x", "--at", "the day after never"], "cannot read the date"),
    (["add", "x", "--tag", " "], "empty tag"),
    (["search", "?!..."], "nothing to search for"),
    (["search", "x", "-k", "0"], "-k must be at least 1"),
    (["search", "x", "--type", "nope"], "unknown type"),
    (["show", "999"], "no memory with id 999"),
    (["list", "--limit", "0"], "--limit must be at least 1"),
    (["config", "set", "a..b", "1"], "invalid config key"),
])
def test_one_line_error_exit_2(mem, args, needle):
    mem("add", "keep me")
    result = mem(*args, code=2)
    assert needle in one_line_error(result)
    assert [r["text"] for r in mem.json("list")] == ["keep me"]


def test_add_with_nothing_on_stdin(mem):
    assert "nothing to remember" in one_line_error(mem("add", input="", code=2))


def test_non_utf8_stdin(mem):
    assert "not UTF-8" in one_line_error(mem("add", input=b"\xff\xfe\x00bad", code=2))


def test_corrupted_database(mem_home):
    mem_home.mkdir(parents=True)
    db = mem_home / "mem.db"
    db.write_bytes(b"this is not sqlite at all" * 100)
    before = db.read_bytes()
    result = run_mem("add", "hello")
    assert result.returncode == 2
    assert b"corrupted or not a mem database" in result.stderr and b"Traceback" not in result.stderr
    assert db.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    monkeypatch.setenv("MEM_DB", str(locked / "sub" / "mem.db"))
    result = run_mem("add", "hello")
    assert result.returncode == 2 and b"Traceback" not in result.stderr


def test_db_in_a_path_that_cannot_exist(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("MEM_DB", str(blocker / "mem.db"))
    result = run_mem("add", "hello")
    assert result.returncode == 2
    assert b"cannot create the database" in result.stderr and b"Not a directory" in result.stderr
    assert b"Traceback" not in result.stderr


def test_database_from_a_newer_mem(mem, mem_home):
    mem("add", "x")
    from memcli.store import open_db
    store = open_db(mem_home / "mem.db")
    store.execute("PRAGMA user_version = 999")
    store.close()
    assert "newer than this mem" in one_line_error(mem("list", code=2))


@pytest.mark.parametrize("args, message", [
    (["serch", "x"], "Error: no command 'serch'; did you mean 'search'?"),
    (["hook", "instal", "bash"], "Error: no command 'instal'; did you mean 'install'?"),
    (["xyzzy"], "Error: no command 'xyzzy'; mem --help lists them"),
    (["list", "--limt", "3"], "Error: no option --limt; did you mean --limit?"),
    (["list", "--bogus"], "Error: no option --bogus; see mem list --help"),
    (["search"], "Error: missing argument 'QUERY...'; usage: mem search [OPTIONS] QUERY..."),
    (["search", "x", "-k"], "Error: option '-k' requires an argument; see mem search --help"),
    (["show", "abc"], "Error: invalid value for 'ID': 'abc' is not a whole number; see mem show --help"),
    (["hook", "install", "bash", "zsh"], "Error: unexpected argument 'zsh'; see mem hook install --help"),
    (["--bogus"], "Error: no option --bogus; see mem --help"),
])
def test_usage_errors_are_one_line(args, message):
    """click's usage block, "Try ... --help" line and typer's list of guesses are gone."""
    result = run_mem(*args)
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode().splitlines() == [message]
