"""`mem ingest` on note folders: Obsidian vault features, idempotence, changed and deleted files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


@pytest.fixture(autouse=True)
def text_only(mem_home: Path) -> None:
    # Vectors are not what these tests are about; keep them fast whatever embedder is installed.
    mem_home.mkdir(parents=True, exist_ok=True)
    (mem_home / "config.toml").write_text('[embed]\nmodel = "none"\n')


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / "vault", tmp_path / "vault"))


def by_text(mem, *args: str) -> dict[str, dict]:
    return {r["text"]: r for r in mem.json("list", "--limit", "500", *args)}


def test_vault_front_matter_tags_links_and_dates(mem, vault):
    out = mem.json("ingest", str(vault))
    assert out["files"] == 3 and out["warnings"] == [] and out["failed"] == 0
    assert out["by_format"]["markdown"]["files"] == 2 and out["by_format"]["text"]["files"] == 1
    records = by_text(mem)
    assert len(records) == out["added"] == 5
    daily = next(r for t, r in records.items() if "Dr Okafor" in t)
    assert daily["observed_at"] == mem.json("show", str(daily["id"]))["observed_at"]
    assert daily["observed_at"].startswith("2024-03-0")  # front-matter date (local midnight, stored in UTC)
    assert daily["tags"] == ["daily", "health"]
    assert daily["source"] == str(vault / "Daily" / "2024-03-01.md")
    assert daily["metadata"]["front_matter"]["mood"] == "tired"
    intro = next(r for t, r in records.items() if t.startswith("# Garden plan"))
    assert intro["metadata"]["links"] == ["Seed suppliers", "Daily/2024-03-01"]
    assert intro["metadata"]["title"] == "Garden plan"
    tomatoes = next(r for t, r in records.items() if t.startswith("## Tomatoes"))
    assert tomatoes["tags"] == ["gardening", "tomatoes"] and tomatoes["metadata"]["headings"] == ["Garden plan", "Tomatoes"]
    watering = next(r for t, r in records.items() if t.startswith("## Watering"))
    assert "notatag" not in watering["tags"] and "# not a heading" in watering["text"]  # code stays code
    # No date in the front matter: the file's modification time.
    mtime = os.stat(vault / "Projects" / "Garden.md").st_mtime
    from memcli.timeparse import from_db
    assert abs(from_db(intro["observed_at"]).timestamp() - mtime) < 2
    assert [r["text"] for r in mem.json("search", "San Marzano")][0].startswith("## Tomatoes")
    assert mem.json("list", "--tag", "tomatoes")[0]["id"] == tomatoes["id"]


def test_ingest_twice_stores_nothing_new(mem, vault):
    first = mem.json("ingest", str(vault))
    again = mem.json("ingest", str(vault))
    assert again["added"] == 0 and again["superseded"] == 0 and again["skipped"] == first["added"]
    assert len(mem.json("list", "--limit", "500")) == first["added"]
    out = mem("ingest", str(vault)).stdout
    assert "0 added" in out and f"{first['added']} unchanged" in out


def test_changed_file_supersedes_only_the_changed_chunk(mem, vault):
    mem("ingest", str(vault))
    note = vault / "Projects" / "Garden.md"
    before = {r["text"]: r["id"] for r in mem.json("list", "--source", str(note))}
    note.write_text(note.read_text().replace("20 minutes at 6am", "35 minutes at 5am"))
    out = mem.json("ingest", str(vault))
    assert (out["added"], out["superseded"]) == (1, 1)
    after = {r["text"]: r["id"] for r in mem.json("list", "--source", str(note))}
    unchanged = set(before) & set(after)
    assert len(unchanged) == 2 and all(before[t] == after[t] for t in unchanged)  # same records, same ids
    assert [r["text"] for r in mem.json("search", "timer", "minutes")][0].count("35 minutes at 5am") == 1
    assert not any("20 minutes at 6am" in r["text"] for r in mem.json("search", "timer", "minutes"))
    old_id = next(i for t, i in before.items() if "20 minutes" in t)
    old = mem.json("show", str(old_id))  # kept, not deleted: marked superseded by the new chunk
    new_id = next(i for t, i in after.items() if "35 minutes" in t)
    assert old["superseded_by"] == new_id and old["valid_to"]
    assert mem.json("ingest", str(vault))["added"] == 0


def test_removed_paragraph_ends_its_record(mem, tmp_path):
    note = tmp_path / "list.md"
    note.write_text("# Packing\n\nPassport and tickets.\n\n## Later\n\nWater the ferns before leaving.\n")
    mem("ingest", str(note))
    note.write_text("# Packing\n\nPassport and tickets.\n")
    out = mem.json("ingest", str(note))
    assert (out["added"], out["superseded"]) == (0, 1)
    assert mem.json("search", "ferns") == []


def test_deleted_file_is_reported_not_purged(mem, vault):
    mem("ingest", str(vault))
    inbox = vault / "Inbox.txt"
    inbox.unlink()
    out = mem.json("ingest", str(vault))
    assert out["missing"] == [{"path": str(inbox), "records": 1}]
    assert len(mem.json("search", "landlord")) == 1  # still there
    text = mem("ingest", str(vault)).stdout
    assert "Deleted since it was ingested" in text and str(inbox) in text
    only_file = mem.json("ingest", str(inbox))  # naming the gone file itself: reported, exit 0
    assert only_file["missing"][0]["path"] == str(inbox)


def test_long_note_is_split_with_bounds(mem, tmp_path):
    from memcli.readers.notes import MAX_CHARS

    paragraphs = [f"Paragraph {i} about the allotment: " + "compost and mulch " * 20 for i in range(12)]
    note = tmp_path / "long.md"
    note.write_text("# Allotment log\n\n" + "\n\n".join(paragraphs) + "\n")
    out = mem.json("ingest", str(note))
    texts = [r["text"] for r in mem.json("list", "--limit", "100")]
    assert out["added"] == len(texts) > 1 and all(len(t) <= MAX_CHARS + 40 for t in texts)
    assert all(t.startswith("# Allotment log") for t in texts)  # continuations keep their heading
    note.write_text(note.read_text().replace("Paragraph 7 about", "Paragraph 7 (edited) about"))
    again = mem.json("ingest", str(note))
    assert again["added"] == 1 and again["superseded"] == 1


def test_tag_option_and_plain_text(mem, tmp_path):
    note = tmp_path / "todo.txt"
    note.write_text("Call the insurer about the scratched bumper.\n")
    mem("ingest", str(note), "--tag", "imported", "--format", "text")
    assert [r["text"] for r in mem.json("list", "--tag", "imported")] == ["Call the insurer about the scratched bumper."]


def test_hidden_folders_and_other_files_are_skipped(mem, vault):
    (vault / ".trash").mkdir()
    (vault / ".trash" / "old.md").write_text("Deleted draft about llamas.\n")
    (vault / "Garden.md.swp").write_bytes(b"swap")
    (vault / "draft.md~").write_text("Backup about llamas.\n")
    mem("ingest", str(vault))
    assert mem.json("search", "llamas") == []


def test_ingest_help_has_an_example(mem):
    assert "Example: mem ingest" in mem("ingest", "--help").stdout
