"""The main screen: search box, filter bar, status line and the paged list of memories."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import get_current_worker

from memcli.errors import MemError
from memcli.models import Record
from memcli.tui.actions import RECORD_BINDINGS, RecordActions
from memcli.tui.backend import PAGE, Query
from memcli.tui.messages import (
    ConsolidateDone,
    ConsolidateProgress,
    CountLoaded,
    LoadFailed,
    MemoriesChanged,
    PageLoaded,
    SearchDone,
    SourcesLoaded,
)
from memcli.tui.screens.modals import ConfirmDialog, TextDialog
from memcli.tui.widgets.filter_bar import FilterBar
from memcli.tui.widgets.record_table import RecordTable

DEBOUNCE = 0.25  # seconds of quiet typing before a search starts


class MainScreen(RecordActions, Screen):
    BINDINGS = [
        Binding("a", "add", "Add", id="mem.add"),
        *RECORD_BINDINGS,
        Binding("s", "sort", "Sort", id="mem.sort"),
        Binding("S", "stats", "Stats", id="mem.stats"),
        Binding("C", "consolidate", "Consolidate", id="mem.consolidate"),
        Binding("slash", "focus_search", "Search", id="mem.search", show=False),
        Binding("f", "focus_filters", "Filter", id="mem.filter", show=False),
        Binding("escape", "focus_list", "List", id="mem.list", show=False),
        Binding("r", "reload", "Reload", id="mem.reload", show=False),
    ]
    AUTO_FOCUS = "#records"

    def __init__(self) -> None:
        super().__init__()
        self.query_state = Query()
        self.generation = 0
        self.fetching = False
        self.exhausted = True
        self.total: int | None = None
        self.backlog = 0                   # memories without vectors, from the last search
        self.busy = ""                     # consolidation progress, shown in the status line
        self._debounce: Timer | None = None
        self._keep: int | None = None      # record to put the cursor on after a reload
        self.shown_notices: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Search as you type  (/ here, Esc to the list)", id="search", compact=True)
        yield FilterBar(id="filters")
        yield Static("", id="status")
        yield RecordTable(id="records")
        yield Footer(compact=True)

    @property
    def backend(self) -> Any:
        return self.app.backend

    @property
    def table(self) -> RecordTable:
        return self.query_one(RecordTable)

    def on_mount(self) -> None:
        self.reload()
        self.load_sources()

    def current_record(self) -> Record | None:
        return self.table.current_record()

    # --- loading: every query bumps the generation; stale answers are dropped --------------

    def reload(self, keep: int | None = None) -> None:
        self.generation += 1
        self.fetching = True
        self.total = None
        self._keep = keep if keep is not None else getattr(self.current_record(), "id", None)
        if self.query_state.text.strip():
            self.run_search(self.generation, self.query_state)
        else:
            self.load_page(self.generation, self.query_state, None)
            self.load_count(self.generation, self.query_state)
        self.show_status()

    @work(thread=True, exclusive=True, group="list")
    def load_page(self, generation: int, query: Query, after: tuple[str, int] | None) -> None:
        try:
            found = self.backend.page(query, after)
        except MemError as error:
            self.post_message(LoadFailed(generation, str(error)))
            return
        self.post_message(PageLoaded(generation, found, after is None, len(found) < PAGE))

    @work(thread=True, exclusive=True, group="count")
    def load_count(self, generation: int, query: Query) -> None:
        try:
            self.post_message(CountLoaded(generation, self.backend.count(query)))
        except MemError:
            pass  # load_page reports the same error

    @work(thread=True, exclusive=True, group="list")
    def run_search(self, generation: int, query: Query) -> None:
        worker = get_current_worker()
        try:
            hits = self.backend.search(query, wanted=lambda: not worker.is_cancelled)
        except MemError as error:
            self.post_message(LoadFailed(generation, str(error)))
            return
        if hits is not None and not worker.is_cancelled:
            self.post_message(SearchDone(generation, hits, self.backend.vector_backlog, list(self.backend.notices)))

    @work(thread=True, group="sources")
    def load_sources(self) -> None:
        self.post_message(SourcesLoaded(self.backend.sources()))

    def on_page_loaded(self, message: PageLoaded) -> None:
        if message.generation != self.generation:
            return
        if message.first:
            self.table.set_records(message.records, keep=self._keep)
        else:
            self.table.append_records(message.records)
        self.fetching = False
        self.exhausted = message.exhausted
        self.show_status()

    def on_count_loaded(self, message: CountLoaded) -> None:
        if message.generation == self.generation:
            self.total = message.total
            self.show_status()

    def on_search_done(self, message: SearchDone) -> None:
        if message.generation != self.generation:
            return
        self.table.set_records([r for r, _ in message.hits], keep=self._keep)
        self.fetching = False
        self.exhausted = True
        self.total = len(message.hits)
        self.backlog = message.backlog
        for notice in message.notices:
            if notice not in self.shown_notices:  # once per session, like the CLI's stderr note
                self.shown_notices.add(notice)
                self.notify(notice, severity="warning", timeout=6)
        self.show_status()

    def on_load_failed(self, message: LoadFailed) -> None:
        if message.generation == self.generation:
            self.fetching = False
            self.table.set_records([])
            self.notify(message.error, severity="error")
            self.show_status(message.error)

    def on_sources_loaded(self, message: SourcesLoaded) -> None:
        self.query_one(FilterBar).set_sources(message.sources)

    def on_record_table_near_end(self, message: RecordTable.NearEnd) -> None:
        if self.fetching or self.exhausted or not self.table.records:
            return
        last = self.table.records[-1]
        self.fetching = True
        self.load_page(self.generation, self.query_state, (last.observed_at, last.id))

    def show_status(self, error: str = "") -> None:
        query = self.query_state
        shown = len(self.table.records)
        if error:
            text = error
        elif query.text.strip():
            order = "by relevance" if query.sort == "relevance" else "newest first"
            hits = f"{shown:,} hit{'s' if shown != 1 else ''}"
            text = "searching…" if self.fetching else f"{hits} for “{query.text.strip()}” · {order}"
            if not shown and not self.fetching:
                text = f"No memories found for “{query.text.strip()}”"
            if self.backlog and not self.fetching:
                text += f" · embedding {self.backlog:,} in the background"
        elif self.fetching and not shown:
            text = "loading…"
        else:
            of = f" of {self.total:,}" if self.total is not None else ""
            text = f"{shown:,}{of} memories · newest first"
        self.query_one("#status", Static).update(f"{text}   {self.busy}".rstrip())

    # --- input: search as you type (debounced), filters on change ------------------------

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE, lambda: self.apply(text=event.value))

    @on(Input.Submitted, "#search")
    def search_submitted(self, event: Input.Submitted) -> None:
        self.action_focus_list()

    def on_filter_bar_changed(self, message: FilterBar.Changed) -> None:
        self.apply(**message.values)

    def apply(self, **changes: str) -> None:
        was_search = bool(self.query_state.text.strip())
        query = replace(self.query_state, **changes)
        if "text" in changes and bool(query.text.strip()) != was_search:
            # A new search starts by relevance; the plain list is always by date.
            query = replace(query, sort="relevance" if query.text.strip() else "date")
        if query != self.query_state:
            self.query_state = query
            self.refresh_bindings()
            self.reload()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        record = self.current_record()
        if record is not None and record.id:
            from memcli.tui.screens.detail import DetailScreen

            self.app.push_screen(DetailScreen(record.id))

    # --- actions -------------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_filters(self) -> None:
        self.query_one("#f-type").focus()

    def action_focus_list(self) -> None:
        self.table.focus()

    def action_reload(self) -> None:
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Sorting by relevance needs a search: off the footer (room for the rest at 80 columns).
        return bool(self.query_state.text.strip()) if action == "sort" else True

    def action_sort(self) -> None:
        self.apply(sort="date" if self.query_state.sort == "relevance" else "relevance")

    def action_stats(self) -> None:
        from memcli.tui.screens.stats import StatsScreen

        self.app.push_screen(StatsScreen())

    def action_add(self) -> None:
        def save(result: dict[str, Any] | None) -> None:
            if result is None:
                return
            self.write(lambda b: b.add(result["text"], result["type"], result["tags"]),
                       lambda done: MemoriesChanged(
                           done.record.id, f"Stored #{done.record.id}" if done.created
                           else f"Already stored as #{done.record.id}"))

        self.app.push_screen(TextDialog("New memory", with_type=True), save)

    def memories_changed(self, message: MemoriesChanged) -> None:
        self.reload(keep=message.select)

    # --- consolidation: a worker with its own connection, progress in the status line ------

    def action_consolidate(self) -> None:
        model = self.app.llm_model()

        def chosen(answer: str | None) -> None:
            if answer == "run":
                self.busy = "consolidating…"
                self.show_status()
                self.consolidate(self.app.llm_settings)

        how = f"with {model} (spends tokens)" if model else "zero-LLM stages only (no model configured)"
        self.app.push_screen(ConfirmDialog("Run consolidation?", how + "; undo with mem consolidate --undo",
                                           [("run", "Run", "primary")]), chosen)

    @work(thread=True, exclusive=True, group="consolidate")
    def consolidate(self, settings: Any) -> None:
        try:
            report = self.backend.consolidate(settings, lambda text: self.post_message(ConsolidateProgress(text)))
        except Exception as error:  # MemError (lock held), LLM failures: reported, never fatal
            self.post_message(ConsolidateDone(f"Consolidation failed: {error}", ok=False))
            return
        counts = ", ".join(f"{kind} {n}" for kind, n in report.counts().items()) or "nothing to do"
        self.post_message(ConsolidateDone(f"Run {report.run_id}: {counts}", ok=True))

    def on_consolidate_progress(self, message: ConsolidateProgress) -> None:
        self.busy = message.text
        self.show_status()

    def on_consolidate_done(self, message: ConsolidateDone) -> None:
        self.busy = ""
        self.notify(message.summary, severity="information" if message.ok else "error", timeout=8)
        self.reload()
