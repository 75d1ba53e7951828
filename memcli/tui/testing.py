"""Helpers for driving the TUI headless (tests and bench): settle, a plain-text screen, no blink."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console


async def settle(pilot: Any, rounds: int = 3) -> None:
    """Wait until workers are done and the messages they posted are handled (repeatedly, as a
    handled message may start another worker)."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def still(app: Any) -> None:
    """No blinking cursors: a snapshot must not depend on the moment it is taken."""
    from textual.widgets import Input, TextArea

    for widget in app.screen.query("Input, TextArea"):
        if isinstance(widget, (Input, TextArea)):
            widget.cursor_blink = False


def screen_text(app: Any) -> str:
    """The current screen as plain text, as a terminal would show it without colours.

    Renders the compositor's full update (what `App.export_screenshot` renders to SVG) through
    a colourless rich Console; trailing spaces are stripped so golden files diff cleanly."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, color_system=None,
                      force_terminal=False, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    lines = console.export_text(styles=False).splitlines()
    return "\n".join(line.rstrip() for line in lines[:height]) + "\n"
