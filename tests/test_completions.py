"""The checked-in completion scripts are what completions/generate.py writes, and they complete."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPLETIONS = ROOT / "completions"


def _generator():
    spec = importlib.util.spec_from_file_location("completions_generate", COMPLETIONS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checked_in_scripts_are_up_to_date(tmp_path):
    generator = _generator()
    generator.main([str(tmp_path)])
    for name in generator.SHELLS.values():
        assert (COMPLETIONS / name).read_text() == (tmp_path / name).read_text(), (
            f"completions/{name} is stale: run python completions/generate.py")


def _env() -> dict[str, str]:
    """`mem` from this Python's environment first on PATH (the console script pip installed)."""
    bindir = Path(sys.executable).parent
    if not (bindir / "mem").exists():
        pytest.skip("no mem console script next to this Python")
    return {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}


def test_bash_completes_a_command_name():
    script = (f"source {COMPLETIONS / 'mem.bash'}; COMP_WORDS=(mem se); COMP_CWORD=1; "
              'set -- mem se mem; _mem_completion "$@"; printf "%s\\n" "${COMPREPLY[@]}"')
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                          env=_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["search"]


def test_bash_completes_option_values():
    script = (f"source {COMPLETIONS / 'mem.bash'}; COMP_WORDS=(mem list --type sem); COMP_CWORD=3; "
              'set -- mem sem --type; _mem_completion "$@"; printf "%s\\n" "${COMPREPLY[@]}"')
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                          env=_env(), timeout=60)
    assert done.stdout.split() == ["semantic"], done.stderr


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_a_command_name():
    done = subprocess.run(["fish", "--no-config", "-c", f"source {COMPLETIONS / 'mem.fish'}; complete -C 'mem se'"],
                          capture_output=True, text=True, env=_env(), timeout=60)
    assert done.stdout.split("\t")[0] == "search", done.stderr
