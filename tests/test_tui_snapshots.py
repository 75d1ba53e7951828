"""Golden-text snapshots of the TUI's screens at 80x24.

Each screen is rendered to plain text (what a colourless terminal would show: layout, labels,
truncation, footer keys) and compared with tests/snapshots/<name>.txt. After an intended change,
rewrite them with MEM_UPDATE_SNAPSHOTS=1 and review the diff like code. Why not
pytest-textual-snapshot: it pins syrupy 4.8, which needs pytest < 9, and this project runs pytest 9;
text goldens also diff readably in review and do not churn when Textual retunes its colours
(colour is not checked here; a failing test writes an SVG screenshot next to it to look at).
"""

from __future__ import annotations

import difflib
import os
import time
from pathlib import Path

import pytest

pytest.importorskip("textual")

from memcli.tui.app import make_app  # noqa: E402
from memcli.tui.testing import screen_text, settle, still  # noqa: E402
from tests.test_tui import SIZE, aio, move_to, seed  # noqa: E402

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("MEM_UPDATE_SNAPSHOTS") == "1"


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch):
    """Dates are shown in local time: pin it so the goldens hold on any machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def check(name: str, app, tmp_path: Path) -> None:
    still(app)
    actual = screen_text(app)
    golden = SNAPSHOTS / f"{name}.txt"
    if UPDATE or not golden.exists():
        if not UPDATE:
            pytest.fail(f"no snapshot {golden.name}; create it with MEM_UPDATE_SNAPSHOTS=1")
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        return
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        (tmp_path / f"{name}.svg").write_text(app.export_screenshot(), encoding="utf-8")  # to look at
        diff = "\n".join(difflib.unified_diff(expected.splitlines(), actual.splitlines(), "golden", "actual",
                                              lineterm=""))
        pytest.fail(f"screen {name!r} changed (SVG in {tmp_path}; MEM_UPDATE_SNAPSHOTS=1 accepts it):\n{diff}")


@aio
async def test_main_screen(mem_home, tmp_path):
    seed(mem_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        check("main", app, tmp_path)


@aio
async def test_detail_screen(mem_home, tmp_path):
    ids = seed(mem_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await move_to(pilot, ids["turn1"])
        await pilot.press("enter")
        await settle(pilot)
        check("detail", app, tmp_path)


@aio
async def test_stats_screen(mem_home, tmp_path):
    seed(mem_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        check("stats", app, tmp_path)


@aio
async def test_help_screen(mem_home, tmp_path):
    seed(mem_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        check("help", app, tmp_path)


def test_no_color_is_respected(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert make_app().no_color  # Textual then renders without colour (a NoColor line filter)
