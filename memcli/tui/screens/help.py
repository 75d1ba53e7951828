"""`?`: every key of every screen, read from the bindings themselves so it never drifts."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

TIPS = (
    "Type in the search box to search (hybrid full-text + vectors); Enter or Esc goes to the list.\n"
    "Filters (f): type, #tag, source (completes), since/until (ISO dates or phrases like 'last May'); "
    "Enter applies.\n"
    "Edit never overwrites: it saves a new version that supersedes the old one (see History).\n"
    "Keys can be remapped by binding id in config.toml, e.g. [tui.keys] \"mem.forget\" = \"x\"."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="mem.help.close"),
        Binding("question_mark", "close", "Close", id="mem.help.toggle", show=False),
    ]

    def compose(self) -> ComposeResult:
        from memcli.tui.screens.detail import DetailScreen
        from memcli.tui.screens.main import MainScreen

        keys = Table(box=None, show_header=True, pad_edge=False, expand=True)
        keys.add_column("key", no_wrap=True)
        keys.add_column("list", no_wrap=True)
        keys.add_column("detail", no_wrap=True)
        keys.add_column("id", style="dim", no_wrap=True)
        app_bindings = [b for b in self.app.BINDINGS if isinstance(b, Binding)]
        main = {b.id: b for b in MainScreen.BINDINGS if isinstance(b, Binding)}
        detail = {b.id: b for b in DetailScreen.BINDINGS if isinstance(b, Binding)}
        keymap: dict[str, str] = getattr(self.app, "user_keys", {})
        for binding_id in [*main, *(i for i in detail if i not in main)]:
            binding = main.get(binding_id) or detail[binding_id]
            key = keymap.get(binding_id or "", binding.key)
            keys.add_row(self.app.get_key_display(Binding(key, binding.action)), main[binding_id].description
                         if binding_id in main else "", detail[binding_id].description if binding_id in detail
                         else "", binding_id or "")
        for binding in app_bindings:
            keys.add_row(self.app.get_key_display(binding), binding.description, binding.description,
                         binding.id or "")
        with VerticalScroll(classes="dialog help"):
            yield Static(Text("Keys", style="bold"))
            yield Static(keys)
            yield Static(Text(TIPS, style="dim"), id="help-tips")

    def action_close(self) -> None:
        self.dismiss()
