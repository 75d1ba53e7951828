"""Pick a SQLite binding that can load sqlite-vec.

Many Pythons (this project's CI included) ship a sqlite3 without `enable_load_extension`, or
one older than 3.43. Then we use sqlean.py (SQLite 3.50 with extension loading) or pysqlite3. Whichever is chosen is
also registered as `pysqlite3` before sqlite-utils is imported, because sqlite-utils catches the
exception classes of the module it imported itself; a mismatch breaks `alter=True` and friends.
"""

from __future__ import annotations

import sys
from types import ModuleType
from functools import lru_cache


MIN_SQLITE = (3, 43, 0)  # FTS5 contentless_delete, used by the search index


def _can_load_extensions(module: ModuleType) -> bool:
    return hasattr(module.Connection, "enable_load_extension") and module.sqlite_version_info >= MIN_SQLITE


@lru_cache(maxsize=1)
def sqlite_module() -> ModuleType:
    import sqlite3

    chosen: ModuleType = sqlite3
    if not _can_load_extensions(sqlite3):
        for name in ("sqlean", "pysqlite3.dbapi2"):
            try:
                module = __import__(name, fromlist=["connect"])
            except ImportError:
                continue
            if _can_load_extensions(module):
                chosen = module
                break
    _register_for_sqlite_utils(chosen)
    return chosen


def _register_for_sqlite_utils(module: ModuleType) -> None:
    if "sqlite_utils" in sys.modules:
        return
    dbapi2 = getattr(module, "dbapi2", module)
    sys.modules["pysqlite3"] = module
    sys.modules["pysqlite3.dbapi2"] = dbapi2
