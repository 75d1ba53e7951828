"""Note folders as people keep them (issue 15, "Imports and notes"): Obsidian daily notes, aliases,
templates and Excalidraw; Logseq journals, properties and backups; `--exclude` and `.memignore`
(also for `mem watch`); plugin formats found by auto-detection."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from memcli import plugins
from memcli.hookspecs import hookimpl
from memcli.readers import Item
from memcli.timeparse import from_db

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def text_only(mem_home: Path) -> None:
    mem_home.mkdir(parents=True, exist_ok=True)
    (mem_home / "config.toml").write_text('[embed]\nmodel = "none"\n')


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / "vault2", tmp_path / "vault"))


@pytest.fixture
def graph(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / "logseq", tmp_path / "graph"))


def records(mem) -> list[dict]:
    return sorted(mem.json("list", "--limit", "500"), key=lambda r: r["id"])


def local_day(record: dict) -> str:
    return from_db(record["observed_at"]).astimezone().strftime("%Y-%m-%d %H:%M")


def test_obsidian_daily_notes_aliases_templates_and_drawings(mem, vault):
    out = mem.json("ingest", str(vault))
    assert out["warnings"] == [] and out["files"] == 2
    daily, ann = records(mem)
    assert daily["source"] == str(vault / "Daily" / "2024-05-03.md")
    assert local_day(daily) == "2024-05-03 00:00"  # from the file name, not the file's mtime
    assert ann["text"].endswith("\n\nAliases: Annie, A. Lee") and ann["metadata"]["aliases"] == ["Annie", "A. Lee"]
    assert mem.json("search", "Annie")[0]["id"] == ann["id"]
    every = " ".join(r["text"] for r in records(mem))
    assert "template task" not in every  # Meta/Templates, as .obsidian/templates.json says
    assert "drawing label" not in every and "sketch label" not in every  # Excalidraw data


def test_left_out_files_given_by_name_say_why(mem, vault, graph):
    drawing = vault / "Excalidraw" / "sketch.excalidraw"
    assert mem("ingest", str(drawing), code=2).stderr.strip() == (
        f"Error: {drawing}: an Excalidraw drawing, not a note; nothing ingested")
    template = vault / "Meta" / "Templates" / "Daily.md"  # as mem watch gives a saved file
    assert mem("ingest", str(template), code=2).stderr.strip() == (
        f"Error: {template}: in the vault's templates folder; nothing ingested")
    backup = next((graph / "logseq" / "bak").rglob("*.md"))
    assert "an old copy in Logseq's logseq/bak or logseq/version-files" in mem("ingest", str(backup), code=2).stderr
    renamed = vault / "Excalidraw" / "plain-name.md"  # the plugin's front matter gives it away
    shutil.copy(vault / "Excalidraw" / "Drawing 2024-05-03 10.15.excalidraw.md", renamed)
    assert "an Excalidraw drawing, not a note; skipped" in mem("ingest", str(renamed), code=2).stderr


def test_default_templates_folder_is_skipped(mem, tmp_path):
    notes = tmp_path / "notes"
    (notes / "Templates").mkdir(parents=True)
    (notes / "Templates" / "Meeting.md").write_text("# {{title}}\n\nAttendees:\n")
    (notes / "Projects" / "templates").mkdir(parents=True)  # only the vault's own folder is special
    (notes / "Projects" / "templates" / "kept.md").write_text("Notes on cookie-cutter templates for the site.\n")
    assert [r["text"] for r in records(mem)] == [] and mem.json("ingest", str(notes))["added"] == 1
    assert "cookie-cutter" in records(mem)[0]["text"]


def test_logseq_journals_properties_and_backups(mem, graph):
    out = mem.json("ingest", str(graph))
    assert out["warnings"] == [] and out["files"] == 2
    journal, page = records(mem)
    assert journal["source"] == str(graph / "journals" / "2024_05_03.md") and local_day(journal) == "2024-05-03 00:00"
    assert journal["metadata"]["properties"] == {"mood": "calm"}
    assert page["text"].startswith("- Quote from the carpenter")  # the page's property block is not a memory
    assert page["text"].endswith("\n\nAliases: kitchen, reno")
    assert page["tags"] == ["home", "projects"] and page["metadata"]["title"] == "Kitchen renovation"
    assert page["metadata"]["properties"]["status"] == "planning"
    assert mem.json("search", "reno")[0]["id"] == page["id"]
    every = " ".join(r["text"] for r in records(mem))
    assert "backup copy" not in every and "version file" not in every  # logseq/bak, logseq/version-files


def test_exclude_globs(mem, vault):
    (vault / "Drafts").mkdir()
    (vault / "Drafts" / "idea.md").write_text("A draft about a rooftop garden.\n")
    (vault / "People" / "Bob.wip.md").write_text("Bob's notes, not finished.\n")
    out = mem.json("ingest", str(vault), "--exclude", "Drafts/", "--exclude", "*.wip.md")
    assert out["files"] == 2
    assert not any("rooftop" in r["text"] or "Bob" in r["text"] for r in records(mem))
    assert mem.json("ingest", str(vault))["added"] == 2  # without the globs they come in


def test_memignore(mem, vault):
    (vault / ".memignore").write_text("# private things\nPeople/\n*.secret.md\n!keep.secret.md\n/Daily/2024-*\n")
    (vault / "Inbox").mkdir()
    (vault / "Inbox" / "pin.secret.md").write_text("The safe code is 1234.\n")
    (vault / "Inbox" / "keep.secret.md").write_text("The surprise party is on the 9th.\n")
    (vault / "Inbox" / "Daily").mkdir()
    (vault / "Inbox" / "Daily" / "2024-06-01.md").write_text("Not anchored: this one is kept.\n")
    out = mem.json("ingest", str(vault))
    assert out["warnings"] == []
    assert sorted(Path(r["source"]).name for r in records(mem)) == ["2024-06-01.md", "keep.secret.md"]
    # A file given by itself under an ignored folder is left out too (as mem watch gives them).
    ann = vault / "People" / "Ann.md"
    assert mem("ingest", str(ann), code=2).stderr.strip() == (
        f"Error: {ann}: left out by .memignore; nothing ingested; edit that .memignore to take it in")


def test_memignore_in_mem_watch(mem, tmp_path):
    from tests.test_watch import Watcher, searchable

    notes = tmp_path / "notes"
    (notes / "private").mkdir(parents=True)
    (notes / ".memignore").write_text("private/\n*.draft.md\n")
    (notes / "private" / "old.md").write_text("Old private note about the locksmith.\n")
    (notes / "start.md").write_text("The electrician comes on Monday.\n")
    watcher = Watcher(notes)
    try:
        watcher.wait_for("Watching")
        assert searchable(mem, "electrician")  # the first scan
        (notes / "private" / "new.md").write_text("New private note about the locksmith.\n")
        (notes / "plan.draft.md").write_text("Draft plan about the locksmith.\n")
        (notes / "public.md").write_text("Public note about the plumber.\n")
        assert searchable(mem, "plumber")
    finally:
        watcher.stop()
    assert mem.json("search", "locksmith") == []


class LineReader:
    """A plugin format in a .txt: 'LOG' on its first line."""

    name = "linelog"

    def sniff(self, path: Path, head: bytes) -> bool:
        return head.startswith(b"LOG\n")

    def read(self, path: Path) -> Iterator[Item]:
        for number, line in enumerate(path.read_text().splitlines()[1:], 1):
            yield Item(text=line, source_ref=str(number), session="linelog", observed_at="2024-05-03T10:00:00Z")


class Registers:
    @hookimpl
    def register_importers(self, register: Any) -> None:
        register(LineReader())


@pytest.fixture
def plugin() -> Iterator[None]:
    pm = plugins.get_pm()
    pm.register(Registers(), name="linelog-test")
    yield
    pm.unregister(name="linelog-test")


def test_plugin_format_in_a_txt_is_auto_detected(mem, tmp_path, plugin):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "chat.txt").write_text("LOG\nfirst entry\nsecond entry\n")
    (folder / "note.txt").write_text("An ordinary text note about the garden hose.\n")
    out = mem.json("ingest", str(folder))
    assert out["by_format"]["linelog"]["added"] == 2 and out["by_format"]["text"]["added"] == 1
    assert mem.json("ingest", str(folder / "chat.txt"))["added"] == 0
