"""Bad input for `mem ingest`: counted warnings, exit 2 only when nothing was read, no traceback,
and nothing already stored is touched."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_mem

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"

CONVERSATION_WITHOUT_TIMES = [{
    "title": "No dates", "id": "conv-x", "current_node": "b",
    "mapping": {
        "a": {"id": "a", "parent": None, "children": ["b"], "message": {
            "id": "a", "author": {"role": "user"}, "create_time": None, "recipient": "all",
            "content": {"content_type": "text", "parts": ["an undated question"]}}},
        "b": {"id": "b", "parent": "a", "children": [], "message": {
            "id": "b", "author": {"role": "assistant"}, "recipient": "all",
            "content": {"content_type": "text", "parts": ["an undated answer"]}}},
    },
}]

BAD_FILES: dict[str, bytes] = {
    "broken.json": b'[{"title": "x", "mapping": {"a": ',
    "latin1.md": "Caf\xe9 notes\n".encode("latin-1"),
    "binary.txt": b"\x00\x01\x02\x03binary\x00",
    "empty.md": b"",
    "blank.txt": b"  \n\n ",
    "conversations.json": b"",  # a 0-byte export
    "undated.json": json.dumps(CONVERSATION_WITHOUT_TIMES).encode(),
    "table.csv": b"name,age\nann,3\n",
    "not-chat.json": b'{"settings": {"theme": "dark"}}',
}


@pytest.fixture(autouse=True)
def text_only(mem_home: Path) -> None:
    mem_home.mkdir(parents=True, exist_ok=True)
    (mem_home / "config.toml").write_text('[embed]\nmodel = "none"\n')


def write(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(BAD_FILES[name])
    return path


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("name, needle", [
    ("broken.json", "invalid JSON"),
    ("latin1.md", "not UTF-8"),
    ("binary.txt", "binary file"),
    ("empty.md", "empty file"),
    ("blank.txt", "empty file"),
    ("conversations.json", "empty file"),
    ("undated.json", "has no timestamps"),
    ("table.csv", "matches no known format"),
    ("not-chat.json", "matches no known format"),
])
def test_only_bad_input_exits_2_with_one_line(mem, tmp_path, name, needle):
    mem("add", "keep me")
    result = mem("ingest", str(write(tmp_path, name)), code=2)
    assert needle in one_line_error(result) and name in result.stderr
    assert [r["text"] for r in mem.json("list")] == ["keep me"]


def test_bad_files_among_good_ones_are_counted_warnings(mem, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in BAD_FILES:
        write(folder, name)
    (folder / "good.md").write_text("# Bike\n\nThe bike lock code is on the blue card.\n")
    result = mem("ingest", str(folder), "--json")
    out = json.loads(result.stdout)
    assert out["added"] == 1 and out["files"] == 1
    assert len(out["warnings"]) == out["failed"] == 8  # the .csv is not picked up in a folder walk
    text = mem("ingest", str(folder))
    assert text.stderr.count("Warning: ") == 8 and "8 warnings" in text.stderr
    assert "Traceback" not in text.stderr


def test_truncated_export_keeps_whole_conversations(mem, tmp_path):
    data = (FIXTURES / "chatgpt_conversations.json").read_text()
    cut = data.index('"title": "Sourdough starter"')
    path = tmp_path / "conversations.json"
    path.write_text(data[:cut + 40])
    out = mem.json("ingest", str(path))
    assert out["added"] == 6 and "invalid JSON after 1 conversations" in out["warnings"][0]


def test_bad_jsonl_lines_are_skipped(mem, tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"role": "user", "content": "first good line"}\n'
                     b'{not json}\n'
                     b'{"role": "user", "content": "caf\xe9"}\n'
                     b'{"content": "no speaker"}\n'
                     b'{"speaker": "bob", "text": "second good line"}\n')
    out = mem.json("ingest", str(path))
    assert out["added"] == 2 and len(out["warnings"]) == 3
    assert all(str(path) in w for w in out["warnings"])


def test_symlink_loop_is_cut(mem, tmp_path):
    vault = tmp_path / "vault"
    (vault / "sub").mkdir(parents=True)
    (vault / "sub" / "note.md").write_text("The spare key is under the third flowerpot.\n")
    os.symlink(vault, vault / "sub" / "loop")
    os.symlink(vault / "nowhere.md", vault / "dangling.md")
    out = mem.json("ingest", str(vault))
    assert out["added"] == 1
    assert any("symlink loop" in w for w in out["warnings"]) and any("broken symlink" in w for w in out["warnings"])


def test_unreadable_file(mem, tmp_path, monkeypatch):
    path = tmp_path / "secret.md"
    path.write_text("private\n")
    if os.geteuid() != 0:
        path.chmod(0)
    else:  # root reads anything: make the read fail the way a permission error does
        import memcli.readers.detect as detect
        real = detect.read_head
        monkeypatch.setattr(detect, "read_head", lambda p: (_ for _ in ()).throw(PermissionError(13, "Permission denied"))
                            if p == path else real(p))
    assert "cannot read (Permission denied)" in one_line_error(mem("ingest", str(path), code=2))


def test_missing_path_and_empty_folder(mem, tmp_path):
    assert "no such file or directory" in one_line_error(mem("ingest", str(tmp_path / "nope"), code=2))
    (tmp_path / "empty").mkdir()
    assert "no notes or chat exports found" in one_line_error(mem("ingest", str(tmp_path / "empty"), code=2))


def test_several_problems_and_nothing_read(mem, tmp_path):
    result = mem("ingest", str(write(tmp_path, "empty.md")), str(write(tmp_path, "broken.json")), code=2)
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "Error: nothing ingested: 2 problems; see the warnings above"
    assert len(lines) == 3 and result.stdout == ""


def test_no_traceback_in_a_real_process(tmp_path):
    path = write(tmp_path, "broken.json")
    result = run_mem("ingest", str(path))
    assert result.returncode == 2 and b"Traceback" not in result.stderr and b"invalid JSON" in result.stderr
