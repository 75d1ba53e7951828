"""Modal dialogs: add, edit, tag, confirm. Each dismisses with its result, or None on cancel."""

from __future__ import annotations

import re
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, TextArea

from memcli.models import RECORD_TYPES


def split_tags(raw: str) -> list[str]:
    return [t for t in re.split(r"[\s,]+", raw) if t]


class _Dialog(ModalScreen[Any]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="mem.dialog.cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        else:
            self.submit(event.button.id or "")

    def submit(self, button: str) -> None:  # pragma: no cover - every dialog overrides it
        raise NotImplementedError


class TextDialog(_Dialog):
    """Add (with type and tags) or edit (text only: a new version takes over)."""

    BINDINGS = [*_Dialog.BINDINGS, Binding("ctrl+s", "save", "Save", id="mem.dialog.save", priority=True)]

    def __init__(self, title: str, text: str = "", with_type: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.initial = text
        self.with_type = with_type

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield TextArea(self.initial, id="text", soft_wrap=True)
            if self.with_type:
                with Horizontal(classes="dialog-row"):
                    yield Select([(t, t) for t in RECORD_TYPES], value="episodic", allow_blank=False, id="type",
                                 compact=True)
                    yield Input(placeholder="tags, space separated", id="tags", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    def action_save(self) -> None:
        self.submit("save")

    def submit(self, button: str) -> None:
        text = self.query_one("#text", TextArea).text.strip()
        if not text:
            self.notify("The text is empty.", severity="warning")
            return
        if not self.with_type:
            self.dismiss(text)
            return
        self.dismiss({
            "text": text,
            "type": self.query_one("#type", Select).value,
            "tags": split_tags(self.query_one("#tags", Input).value),
        })


class TagDialog(_Dialog):
    def __init__(self, record_id: int | None, tags: list[str]) -> None:
        super().__init__()
        self.record_id = record_id
        self.tags = tags

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog small"):
            yield Label(f"Tags of #{self.record_id} (space separated; empty removes all)", classes="dialog-title")
            yield Input(" ".join(self.tags), id="tags")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.submit("save")

    def submit(self, button: str) -> None:
        self.dismiss(split_tags(self.query_one("#tags", Input).value))


class ConfirmDialog(_Dialog):
    """A question with a few labelled choices; dismisses with the chosen button's id."""

    def __init__(self, question: str, detail: str, choices: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.choices = choices  # (id, label, variant)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog small"):
            yield Label(self.question, classes="dialog-title")
            yield Label(self.detail, classes="dialog-detail", markup=False)
            with Horizontal(classes="dialog-buttons"):
                for choice, label, variant in self.choices:
                    yield Button(label, id=choice, variant=variant)  # type: ignore[arg-type]
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()  # a stray Enter never destroys anything

    def submit(self, button: str) -> None:
        self.dismiss(button)
