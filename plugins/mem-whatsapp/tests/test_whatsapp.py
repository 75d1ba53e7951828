"""The WhatsApp reader on both export layouts, and through `mem ingest` with the plugin registered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mem_whatsapp
from memcli import plugins
from memcli.cli import app
from memcli.timeparse import from_db

FIXTURES = Path(__file__).parent / "fixtures"
IOS = FIXTURES / "WhatsApp Chat with Ann Lee.txt"
ANDROID = FIXTURES / "android.txt"


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MEM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MEM_LOAD_PLUGINS", "")  # no entry points: the plugin is registered by hand
    monkeypatch.setenv("TZ", "UTC")
    pm = plugins.get_pm()
    pm.register(mem_whatsapp, name="whatsapp-test")
    yield
    pm.unregister(name="whatsapp-test")


def read(path: Path) -> list:
    return list(mem_whatsapp.WhatsAppReader().read(path))


@pytest.mark.parametrize("path", [IOS, ANDROID])
def test_both_layouts_give_the_same_messages(path):
    items = read(path)
    assert [(i.speaker, i.text) for i in items] == [
        ("Ann Lee", "Happy new year! Train leaves at 10:15 from platform 4"),
        ("Bob", "Great, I will bring the tickets.\nAlso the snacks."),
        ("Ann Lee", "On my way"),
        ("Bob", "Dinner at Rosa's on Friday?"),
    ]
    assert from_db(items[0].observed_at).strftime("%Y-%m-%d %H:%M") == "2023-12-31 21:41"
    assert from_db(items[-1].observed_at).strftime("%Y-%m-%d %H:%M") == "2024-01-13 18:00"  # day 13: day-first told apart
    assert len({i.source_ref for i in items}) == len(items)


def test_sniff():
    reader = mem_whatsapp.WhatsAppReader()
    assert reader.sniff(IOS, IOS.read_bytes()) and reader.sniff(ANDROID, ANDROID.read_bytes())
    assert not reader.sniff(Path("notes.txt"), b"# Shopping\n- milk\n- eggs\n")


def test_ingest_with_format_is_idempotent():
    runner = CliRunner()
    first = runner.invoke(app, ["ingest", "--format", "whatsapp", str(IOS), "--json"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["added"] == 4
    again = runner.invoke(app, ["ingest", "--format", "whatsapp", str(IOS), "--json"], catch_exceptions=False)
    assert json.loads(again.stdout)["added"] == 0
    found = runner.invoke(app, ["search", "train platform", "--json"], catch_exceptions=False)
    hit = json.loads(found.stdout)[0]
    assert hit["speaker"] == "Ann Lee" and hit["session"] == "whatsapp:Ann Lee"


def test_garbage_is_a_warning_not_a_crash(tmp_path):
    bad = tmp_path / "chat.txt"
    bad.write_text("just some text\nnothing like a chat\n")
    result = CliRunner().invoke(app, ["ingest", "--format", "whatsapp", str(bad)])
    assert result.exit_code != 0 or "no WhatsApp message lines" in result.output
    assert "Traceback" not in result.output


def test_auto_detected_without_format(tmp_path):
    """A WhatsApp .txt is found as such by `mem ingest` alone, in a folder too, before the text-note fallback."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / IOS.name).write_bytes(IOS.read_bytes())
    (folder / "shopping.txt").write_text("Milk, eggs and a birthday card for Ann.\n")
    result = CliRunner().invoke(app, ["ingest", str(folder), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    by_format = json.loads(result.stdout)["by_format"]
    assert by_format["whatsapp"]["added"] == 4 and by_format["text"]["added"] == 1
