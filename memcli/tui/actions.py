"""Actions on the record a screen shows (the list's cursor row, or the detail pane's record).

Shared by the main and detail screens: each provides `current_record()`. Writes run in a
thread worker through the backend, then post `MemoriesChanged` to the app, which tells every
screen to reload.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Mapping

from textual import work
from textual.binding import Binding

from memcli.errors import MemError
from memcli.models import Record
from memcli.tui.format import one_line
from memcli.tui.messages import MemoriesChanged
from memcli.tui.screens.modals import ConfirmDialog, TagDialog, TextDialog

# Shown in the footer of both screens, in this order; ids let users remap keys (tui.keys).
RECORD_BINDINGS = [
    Binding("e", "edit", "Edit", id="mem.edit"),
    Binding("t", "tag", "Tag", id="mem.tag"),
    Binding("p", "pin", "Pin", id="mem.pin"),
    Binding("d", "forget", "Forget", id="mem.forget"),
    Binding("c", "copy", "Copy", id="mem.copy"),
    Binding("o", "open_source", "Open", id="mem.open_source"),
]


def source_command(source: str, env: Mapping[str, str] | None = None) -> list[str] | None:
    """How to open a record's source: $VISUAL/$EDITOR, else the desktop opener; None unless the
    source is an existing file or folder (chat exports and notes are; 'cli' and 'shell' are not)."""
    env = os.environ if env is None else env
    path = Path(source).expanduser()
    if not path.is_absolute() or not path.exists():
        return None
    editor = env.get("VISUAL") or env.get("EDITOR")
    if editor:
        return [*shlex.split(editor), str(path)]
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    return [opener, str(path)] if shutil.which(opener) else None


def run_external(app: Any, argv: list[str]) -> None:
    """Run an editor with the terminal handed over (app.suspend); a desktop opener needs none."""
    from textual.app import SuspendNotSupported

    try:
        with app.suspend():
            subprocess.run(argv, check=False)
    except SuspendNotSupported:
        subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


class RecordActions:
    """Mixin for Screens (list it first). `self` is a textual Screen at run time."""

    app: Any
    notify: Any

    def current_record(self) -> Record | None:  # pragma: no cover - screens override it
        raise NotImplementedError

    def _record_or_warn(self) -> Record | None:
        record = self.current_record()
        if record is None:
            self.notify("No memory selected.", severity="warning")
        return record

    @work(thread=True, group="write")
    def write(self, change: Callable[[Any], Any], describe: Callable[[Any], MemoriesChanged]) -> None:
        """Run `change(backend)` off the UI thread; the app hears what changed."""
        try:
            result = change(self.app.backend)
        except MemError as error:
            self.app.call_from_thread(self.app.notify, str(error), severity="error")
            return
        except Exception as error:  # a busy or broken db must not take the whole UI down
            self.app.call_from_thread(self.app.notify, f"{type(error).__name__}: {error}", severity="error")
            return
        self.app.post_message(describe(result))

    def action_edit(self) -> None:
        record = self._record_or_warn()
        if record is None:
            return
        if not record.is_head:  # a version chain has one head
            newer = f"#{record.superseded_by}" if record.superseded_by else "nothing (it ended)"
            self.notify(f"#{record.id} is an old version, superseded by {newer}.", severity="warning")
            return

        def save(text: str | None) -> None:
            if text is None or text == record.text.strip():
                return
            self.write(lambda b: b.edit(record.id, text),
                       lambda new: MemoriesChanged(new.id, f"Saved #{new.id}; it supersedes #{record.id}",
                                                   gone=record.id))

        self.app.push_screen(TextDialog(f"Edit #{record.id}: saving makes a new version", record.text), save)

    def action_tag(self) -> None:
        record = self._record_or_warn()
        if record is None:
            return

        def save(tags: list[str] | None) -> None:
            if tags is not None:
                self.write(lambda b: b.set_tags(record.id, tags),
                           lambda r: MemoriesChanged(r.id, f"#{r.id} tags: {' '.join(r.tags) or '(none)'}"))

        self.app.push_screen(TagDialog(record.id, record.tags), save)

    def action_pin(self) -> None:
        record = self._record_or_warn()
        if record is not None:
            self.write(lambda b: b.set_pinned(record.id, not record.pinned),
                       lambda r: MemoriesChanged(r.id, f"#{r.id} {'pinned' if r.pinned else 'unpinned'}"))

    def action_forget(self) -> None:
        record = self._record_or_warn()
        if record is None:
            return

        def chosen(mode: str | None) -> None:
            if mode in ("release", "purge"):
                verb = "Released" if mode == "release" else "Purged"
                self.write(lambda b: b.forget(record.id, mode),
                           lambda result: MemoriesChanged(None, f"{verb} #{record.id} ({result.op_id})",
                                                          gone=record.id))

        self.app.push_screen(ConfirmDialog(
            f"Forget #{record.id}?", one_line(record.text, 200),
            [("release", "Release (restorable)", "warning"), ("purge", "Purge for good", "error")],
        ), chosen)

    def action_copy(self) -> None:
        record = self._record_or_warn()
        if record is not None:
            self.app.copy_to_clipboard(record.text)
            self.notify(f"Copied #{record.id} ({len(record.text)} characters)")

    def action_open_source(self) -> None:
        record = self._record_or_warn()
        if record is None:
            return
        argv = source_command(record.source)
        if argv is None:
            self.notify(f"The source {record.source!r} is not a file here.", severity="warning")
            return
        run_external(self.app, argv)
