"""Help on every command, the version, and a start-up that imports only what it needs."""

from __future__ import annotations

import json

import pytest

from memcli import __version__
from memcli.cli import COMMANDS


def test_version(mem):
    assert mem("--version").stdout.strip() == f"mem {__version__}"


def test_root_help_lists_every_command(mem):
    out = mem("--help").stdout
    for name in COMMANDS:
        assert name in out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(mem, name):
    out = mem(name, "--help").stdout
    assert "Example:" in out or "Commands:" in out, out


WRITE_PATH_FORBIDDEN = ["litellm", "textual", "mcp", "watchdog", "dateparser", "sqlite_utils", "onnxruntime", "numpy"]
SEARCH_FORBIDDEN = ["litellm", "textual", "mcp", "watchdog", "dateparser", "sqlite_utils"]
PROBE = (
    "import sys, json\n"
    "from memcli.cli import main\n"
    "sys.argv = ['mem'] + sys.argv[1:]\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
    "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
)


def modules_loaded_by(*args: str) -> set[str]:
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.decode().strip().splitlines()[-1]))


# `mem add` with plain arguments does not even load the CLI framework (cli/fast.py).
ADD_FORBIDDEN = [*WRITE_PATH_FORBIDDEN, "typer", "click", "rich"]


@pytest.mark.parametrize("args, forbidden", [
    (["add", "a note"], ADD_FORBIDDEN),
    (["add", "dated", "--at", "2024-01-01T10:00", "--tag", "x", "--json"], ADD_FORBIDDEN),
    (["search", "note"], [*SEARCH_FORBIDDEN, "typer", "click"]),  # plain words and -k: cli/fast.py too
    (["search", "note", "-k", "3", "--json"], [*SEARCH_FORBIDDEN, "typer", "click"]),
    (["search", "note", "--type", "semantic"], SEARCH_FORBIDDEN),
    (["list"], WRITE_PATH_FORBIDDEN),
])
def test_common_commands_import_nothing_heavy(mem, args, forbidden):
    mem("add", "warm up")  # the schema exists: migrations are not on the measured path
    loaded = modules_loaded_by(*args)
    assert [name for name in forbidden if name in loaded] == []
