"""Bounded work from small inputs (issue 17 items 5 and 9): deep JSON, YAML alias bombs, named
pipes, regex-hostile notes and over-long lines cost a warning naming the file and the limit,
never gigabytes, minutes or a hang. The memory cases run `mem ingest` in a real process whose
address space is capped at 1 GiB."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from memcli.readers import bounds

GiB = 1024 ** 3
FIXTURES = Path(__file__).parent / "fixtures" / "bounds"


@pytest.fixture(autouse=True)
def text_only(mem_home: Path) -> None:
    mem_home.mkdir(parents=True, exist_ok=True)
    (mem_home / "config.toml").write_text('[embed]\nmodel = "none"\n')


def run_capped(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`mem` in a subprocess with RLIMIT_AS at 1 GiB; a hang fails the test through the timeout."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (GiB, GiB))

    return subprocess.run([sys.executable, "-m", "memcli", *args], capture_output=True, timeout=timeout,
                          preexec_fn=cap, env=dict(os.environ), text=True)


def conversation(cid: str, parts: object, text_type: str = "text") -> dict:
    return {"title": cid, "id": cid, "current_node": f"{cid}-m", "mapping": {f"{cid}-m": {
        "id": f"{cid}-m", "parent": None, "children": [], "message": {
            "id": f"{cid}-m", "author": {"role": "user"}, "create_time": 1714730000, "recipient": "all",
            "content": {"content_type": text_type, "parts": parts}}}}}


def test_deeply_nested_export_is_a_warning_under_a_memory_cap(tmp_path):
    # 100,000 nested brackets in a ~200 KB ChatGPT export reached 21 GB RSS with ijson.
    good = json.dumps(conversation("fine", ["Booked the dentist for Tuesday"]))
    deep = json.dumps(conversation("deep", ["x"])).replace('["x"]', "[" * 100_000 + "]" * 100_000)
    path = tmp_path / "conversations.json"
    path.write_text(f"[{good}, {deep}]")
    result = run_capped("ingest", str(path))
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stdout
    assert f"{path}: conversation 2 nested deeper than 64 levels (the limit)" in result.stderr
    assert "MemoryError" not in result.stderr and "Traceback" not in result.stderr


def test_yaml_alias_bomb_is_read_as_text_under_a_memory_cap(tmp_path):
    # A 9^8 "billion laughs" took 42 s and 2.2 GB once the front matter was copied into metadata.
    note = tmp_path / "bomb.md"
    note.write_bytes((FIXTURES / "alias-bomb.md").read_bytes())
    result = run_capped("ingest", str(note), "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["warnings"] == [f"{note}: front matter uses YAML aliases (*name), which mem does not expand; read as text"]
    assert out["added"] >= 1


def test_front_matter_too_deep_or_too_long_is_read_as_text(mem, tmp_path):
    deep = tmp_path / "deep.md"
    deep.write_text("---\nkey: " + "[" * 40 + "]" * 40 + "\n---\nThe boiler was serviced in May.\n")
    out = mem.json("ingest", str(deep))
    assert out["warnings"] == [f"{deep}: front matter nests deeper than 16 levels (the limit); read as text"]
    long = tmp_path / "long.md"
    long.write_text("---\n" + "".join(f"k{i}: {'v' * 60}\n" for i in range(1200)) + "---\nThe gate code is 4411.\n")
    out = mem.json("ingest", str(long))
    assert out["warnings"] == [f"{long}: front matter longer than 64 KiB (the limit); read as text"]
    assert mem.json("search", "gate code")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_named_pipes_are_skipped_never_opened(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "real.md").write_text("The spare key is with the neighbour at number 12.\n")
    os.mkfifo(notes / "pipe.md")
    os.mkfifo(tmp_path / "export.json")
    result = run_capped("ingest", str(notes), "--json", timeout=60)  # blocked forever before
    out = json.loads(result.stdout)
    assert out["added"] == 1 and out["failed"] == 1
    assert out["warnings"] == [f"{notes / 'pipe.md'}: a named pipe, not a regular file; skipped"]
    alone = run_capped("ingest", str(tmp_path / "export.json"), timeout=60)
    assert alone.returncode == 2
    assert alone.stderr.strip() == f"Error: {tmp_path / 'export.json'}: a named pipe, not a regular file; skipped"


def test_device_given_as_a_file_is_skipped(mem):
    result = mem("ingest", "/dev/zero", code=2)  # would never end
    assert "a character device, not a regular file; skipped" in result.stderr


def test_regex_hostile_note_is_read_in_linear_time(tmp_path):
    # A heading with a long run of spaces and a run of "[[" backtracked quadratically (minutes).
    note = tmp_path / "odd.md"
    note.write_text("# Title" + " " * 200_000 + "x\n\n" + "[[" * 100_000 + "\n\nThe wifi password is on the router.\n")
    result = run_capped("ingest", str(note), "--json", timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["added"] >= 1


def test_chatgpt_parts_as_a_string_is_one_part(mem, tmp_path):
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([conversation("c1", "Renew the car insurance before June")]))
    mem("ingest", str(path))
    assert [r["text"] for r in mem.json("list")] == ["Renew the car insurance before June"]


def test_brackets_and_quotes_inside_strings_do_not_count(mem, tmp_path):
    # Strings full of brackets, escaped quotes and backslashes, spanning many 64 KB reads.
    tricky = 'deep [[[[' * 50 + ' \\"quoted [ { \\\\ ' + "x" * 70_000 + "]]]}"
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([conversation(f"c{i}", [f"{i} {tricky}"]) for i in range(6)]))
    out = mem.json("ingest", str(path))
    assert out["added"] == 6 and out["warnings"] == []


def test_conversation_larger_than_the_limit_stops_the_file(mem, tmp_path, monkeypatch):
    monkeypatch.setattr(bounds, "MAX_ITEM_BYTES", 200_000)
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([conversation("small", ["Small one"]), conversation("big", ["y " * 300_000])]))
    out = mem.json("ingest", str(path))
    assert out["added"] == 1
    assert out["warnings"] == [f"{path}: conversation 2 larger than 195 KiB (the limit); the rest of the file was not read"]


def test_jsonl_deep_and_long_lines_are_bad_lines(mem, tmp_path, monkeypatch):
    monkeypatch.setattr(bounds, "MAX_LINE_BYTES", 10_000)
    path = tmp_path / "log.jsonl"
    path.write_text('{"role": "user", "content": "first"}\n'
                    + "[" * 100_000 + "]" * 100_000 + "\n"
                    + '{"role": "user", "content": "' + "z" * 20_000 + '"}\n'
                    + '{"role": "user", "content": "last"}\n')
    out = mem.json("ingest", str(path))
    assert out["added"] == 2
    assert [w.split(": skipped, ")[0] for w in out["warnings"]] == [f"{path}:2", f"{path}:3"]
    assert "longer than 9 KiB (the limit)" in out["warnings"][1]


def test_note_larger_than_the_limit_is_skipped(mem, tmp_path, monkeypatch):
    monkeypatch.setattr(bounds, "MAX_NOTE_BYTES", 2 * bounds.MiB)
    big = tmp_path / "huge.md"
    big.write_text("lorem ipsum " * 200_000)
    result = mem("ingest", str(big), code=2)
    assert result.stderr.strip() == f"Error: {big}: a note larger than 2 MiB (the limit); skipped"


def test_locomo_file_too_large_or_too_deep(mem, tmp_path, monkeypatch):
    deep = tmp_path / "locomo.json"
    deep.write_text('[{"conversation": {"session_1": ' + "[" * 100_000 + "]" * 100_000 + "}}]")
    assert "nests too deep" in mem("ingest", "--format", "locomo", str(deep), code=2).stderr
    monkeypatch.setattr(bounds, "MAX_WHOLE_JSON_BYTES", 100)
    assert "larger than 0 KiB (the limit)" in mem("ingest", "--format", "locomo", str(deep), code=2).stderr


def test_zip_bomb_member_is_refused(mem, tmp_path, monkeypatch):
    monkeypatch.setattr(bounds, "MAX_ITEM_BYTES", 1000)
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", "[" + " " * 5_000_000 + "]")
    result = mem("ingest", str(path), code=2)
    assert "conversations.json in the zip unpacks to 200x its size or more (the limit)" in result.stderr
