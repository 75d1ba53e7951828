"""The list of memories: a DataTable that holds only the pages loaded so far.

Rows are appended page by page as the cursor nears the end (the screen asks for the next page
on `NearEnd`), so a 100k-record db costs the first page at start-up, not the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable

from memcli.models import Record
from memcli.tui.format import local, one_line, source_label, type_label

FIXED = {"type": 11, "date": 10, "source": 14}
PADDING = 2 * 4 + 2  # cell padding of four columns and the scrollbar
NEAR_END = 40        # rows before the end at which the next page is asked for


class RecordTable(DataTable):
    # Home/End go to the first/last row (DataTable's own End scrolls sideways).
    BINDINGS = [Binding("home", "scroll_top", show=False), Binding("end", "scroll_bottom", show=False)]

    @dataclass
    class NearEnd(Message):
        rows: int

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self.records: list[Record] = []
        self._text_width = 0

    def on_mount(self) -> None:
        self._build_columns(self.app.size.width)

    def _build_columns(self, width: int) -> None:
        self._text_width = max(16, width - sum(FIXED.values()) - PADDING)
        self.add_column("type", width=FIXED["type"], key="type")
        self.add_column("date", width=FIXED["date"], key="date")
        self.add_column("memory", width=self._text_width, key="text")
        self.add_column("source", width=FIXED["source"], key="source")

    def _row(self, record: Record) -> tuple[Text, ...]:
        text = one_line(record.text, self._text_width)
        if record.tags:
            text = one_line(record.text + "  " + " ".join("#" + t for t in record.tags), self._text_width)
        return (Text(type_label(record)), Text(local(record.observed_at, minutes=False)), Text(text),
                Text(one_line(source_label(record.source), FIXED["source"])))

    def set_records(self, records: list[Record], keep: int | None = None) -> None:
        """Replace the rows; the cursor goes to record `keep` when it is there."""
        self.clear()
        self.records = []
        self.append_records(records)
        if keep is not None:
            self.select_record(keep)

    def append_records(self, records: list[Record]) -> None:
        self.records.extend(records)
        self.add_rows([self._row(r) for r in records])

    def select_record(self, record_id: int) -> bool:
        for index, record in enumerate(self.records):
            if record.id == record_id:
                self.move_cursor(row=index)
                return True
        return False

    def current_record(self) -> Record | None:
        row = self.cursor_row
        return self.records[row] if self.records and 0 <= row < len(self.records) else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.records) - NEAR_END:
            self.post_message(self.NearEnd(len(self.records)))

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self.records and new >= self.max_scroll_y - NEAR_END:  # the wheel scrolls without a cursor
            self.post_message(self.NearEnd(len(self.records)))

    def on_resize(self, event: Resize) -> None:
        # Only the text column stretches; rebuilding keeps public APIs and costs the loaded rows.
        if max(16, event.size.width - sum(FIXED.values()) - PADDING) == self._text_width:
            return
        row, records = self.cursor_row, self.records
        self.clear(columns=True)
        self._build_columns(event.size.width)
        self.records = []
        self.append_records(records)
        if records:
            self.move_cursor(row=min(row, len(records) - 1))
