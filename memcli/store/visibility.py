"""What "current" means, said once for every query.

- a *head* is the newest version of a memory: not superseded, not ended (its validity is open);
- a *current* memory is a head in the `active` state: what search, ask, list, MCP and the TUI
  show by default;
- *live* memories are active in any version: `mem ask` shows superseded facts (marked) because
  they answer questions about the past; released and archived ones never;
- `valid_at(t)`: active, recorded by t, and valid at t (`--as-of`).

Views name which of these a read wants: "current" (default), "history" (live, any version) and
"all" (everything, released and archived included: `--all`, purge).
"""

from __future__ import annotations

from typing import Any, Literal

View = Literal["current", "history", "all"]
VIEWS: tuple[View, ...] = ("current", "history", "all")


def head(alias: str = "records") -> str:
    return f"{alias}.superseded_by IS NULL AND {alias}.valid_to IS NULL"


def live(alias: str = "records") -> str:
    return f"{alias}.state = 'active'"


def current(alias: str = "records") -> str:
    return f"{live(alias)} AND {head(alias)}"


def valid_at(alias: str, moment: str) -> tuple[str, list[Any]]:
    sql = (f"{live(alias)} AND {alias}.observed_at <= ? AND ({alias}.valid_from IS NULL OR {alias}.valid_from <= ?) "
           f"AND ({alias}.valid_to IS NULL OR {alias}.valid_to > ?)")
    return sql, [moment, moment, moment]


def view_sql(alias: str, view: View, as_of: str | None = None) -> tuple[str, list[Any]]:
    if as_of:
        return valid_at(alias, as_of)
    if view == "current":
        return current(alias), []
    if view == "history":
        return live(alias), []
    return "1", []
