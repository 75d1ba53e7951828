"""Plugins: each hook through an explicitly registered plugin (no entry points, as in llm's tests),
then real entry points from a fake installed distribution in a subprocess."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest

from memcli import plugins
from memcli.hookspecs import hookimpl
from memcli.readers import Item
from tests.conftest import run_mem


@pytest.fixture
def register() -> Iterator[Any]:
    pm = plugins.get_pm()
    names: list[str] = []

    def add(plugin: Any, name: str) -> None:
        pm.register(plugin, name=name)
        names.append(name)

    yield add
    for name in names:
        pm.unregister(name=name)


class Shout:
    @hookimpl
    def process_record(self, record):
        record.text = record.text.upper()


class Broken:
    @hookimpl
    def process_record(self, record):
        raise RuntimeError("boom")


def test_process_record_changes_text_and_hash(mem, register):
    register(Shout(), "shout")
    first = mem.json("add", "hello there", "--at", "2024-01-01T10:00")
    assert first["text"] == "HELLO THERE"
    # the same event (same time) again: dedup on the processed text
    assert mem.json("add", "HELLO there", "--at", "2024-01-01T10:00")["id"] == first["id"]


def test_a_failing_hook_warns_and_the_write_goes_on(mem, register):
    register(Broken(), "broken")
    result = mem("add", "still stored")
    assert "Warning: plugin broken failed in process_record: RuntimeError: boom" in result.stderr
    assert mem.json("list")[0]["text"] == "still stored"


def test_process_record_runs_on_ingest(mem, register, tmp_path):
    register(Shout(), "shout")
    note = tmp_path / "n.md"
    note.write_text("# Title\nquiet words\n")
    mem("ingest", str(note))
    assert "QUIET WORDS" in mem.json("list")[0]["text"]


def test_register_commands(mem, register):
    class Commands:
        @hookimpl
        def register_commands(self, cli):
            import typer

            app = typer.Typer()

            @app.command()
            def hello() -> None:
                """Say hello. Example: mem hello"""
                print("hello from a plugin")

            cli.add_command(typer.main.get_command(app), "hello")
            cli.add_command(typer.main.get_command(app), "add")  # a built-in name: refused

    register(Commands(), "commands")
    helped = mem("--help")
    assert "hello" in helped.stdout and "built-in command 'add'" in helped.stderr
    assert mem("hello").stdout == "hello from a plugin\n"
    assert mem("add", "normal add").stdout.startswith("Stored #")  # `mem add` does not even ask plugins
    assert mem("list", "--help").stdout.startswith("Usage: mem list")


class FakeReader:
    name = "fake"

    def sniff(self, path: Path, head: bytes) -> bool:
        return head.startswith(b"FAKE")

    def read(self, path: Path) -> Iterator[Item]:
        for number, line in enumerate(path.read_text().splitlines()[1:]):
            yield Item(text=line, source_ref=str(number), session="fake")


def test_register_importers(mem, register, tmp_path):
    class Importers:
        @hookimpl
        def register_importers(self, register):
            register(FakeReader())

    register(Importers(), "importers")
    from memcli.readers.detect import format_names

    assert "fake" in format_names()
    export = tmp_path / "export.json"  # auto-detected by the plugin's sniffer
    export.write_text("FAKE\nfirst line\nsecond line\n")
    assert mem.json("ingest", str(export))["added"] == 2
    assert mem.json("ingest", "--format", "fake", str(export))["added"] == 0


def test_register_embedders(register):
    made: list[str] = []

    class Embedders:
        @hookimpl
        def register_embedders(self, register):
            register("toy", lambda spec: made.append(spec) or "an embedder")

    register(Embedders(), "embedders")
    from memcli.embed.registry import get_embedder

    assert get_embedder("toy/model-x") == "an embedder" and made == ["model-x"]


def test_mem_plugins_lists_registered(mem, register):
    register(Shout(), "shout")
    rows = mem.json("plugins")
    assert {"name": "shout", "hooks": ["process_record"], "loaded": True} .items() <= next(
        r for r in rows if r["name"] == "shout").items()


# --- real entry points, in a subprocess -------------------------------------------------------

def _fake_dist(site: Path, name: str, module: str, source: str) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[memcli]\n{name} = {module}\n")
    (site / f"{module}.py").write_text(textwrap.dedent(source))


GOOD = """
    from memcli.hookspecs import hookimpl

    @hookimpl
    def register_commands(cli):
        import typer

        app = typer.Typer()

        @app.command()
        def hello():
            '''Say hello. Example: mem hello'''
            print("hello from goodplug")

        cli.add_command(typer.main.get_command(app), "hello")

    @hookimpl
    def process_record(record):
        record.text = record.text.replace("1234", "[pin]")
"""


def test_entry_points_load_and_a_broken_one_only_warns(tmp_path, monkeypatch):
    monkeypatch.delenv("MEM_LOAD_PLUGINS")
    site = tmp_path / "site"
    site.mkdir()
    env = {"PYTHONPATH": str(site)}
    before = {row["name"] for row in json.loads(run_mem("plugins", "--json", env=env).stdout)}
    assert "goodplug" not in before  # and the cache now says so
    _fake_dist(site, "goodplug", "goodplug", GOOD)
    _fake_dist(site, "brokenplug", "brokenplug", "raise RuntimeError('boom at import')\n")

    listed = run_mem("plugins", "--json", env=env)
    assert listed.returncode == 0
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["goodplug"]["loaded"] and rows["goodplug"]["hooks"] == ["process_record", "register_commands"]
    assert rows["brokenplug"]["error"] == "RuntimeError: boom at import"
    assert b"Warning: plugin brokenplug failed to load: RuntimeError: boom at import" in listed.stderr

    added = run_mem("add", "card pin 1234", "--json", env=env)  # found through the refreshed cache
    assert added.returncode == 0 and json.loads(added.stdout)["text"] == "card pin [pin]"
    assert added.stderr.count(b"Warning:") == 1
    helped = run_mem("--help", env=env)
    assert b"hello" in helped.stdout and run_mem("hello", env=env).stdout == b"hello from goodplug\n"

    only_good = run_mem("hello", env={**env, "MEM_LOAD_PLUGINS": "goodplug"})
    assert only_good.stdout == b"hello from goodplug\n" and b"Warning" not in only_good.stderr
    none = run_mem("add", "pin 1234 kept", "--json", env={**env, "MEM_LOAD_PLUGINS": ""})
    assert json.loads(none.stdout)["text"] == "pin 1234 kept" and none.stderr == b""


PROBE = (
    "import sys, json\nfrom memcli.cli import main\nsys.argv = ['mem'] + sys.argv[1:]\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\nprint(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
)


def test_mem_add_without_plugins_imports_neither_pluggy_nor_metadata(mem, monkeypatch):
    from importlib.metadata import entry_points

    if list(entry_points(group="memcli")):
        pytest.skip("plugins are installed in this environment")
    monkeypatch.delenv("MEM_LOAD_PLUGINS")
    mem("add", "warm up")  # migrations (sqlite-utils imports pluggy) happen here, not below
    import os
    import subprocess

    for _ in range(2):  # the first run writes the cache, the second must not even scan
        done = subprocess.run([sys.executable, "-c", PROBE, "add", "a note"], capture_output=True, env=os.environ.copy())
        loaded = set(json.loads(done.stderr.decode().strip().splitlines()[-1]))
    assert "pluggy" not in loaded and "importlib.metadata" not in loaded
