"""The Textual app: owns the backend (the db), pushes the main screen, routes change notices.

`make_app()` is the one way to build it, used by `mem tui`, the tests and the benchmark.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding

from memcli.tui.backend import Backend
from memcli.tui.messages import MemoriesChanged


class MemApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "mem"
    ENABLE_COMMAND_PALETTE = False  # its footer entry would crowd out our keys at 80 columns
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="mem.help"),
        Binding("q", "quit", "Quit", id="mem.quit", show=False),  # in the help; the footer is full
        # Ctrl-C quits from anywhere, the search box included (Textual's default only hints at ctrl+q).
        Binding("ctrl+c", "quit", "Quit", id="mem.interrupt", show=False, priority=True),
    ]

    def __init__(self, backend: Backend, user_keys: dict[str, str] | None = None, llm_settings: Any = None) -> None:
        super().__init__()
        self.backend = backend
        self.user_keys = dict(user_keys or {})
        self.llm_settings = llm_settings  # llm.settings.Settings, resolved once; None: no model

    def on_mount(self) -> None:
        import asyncio

        from memcli.tui.threads import DaemonExecutor

        asyncio.get_running_loop().set_default_executor(DaemonExecutor())  # quitting never waits on a worker
        if self.user_keys:
            self.set_keymap(self.user_keys)
        from memcli.tui.screens.main import MainScreen

        self.push_screen(MainScreen())

    def llm_model(self) -> str | None:
        return self.llm_settings.model if self.llm_settings is not None else None

    def on_memories_changed(self, message: MemoriesChanged) -> None:
        self.notify(message.note)
        for screen in self.screen_stack:
            reload = getattr(screen, "memories_changed", None)
            if reload is not None:
                reload(message)

    def action_help(self) -> None:
        from memcli.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def on_unmount(self) -> None:
        self.backend.close()


def make_app(store_path: Path | None = None, *, backend: Backend | None = None) -> MemApp:
    """Open the db (errors surface here, before the screen is taken) and read the TUI settings:
    `llm.model` for consolidation and `[tui.keys]` (binding id -> key) for remapping."""
    from memcli import config

    settings = config.load()
    from memcli.llm.settings import Settings

    return MemApp(backend or Backend.open(store_path), user_keys=_flat(config.get("tui.keys", settings)),
                  llm_settings=Settings.resolve())


def _flat(keys: Any, prefix: str = "") -> dict[str, str]:
    """`mem config set tui.keys.mem.forget x` nests {"mem": {"forget": "x"}}; a quoted TOML key
    ("mem.forget" = "x") does not. Both mean binding id mem.forget."""
    if not isinstance(keys, dict):
        return {}
    found: dict[str, str] = {}
    for name, value in keys.items():
        if isinstance(value, dict):
            found.update(_flat(value, f"{prefix}{name}."))
        else:
            found[f"{prefix}{name}"] = str(value)
    return found
