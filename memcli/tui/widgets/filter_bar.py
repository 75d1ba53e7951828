"""The filter bar: type, tag, source and time range, one line under the search box."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Input, Select

from memcli.models import RECORD_TYPES

FIELDS = ("tag", "source", "since", "until")
PLACEHOLDERS = {"tag": "#tag", "source": "source", "since": "since", "until": "until"}


class FilterBar(Horizontal):
    @dataclass
    class Changed(Message):
        values: dict[str, str]   # type, tag, source, since, until ("" when unset)

    def compose(self) -> ComposeResult:
        yield Select([(t, t) for t in RECORD_TYPES], prompt="any type", id="f-type", compact=True)
        for name in FIELDS:
            yield Input(placeholder=PLACEHOLDERS[name], id=f"f-{name}", compact=True)

    def values(self) -> dict[str, str]:
        chosen = self.query_one("#f-type", Select).value
        found = {"type": chosen if isinstance(chosen, str) else ""}
        for name in FIELDS:
            found[name] = self.query_one(f"#f-{name}", Input).value.strip()
        return found

    def set_sources(self, sources: list[str]) -> None:
        self.query_one("#f-source", Input).suggester = SuggestFromList(sources, case_sensitive=False)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.values()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Text filters apply on Enter: half-typed dates would only flash errors.
        event.stop()
        self.post_message(self.Changed(self.values()))
