"""Services: what mem does, independent of how it is asked (CLI, TUI, MCP).

Front ends reach the database only through here: `open_store()` and the `Store` it returns are
the handle they pass back to services; they never import `memcli.store` or `memcli.retrieve`
(tests/test_architecture.py checks it). The names are resolved on first use, so importing one
service (the spool check every command makes) does not import the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from memcli.store import Store
    from memcli.store import open_db as open_store
    from memcli.store.db import StoreBusy, no_waiting

__all__ = ["Store", "StoreBusy", "no_waiting", "open_store"]


def __getattr__(name: str) -> Any:
    if name in ("Store", "open_store"):
        from memcli import store

        return store.Store if name == "Store" else store.open_db
    if name in ("StoreBusy", "no_waiting"):
        from memcli.store import db

        return getattr(db, name)
    raise AttributeError(name)
