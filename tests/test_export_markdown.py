"""`mem export --format markdown -o DIR` (issue 15): one note per memory with YAML front matter
that Obsidian and basic-memory read as note properties, and that `mem ingest` reads back."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.test_transfer import rich  # noqa: F401  (the store with every kind of row)


def notes(folder: Path) -> dict[int, tuple[dict, str, Path]]:
    """id -> (front matter, body, path) of every note written."""
    found = {}
    for path in sorted(folder.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("---\n"), path
        header, body = text[4:].split("\n---\n", 1)
        meta = yaml.safe_load(header)
        found[meta["id"]] = (meta, body.strip(), path)
    return found


def test_one_note_per_memory_with_front_matter(mem, rich, monkeypatch):  # noqa: F811
    monkeypatch.setenv("TZ", "UTC")
    out = rich / "md"
    result = mem.json("export", "--format", "markdown", "-o", str(out))
    written = notes(out)
    assert sorted(str(p) for _, _, p in written.values()) == sorted(result["files"])
    active = {r["id"]: r for r in mem.json("list", "--all", "--limit", "1000") if r["state"] == "active"}
    assert set(written) == set(active)  # superseded ones are; released and purged ones are not
    assert not list(out.rglob(".*.tmp"))
    for record_id, (meta, body, path) in written.items():
        record = active[record_id]
        assert body == record["text"]
        assert [meta[k] for k in ("id", "type", "observed_at", "created_at", "tags", "source")] == [
            record[k] for k in ("id", "type", "observed_at", "created_at", "tags", "source")]
        assert path.relative_to(out).parts[:2] == (record["observed_at"][:4], record["observed_at"][5:7])
        assert path.name.startswith(f"{record['observed_at'][:10]}-{record_id}-")
    dentist = next(meta for meta, body, _ in written.values() if "Dr Ng" in body)
    assert dentist["type"] == "semantic" and dentist["tags"] == ["health"] and dentist["valid_from"]
    assert "valid_to" not in dentist
    lisbon = next(meta for meta, body, _ in written.values() if "train to Lisbon" in body)
    assert lisbon["session"] == "trip" and lisbon["speaker"] == "Ann" and "valid_from" not in lisbon
    assert lisbon["title"] == "We should book the train to Lisbon"
    every = " ".join(body for _, body, _ in written.values())
    assert "Sunday evening" not in every  # purged


def test_superseded_memory_has_its_validity(mem, tmp_path):
    mem("add", "My locker is number 14", "--type", "semantic", "--at", "2024-01-05")
    mem("forget", "1", "--replace-with", "My locker is number 22", "--yes")
    mem("export", "--format", "markdown", "-o", str(tmp_path / "md"))
    written = notes(tmp_path / "md")
    old = written[1][0]
    assert old["valid_to"] and old["superseded_by"] == 2 and written[2][0]["valid_from"]


def test_the_notes_read_back_with_mem_ingest(mem, tmp_path, monkeypatch):
    mem("add", "Use `git bisect run` to find the bad commit", "--type", "procedural", "--tag", "git",
        "--at", "2024-02-03T08:30:00")
    mem("add", "Our wifi password is on the router", "--type", "semantic", "--tag", "home", "--at", "2023-07-01")
    mem("export", "--format", "markdown", "-o", str(tmp_path / "md"))
    before = {r["text"]: r for r in mem.json("list")}
    monkeypatch.setenv("MEM_DB", str(tmp_path / "other.db"))
    out = mem.json("ingest", str(tmp_path / "md"))
    assert out["added"] == 2 and out["warnings"] == []
    for record in mem.json("list"):
        text = record["text"]
        assert (record["type"], record["observed_at"], record["tags"]) == (
            before[text]["type"], before[text]["observed_at"], before[text]["tags"]), json.dumps(record)
