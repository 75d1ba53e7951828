"""`mem tui`: every action driven through Textual's pilot against a real temp db."""

from __future__ import annotations

import asyncio
import functools
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest

pytest.importorskip("textual")

from textual.widgets import Input, OptionList, Select, TextArea  # noqa: E402

from memcli.models import Record, content_hash  # noqa: E402
from memcli.store import open_db, records, runs  # noqa: E402
from memcli.tui import actions  # noqa: E402
from memcli.tui.app import make_app  # noqa: E402
from memcli.tui.messages import ConsolidateProgress  # noqa: E402
from memcli.tui.screens.detail import DetailScreen  # noqa: E402
from memcli.tui.screens.main import DEBOUNCE, MainScreen  # noqa: E402
from memcli.tui.testing import screen_text, settle  # noqa: E402

SIZE = (80, 24)


def aio(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test with asyncio.run: no pytest async plugin needed."""
    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))
    return run


def _insert(store: Any, text: str, at: str, **fields: Any) -> int:
    fields.setdefault("source", "cli")
    return records.insert(store, Record(text=text, observed_at=at, created_at=at, content_hash=content_hash(text),
                                        **{"type": "episodic", **fields}))


def seed(mem_home: Path) -> dict[str, int]:
    """Fixed data with fixed dates: a chat session, a fact derived from it, a note, a how-to."""
    store = open_db(mem_home / "mem.db")
    note = mem_home / "garden.md"
    note.write_text("# Garden\nTomatoes go in after the last frost.\n")
    ids: dict[str, int] = {}
    with store.transaction():
        for i, (speaker, text) in enumerate([("Jon", "Hey Mel, what have you been researching lately?"),
                                             ("Mel", "Adoption agencies, mostly. It is a big step."),
                                             ("Jon", "That is wonderful, good luck!")]):
            ids[f"turn{i}"] = _insert(store, text, f"2024-05-08T13:0{i}:00Z", session="s1", speaker=speaker,
                                      source="/chats/export.json")
        ids["fact"] = _insert(store, "Mel is researching adoption agencies", "2024-05-09T10:00:00Z", type="semantic",
                              source="consolidate", valid_from="2024-05-09T10:00:00Z", tags=["family"])
        records.add_provenance(store, ids["fact"], [ids["turn1"]], "run-seed")
        ids["note"] = _insert(store, "Tomatoes go in after the last frost.", "2024-04-01T09:00:00Z",
                              source=str(note), tags=["garden"])
        ids["howto"] = _insert(store, "How to reset the router: hold the button for 10 seconds", "2024-03-02T18:30:00Z",
                               type="procedural", source="cli")
        ids["passport"] = _insert(store, "Renewed my passport at the town hall", "2024-06-10T11:00:00Z")
    store.close()
    return ids


def table_ids(app: Any) -> list[int]:
    return [r.id for r in app.screen.query_one("#records").records]


async def move_to(pilot: Any, record_id: int) -> None:
    assert pilot.app.screen.query_one("#records").select_record(record_id)
    await pilot.pause()


async def type_search(pilot: Any, text: str) -> None:
    await pilot.press("slash", *text)
    await pilot.pause(DEBOUNCE + 0.1)
    await settle(pilot)


@aio
async def test_list_and_search_as_you_type(mem_home):
    ids = seed(mem_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert table_ids(app)[0] == ids["passport"]  # newest first
        assert len(table_ids(app)) == 7 and "7 of 7 memories" in screen_text(app)
        await type_search(pilot, "passport")
        assert table_ids(app)[0] == ids["passport"]  # hybrid: the vector channel ranks the rest after it
        assert "for “passport” · by relevance" in screen_text(app)
        await pilot.press("enter", "s")                     # relevance <-> date
        await settle(pilot)
        assert "newest first" in screen_text(app)
        await pilot.press("slash", *["backspace"] * len("passport"))
        await pilot.pause(DEBOUNCE + 0.1)
        await settle(pilot)
        assert len(table_ids(app)) == 7


@aio
async def test_filter_by_type_tag_and_time(mem_home):
    ids = seed(mem_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#f-type", Select).value = "semantic"
        await settle(pilot)
        assert table_ids(app) == [ids["fact"]]
        app.screen.query_one("#f-type", Select).clear()
        app.screen.query_one("#f-tag", Input).focus()
        await pilot.press(*"garden", "enter")
        await settle(pilot)
        assert table_ids(app) == [ids["note"]]
        app.screen.query_one("#f-tag", Input).value = ""
        app.screen.query_one("#f-since", Input).focus()
        await pilot.press(*"2024-05-09", "enter")
        await settle(pilot)
        assert table_ids(app) == [ids["passport"], ids["fact"]]
        await pilot.press(*"x" * 3, "enter")         # "2024-05-09xxx" does not parse: an error, no crash
        await settle(pilot)
        assert table_ids(app) == [] and "2024-05-09xxx" in screen_text(app)


@aio
async def test_detail_shows_text_provenance_and_jumps(mem_home):
    ids = seed(mem_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await move_to(pilot, ids["fact"])
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert "Mel is researching adoption agencies" in text and "#family" in text and "Derived from" in text
        links = app.screen.query_one(OptionList)
        index = next(i for i in range(links.option_count) if links.get_option_at_index(i).id == f"f:{ids['turn1']}")
        links.highlighted = index
        await pilot.press("enter")                   # follow the provenance link
        await settle(pilot)
        assert app.screen.record_id == ids["turn1"]
        text = screen_text(app)
        assert "Derived into" in text and "Session" in text and "-1 Jon: Hey Mel" in text and "+1 Jon:" in text
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


@aio
async def test_add(mem, mem_home):
    seed(mem_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.press(*"Bike lock code is 4711")
        app.screen.query_one("#type", Select).value = "semantic"
        app.screen.query_one("#tags", Input).value = "bike #codes"
        await pilot.press("ctrl+s")
        await settle(pilot)
        added = mem.json("list", "--type", "semantic", "--tag", "codes")
        assert [r["text"] for r in added] == ["Bike lock code is 4711"] and added[0]["tags"] == ["bike", "codes"]
        assert app.screen.query_one("#records").current_record().id == added[0]["id"]  # cursor on it


@aio
async def test_edit_creates_a_superseding_version(mem, mem_home):
    ids = seed(mem_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await move_to(pilot, ids["passport"])
        await pilot.press("e")
        area = app.screen.query_one(TextArea)
        assert area.text == "Renewed my passport at the town hall"
        area.text = "Renewed my passport at the embassy"
        await pilot.press("ctrl+s")
        await settle(pilot)
        new_id = app.screen.query_one("#records").current_record().id
        assert new_id != ids["passport"] and ids["passport"] not in table_ids(app)
    versions = mem.json("history", str(ids["passport"]))
    assert [v["id"] for v in versions] == [ids["passport"], new_id]
    old, new = versions
    assert old["text"] == "Renewed my passport at the town hall"  # never overwritten
    assert old["superseded_by"] == new_id and old["valid_to"] and not old["current"]
    assert new["current"] and new["text"] == "Renewed my passport at the embassy"


@aio
async def test_edit_from_detail_shows_history(mem_home):
    ids = seed(mem_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await move_to(pilot, ids["howto"])
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")
        app.screen.query_one(TextArea).text = "How to reset the router: hold the button for 30 seconds"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.record_id != ids["howto"]  # follows the new one
        text = screen_text(app)
        assert "History (oldest first)" in text and f"#{ids['howto']} ended" in text and "30 seconds" in text
        links = app.screen.query_one(OptionList)
        links.highlighted = next(i for i in range(links.option_count)
                                 if links.get_option_at_index(i).id == f"v:{ids['howto']}")
        await pilot.press("enter")                   # open the old version...
        await settle(pilot)
        assert app.screen.record_id == ids["howto"] and "superseded by" in screen_text(app)
        await pilot.press("e")                       # ...which cannot be edited: the chain has one head
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)


@aio
async def test_tag_and_pin(mem, mem_home):
    ids = seed(mem_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await move_to(pilot, ids["note"])
        await pilot.press("t")
        tags = app.screen.query_one(Input)
        assert tags.value == "garden"
        tags.value = "garden spring"
        await pilot.press("enter")
        await settle(pilot)
        assert mem.json("show", str(ids["note"]))["tags"] == ["garden", "spring"]
        await pilot.press("p")
        await settle(pilot)
        shown = mem.json("show", str(ids["note"]))
        assert shown["pinned"] is True and [e["action"] for e in shown["events"]] == ["tag", "pin"]
        assert "episodic*" in screen_text(app)      # the pin shows in the list
        await pilot.press("p")
        await settle(pilot)
        assert mem.json("show", str(ids["note"]))["pinned"] is False


@aio
async def test_forget_asks_first(mem, mem_home):
    ids = seed(mem_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await move_to(pilot, ids["passport"])
        await pilot.press("d")
        assert "Forget #" in screen_text(app)
        await pilot.press("enter")                   # focus starts on Cancel: Enter destroys nothing
        await settle(pilot)
        assert mem.json("show", str(ids["passport"]))["state"] == "active"
        await pilot.press("d")
        await pilot.press("escape")
        await settle(pilot)
        assert mem.json("show", str(ids["passport"]))["state"] == "active"
        await pilot.press("d")
        await pilot.click("#release")
        await settle(pilot)
        assert mem.json("show", str(ids["passport"]))["state"] == "released"
        assert ids["passport"] not in table_ids(app)


@aio
async def test_purge_from_detail_goes_back_to_the_list(mem, mem_home):
    ids = seed(mem_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await move_to(pilot, ids["howto"])
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("d")
        await pilot.click("#purge")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and ids["howto"] not in table_ids(app)
    mem("show", str(ids["howto"]), code=2)


@aio
async def test_consolidation_runs_and_reports_progress(mem_home):
    seed(mem_home)
    progress: list[str] = []
    app = make_app()

    def hook(message: Any) -> None:
        if isinstance(message, ConsolidateProgress):
            progress.append(message.text)

    notes: list[str] = []
    app.notify = lambda message, **_: notes.append(message)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await settle(pilot)
        await pilot.press("C")
        assert "zero-LLM" in screen_text(app)
        await pilot.click("#run")
        await settle(pilot)
        assert "Consolidating: dedupe" in progress
        assert any(note.startswith("Run run-") for note in notes)
    store = open_db(mem_home / "mem.db")
    assert runs.recent(store, 1)[0]["status"] == "done"
    store.close()


@aio
async def test_stats_and_help_screens(mem_home):
    seed(mem_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        text = screen_text(app)
        assert "By type" in text and "episodic" in text and "2024-05" in text and "Last consolidation: none" in text
        await pilot.press("question_mark")
        await pilot.pause()
        assert "mem.forget" in screen_text(app)
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


@aio
async def test_copy_and_open_source(mem_home, monkeypatch):
    ids = seed(mem_home)
    opened: list[list[str]] = []
    monkeypatch.setattr(actions, "run_external", lambda app, argv: opened.append(argv))
    monkeypatch.setenv("EDITOR", "myeditor --wait")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await move_to(pilot, ids["note"])
        await pilot.press("c")
        assert app.clipboard == "Tomatoes go in after the last frost."
        await pilot.press("o")
        assert opened == [["myeditor", "--wait", str(mem_home / "garden.md")]]
        await move_to(pilot, ids["passport"])       # source "cli": nothing to open
        await pilot.press("o")
        assert len(opened) == 1


def test_source_command_needs_an_existing_path(tmp_path):
    note = tmp_path / "n.md"
    note.write_text("x")
    assert actions.source_command("cli", {"EDITOR": "vi"}) is None
    assert actions.source_command(str(tmp_path / "gone.md"), {"EDITOR": "vi"}) is None
    assert actions.source_command(str(note), {"VISUAL": "code -w", "EDITOR": "vi"}) == ["code", "-w", str(note)]


@aio
async def test_ui_stays_responsive_while_a_search_runs(mem_home, monkeypatch):
    """A search that takes long (a big db, a cold embedder) must not stop keys or timers."""
    ids = seed(mem_home)
    app = make_app()
    release = threading.Event()
    real_search = app.backend.search
    started: list[str] = []

    def slow_search(query: Any, k: int = 200, wanted: Any = None) -> Any:
        started.append(query.text)
        release.wait(10)
        return [] if query.text == "pass" else real_search(query, k)  # tells a stale answer apart

    monkeypatch.setattr(app.backend, "search", slow_search)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"pass")
        await pilot.pause(DEBOUNCE + 0.1)
        assert started == ["pass"]                  # the search is running in its worker...
        await pilot.press(*"port")                   # ...and keys go on meanwhile
        await pilot.pause(DEBOUNCE + 0.1)
        assert app.screen.query_one("#search", Input).value == "passport"
        assert started == ["pass", "passport"]      # the newer search supersedes the older
        assert "searching…" in screen_text(app)
        release.set()
        await settle(pilot)
        assert table_ids(app)[0] == ids["passport"]  # the stale "pass" answer was dropped
        assert "for “passport”" in screen_text(app)


@aio
async def test_the_list_is_paged(mem_home):
    store = open_db(mem_home / "mem.db")
    with store.transaction():
        for i in range(450):
            _insert(store, f"note number {i}", f"2024-01-01T00:{i // 60:02d}:{i % 60:02d}Z")
    store.close()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(table_ids(app)) == 200 and "200 of 450" in screen_text(app)
        for expected in (400, 450):
            await pilot.press("end")                 # near the end: the next page loads
            await settle(pilot)
            assert len(table_ids(app)) == expected
        shown = table_ids(app)
        assert len(set(shown)) == 450 and shown == sorted(shown, reverse=True)


def test_mem_tui_is_wired_and_other_commands_do_not_import_textual(mem):
    assert "Example: mem tui" in mem("tui", "--help").stdout
    assert "needs a terminal" in mem("tui", code=2).stderr  # CliRunner has no tty
    code = ("import sys; from memcli.cli import app; import memcli.cli.tui, memcli.cli.edit; "
            "print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_superseded_search_does_not_run(mem_home):
    from memcli.tui.backend import Backend, Query

    seed(mem_home)
    backend = Backend.open(mem_home / "mem.db")
    assert backend.search(Query(text="passport"), wanted=lambda: False) is None
    assert backend.search(Query(text="passport"))[0][0].text == "Renewed my passport at the town hall"
    backend.close()


@aio
async def test_keys_can_be_remapped_by_binding_id(mem, mem_home):
    ids = seed(mem_home)
    mem("config", "set", "tui.keys.mem.forget", "x")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await move_to(pilot, ids["passport"])
        await pilot.press("x")
        assert "Forget #" in screen_text(app)
        await pilot.press("escape", "question_mark")
        assert "x        Forget" in screen_text(app)  # the help shows the remapped key


def test_a_big_vector_backlog_is_embedded_in_the_background(mem_home, monkeypatch):

    from memcli.retrieve import embedding
    from memcli.tui import backend as backend_module

    monkeypatch.setenv("MEM_EMBED_MODEL", "default")  # conftest turns vectors off for speed
    if embedding.load_embedder()[0] is None:
        pytest.skip("no local embedder on this platform")
    seed(mem_home)
    monkeypatch.setenv("MEM_EMBED_INLINE_LIMIT", "3")
    backend = backend_module.Backend.open(mem_home / "mem.db")
    assert backend.search(backend_module.Query(text="passport"))[0][0].text.startswith("Renewed my passport")
    deadline = time.monotonic() + 600  # a guard against hanging, not a speed check: vectors follow in the background
    while backend.vector_backlog:
        assert time.monotonic() < deadline, "the background embedder did not finish"
        time.sleep(0.5)
        backend.search(backend_module.Query(text="passport"))
    backend.close()


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
def test_quitting_never_waits_for_a_stuck_worker(mem_home, key):
    """A search stuck in a worker (a huge embed, a dead disk) must not keep the app open: the
    whole asyncio.run below returns, which it did not while the loop waited for the thread."""
    seed(mem_home)
    release = threading.Event()
    entered = threading.Event()

    async def scenario() -> None:
        app = make_app(mem_home / "mem.db")
        original = app.backend.search

        def stuck(*args: Any, **kwargs: Any) -> Any:
            entered.set()
            release.wait()
            return original(*args, **kwargs)

        app.backend.search = stuck  # type: ignore[method-assign]
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("slash", "p", "a", "s", "s")
            while not entered.is_set():
                await pilot.pause(0.05)
            if key == "q":
                await pilot.press("escape")  # from the search box to the list, where q is a key
            await pilot.press(key)
            await pilot.pause()
            assert app.return_code is not None or not app.is_running

    try:
        asyncio.run(scenario())
    finally:
        release.set()
