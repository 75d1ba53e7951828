"""SQLite storage: connection, schema migrations and the queries every service uses."""

from memcli.store.db import Store, open_db

__all__ = ["Store", "open_db"]
