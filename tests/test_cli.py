"""Help on every command, the version, and a start-up that imports only what it needs."""

from __future__ import annotations

import json

import pytest

from memcli import __version__
from memcli.cli import COMMANDS
from tests.conftest import run_mem


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


HEAVY = ["litellm", "textual", "mcp", "watchdog", "dateparser", "sqlite_utils", "onnxruntime", "numpy"]


def test_add_and_search_import_nothing_heavy():
    probe = (
        "import sys, json\n"
        "from memcli.cli import main\n"
        "sys.argv = ['mem'] + sys.argv[1:]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)\n"
    )
    import os
    import subprocess
    import sys

    for args in (["add", "a note"], ["add", "dated", "--at", "2024-01-01T10:00"], ["search", "note"]):
        done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, env=os.environ.copy())
        assert done.returncode == 0, done.stderr
        loaded = json.loads(done.stderr.decode().strip().splitlines()[-1])
        assert loaded == [] or (args[0] == "add" and args == ["add", "a note"] and loaded == ["sqlite_utils"]), (args, loaded)
