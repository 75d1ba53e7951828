"""Counts by type, source and month, the last consolidation run and the tokens spent."""

from __future__ import annotations

from typing import Any, cast

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from memcli.tui.format import local, source_label
from memcli.tui.messages import StatsLoaded

MONTHS = 24      # the bar chart shows the latest months
BAR = 40         # widest bar, in cells
TOP_SOURCES = 8


def counts_table(title: str, counts: dict[str, int], limit: int | None = None) -> Table:
    table = Table(title=title, title_justify="left", box=None, show_header=False, pad_edge=False)
    table.add_column(no_wrap=True, max_width=24)
    table.add_column(justify="right")
    items = list(counts.items())
    for name, n in items[:limit]:
        table.add_row(Text(name), f"{n:,}")
    if limit is not None and len(items) > limit:
        table.add_row(Text(f"({len(items) - limit} more)", style="dim"), f"{sum(n for _, n in items[limit:]):,}")
    return table


def month_chart(months: list[tuple[str, int]]) -> Table:
    shown = months[-MONTHS:]
    top = max((n for _, n in shown), default=0)
    table = Table(title=f"By month (latest {MONTHS})", title_justify="left", box=None, show_header=False,
                  pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(justify="right")
    for month, n in shown:
        table.add_row(month, "█" * max(1, round(BAR * n / top)) if top else "", f"{n:,}")
    return table


def run_line(run: dict[str, Any] | None) -> Text:
    if run is None:
        return Text("Last consolidation: none yet (C on the list runs one)")
    counts = ", ".join(f"{k} {v}" for k, v in run["counts"].items()) or "no changes"
    return Text(f"Last consolidation: {run['id']} · {run['status']} · {local(run['started_at'])} · "
                f"{run['model'] or 'zero-LLM'} · {counts}")


def llm_line(llm: dict[str, Any] | None) -> Text:
    if not llm or not llm.get("calls"):
        return Text("LLM: no calls yet")
    cost = f" · ${llm['cost_usd']:.4f}" if llm.get("cost_usd") is not None else ""
    return Text(f"LLM: {llm['calls']:,} calls ({llm['failed']} failed) · {llm['prompt_tokens']:,} prompt + "
                f"{llm['completion_tokens']:,} completion tokens{cost}")


class StatsScreen(Screen):
    BINDINGS = [Binding("escape", "back", "Back", id="mem.back"), Binding("r", "reload", "Reload", id="mem.reload")]

    def compose(self) -> ComposeResult:
        yield Static("Memory stats", id="stats-head")
        with VerticalScroll(id="stats-body"):
            yield Static("loading…", id="stats-total")
            with Horizontal(id="stats-counts"):
                yield Static("", id="stats-types")
                yield Static("", id="stats-sources")
            yield Static("", id="stats-months")
            yield Static("", id="stats-run")
            yield Static("", id="stats-llm")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="stats")
    def load(self) -> None:
        self.post_message(StatsLoaded(cast(Any, self.app).backend.stats()))

    def on_stats_loaded(self, message: StatsLoaded) -> None:
        data = message.data
        sources = {source_label(name): n for name, n in data["by_source"].items()}
        self.query_one("#stats-total", Static).update(
            Text(f"{data['records']:,} memories (all states and versions) · {data['events']:,} events"))
        self.query_one("#stats-types", Static).update(counts_table("By type", data["by_type"]))
        self.query_one("#stats-sources", Static).update(counts_table("By source", sources, TOP_SOURCES))
        self.query_one("#stats-months", Static).update(month_chart(data["by_month"]))
        self.query_one("#stats-run", Static).update(run_line(data.get("last_run")))
        self.query_one("#stats-llm", Static).update(llm_line(data.get("llm")))

    def action_back(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self.load()
