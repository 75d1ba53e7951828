"""One memory in full: text, metadata, validity, and links to follow (versions, provenance,
derived records, neighbouring turns). Selecting a link opens that record; Esc comes back."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from memcli.errors import MemError
from memcli.models import Record
from memcli.tui.actions import RECORD_BINDINGS, RecordActions
from memcli.tui.backend import Detail
from memcli.tui.format import local, one_line, status_of
from memcli.tui.messages import DetailLoaded, MemoriesChanged


class DetailScreen(RecordActions, Screen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="mem.back"),
        *RECORD_BINDINGS,
    ]
    AUTO_FOCUS = "#detail-links"

    def __init__(self, record_id: int) -> None:
        super().__init__()
        self.record_id = record_id
        self.detail: Detail | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"#{self.record_id}", id="detail-head")
        with VerticalScroll(id="detail-body"):
            yield Static("loading…", id="detail-text")
            yield Static("", id="detail-meta")
        yield OptionList(id="detail-links")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load(self.record_id)

    def current_record(self) -> Record | None:
        return self.detail.record if self.detail else None

    @work(thread=True, exclusive=True, group="detail")
    def load(self, record_id: int) -> None:
        try:
            self.post_message(DetailLoaded(self.app.backend.detail(record_id)))
        except MemError as error:
            self.app.call_from_thread(self.app.notify, str(error), severity="error")

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        detail: Detail = message.detail
        if detail.record.id != self.record_id:
            return
        self.detail = detail
        record = detail.record
        pinned = " · pinned" if record.pinned else ""
        self.query_one("#detail-head", Static).update(
            Text(f"#{record.id} · {record.type} · {local(record.observed_at)} · {status_of(record)}{pinned}"))
        self.query_one("#detail-text", Static).update(Text(record.text))
        self.query_one("#detail-meta", Static).update(self._meta(record, detail.events))
        self._fill_links(detail)

    def _meta(self, record: Record, events: list[dict[str, Any]]) -> Table:
        table = Table.grid(padding=(0, 1))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(overflow="fold")
        rows = [
            ("source", record.source), ("ref", record.source_ref), ("session", record.session),
            ("speaker", record.speaker), ("tags", " ".join("#" + t for t in record.tags)),
            ("valid from", local(record.valid_from)), ("valid to", local(record.valid_to)),
            ("superseded by", f"#{record.superseded_by}" if record.superseded_by else ""),
            ("stored", local(record.created_at)), ("strength", f"{record.strength:.2f} · used {record.use_count}×"),
            ("changes", " · ".join(f"{e['action']} {local(e['at'], minutes=False)} ({e['actor']})"
                                   for e in events[-5:])),
        ]
        for label, value in rows:
            if value:
                table.add_row(label, Text(str(value)))
        return table

    def _fill_links(self, detail: Detail) -> None:
        links = self.query_one("#detail-links", OptionList)
        links.clear_options()
        options: list[Any] = []

        def section(title: str, entries: list[tuple[str, int | None, str]]) -> None:
            if not entries:
                return
            options.append(Option(Text(title, style="bold"), disabled=True))
            options.extend(Option(Text(label), id=f"{key}:{record_id}") for key, record_id, label in entries)

        width = max(20, self.app.size.width - 24)
        this = detail.record

        def version(v: dict[str, Any]) -> str:
            marker = "this" if v["id"] == this.id else "current" if v["current"] else "ended"
            since = local(v["valid_from"] or v["observed_at"], minutes=False)
            return f"#{v['id']} {marker} {since}  {one_line(v['text'], width)}"

        def linked(r: Record) -> str:
            return f"#{r.id} {r.type}  {one_line(r.text, width)}"

        def turn(offset: int, r: Record) -> str:
            who = f"{r.speaker}: " if r.speaker else ""
            return (f"{offset:+d} " if offset else " ▸ ") + who + one_line(r.text, width)

        turns = sorted([*detail.neighbours, (0, this)] if detail.neighbours else [], key=lambda t: t[0])
        section("History (oldest first)", [("v", v["id"], version(v)) for v in detail.versions]
                if len(detail.versions) > 1 else [])
        section("Derived from", [("f", r.id, linked(r)) for r in detail.sources])
        section("Derived into", [("i", r.id, linked(r)) for r in detail.derived])
        section("Session", [("n", r.id, turn(offset, r)) for offset, r in turns])
        if not options:
            options.append(Option(Text("No versions, provenance or session turns.", style="dim"), disabled=True))
        links.add_options(options)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        target = int((event.option.id or "0").split(":")[1])
        if target != self.record_id:
            self.app.push_screen(DetailScreen(target))

    def action_back(self) -> None:
        self.dismiss()

    def memories_changed(self, message: MemoriesChanged) -> None:
        if message.gone == self.record_id and message.select is not None:
            self.record_id = message.select      # edited: follow the new version
        elif message.gone == self.record_id and self.app.screen is self:
            self.dismiss()                       # released or purged here: back to the list
            return
        self.load(self.record_id)
