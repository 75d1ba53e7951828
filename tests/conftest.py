"""Every test runs against a real SQLite file in its own MEM_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from memcli.cli import app


@pytest.fixture(autouse=True)
def mem_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "memhome"
    monkeypatch.setenv("MEM_HOME", str(home))
    for var in ("MEM_DB", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "OPENAI_API_KEY", "OPENAI_API_BASE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MEM_LOAD_PLUGINS", "")
    # Full-text search unless a test turns vectors on: the local embedder costs seconds per test.
    monkeypatch.setenv("MEM_EMBED_MODEL", "none")
    return home


class Mem:
    """Runs `mem` in-process through typer's CliRunner (stdout and stderr kept apart)."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | bytes | None = None, code: int = 0) -> Any:
        result = self.runner.invoke(app, list(args), input=input, catch_exceptions=False)
        assert result.exit_code == code, (
            f"mem {' '.join(args)} exited {result.exit_code}, wanted {code}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}"
        )
        return result

    def json(self, *args: str, input: str | None = None) -> Any:
        return json.loads(self(*args, "--json", input=input).stdout)


@pytest.fixture
def mem() -> Mem:
    return Mem()


def run_mem(*args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`mem` in a real subprocess, for what CliRunner cannot show (imports, concurrency)."""
    return subprocess.run(
        [sys.executable, "-m", "memcli", *args], input=input, capture_output=True,
        env={**os.environ, **(env or {})}, timeout=120,
    )


@pytest.fixture
def stub() -> Any:
    """An OpenAI-compatible server on 127.0.0.1 (tests/llm_stub.py), stopped after the test."""
    from tests.llm_stub import StubServer

    server = StubServer().start()
    yield server
    server.stop()


@pytest.fixture
def llm(mem: Mem, stub: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """mem configured for the stub: `openai/stub-model` at the stub's api_base, reached through litellm."""
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setattr("memcli.llm.client.BACKOFF_BASE", 0.01)
    mem("config", "set", "llm.model", "openai/stub-model")
    mem("config", "set", "llm.api_base", stub.api_base)
    return stub
