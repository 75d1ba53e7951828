"""The README stays true: every command is documented, and its two set-up commands are there."""

from __future__ import annotations

import re
from pathlib import Path

from memcli.cli import COMMANDS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_command_appears_in_the_readme():
    missing = [name for name in COMMANDS if not re.search(rf"\bmem {re.escape(name)}\b", README)]
    assert missing == []


def test_the_two_setup_commands():
    blocks = re.findall(r"```sh\n(.*?)\n```", README.split("## Where things live")[0], re.S)
    install, tests = blocks[0], blocks[1]
    assert "pip install ." in install and "mem add" in install and "mem ask" in install
    assert "<!-- test-command -->" in README and "pytest" in tests
