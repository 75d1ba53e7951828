"""Everything mem creates is 0600 (files) / 0700 (directories), whatever the umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def loose_mem(*args: str, env: dict[str, str] | None = None, code: int = 0) -> subprocess.CompletedProcess:
    """`mem ARGS` in a subprocess started under umask 000 (a plain open() would make 0666 files)."""
    done = subprocess.run([sys.executable, "-m", "memcli", *args], capture_output=True, timeout=120,
                          env={**os.environ, **(env or {})}, preexec_fn=lambda: os.umask(0))
    assert done.returncode == code, done.stderr.decode()
    return done


def loose_python(code: str) -> None:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, env=os.environ.copy(),
                          preexec_fn=lambda: os.umask(0))
    assert done.returncode == 0, done.stderr.decode()


def modes_under(root: Path) -> dict[str, str]:
    """Every path under root (root included) that is more open than private, with its mode."""
    found = {}
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        want = 0o700 if path.is_dir() else 0o600
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & ~want:
            found[str(path.relative_to(root.parent))] = oct(mode)
    return found


def test_first_command_hook_install_makes_a_private_home(mem_home, tmp_path):
    home = tmp_path / "user"
    home.mkdir()
    loose_mem("hook", "install", "bash", env={"HOME": str(home), "MEM_HOME": str(tmp_path / "a" / "b" / "memhome")})
    assert modes_under(tmp_path / "a") == {}


def test_every_file_mem_makes_is_private_under_umask_000(mem_home, tmp_path):
    env = {"MEM_LOAD_PLUGINS": "memcli-no-such-plugin", "HOME": str(tmp_path)}  # scans entry points: writes the cache
    loose_mem("config", "set", "llm.model", "ollama/llama3.2", env=env)
    loose_mem("add", "my dentist is Dr Lee", env=env)
    loose_mem("plugins", env=env)
    loose_mem("hook", "pause", env=env)
    loose_mem("export", "-o", str(mem_home / "backup.jsonl"), env=env)
    loose_mem("export", "--format", "markdown", "-o", str(mem_home / "notes"), env=env)
    # the background embedder's lock and log, without starting it
    loose_python("import subprocess\nsubprocess.Popen = lambda *a, **k: None\n"
                 "from memcli.store import open_db\nfrom memcli.services import embedding\n"
                 "store = open_db()\nassert embedding.spawn_background(store)\n")
    names = {p.name for p in mem_home.rglob("*")}
    assert {"config.toml", "mem.db", "plugins-cache.json", "backup.jsonl", "mem.db.embed.lock",
            "mem.db.embed.log"} <= names, names
    assert any(p.suffix == ".md" for p in (mem_home / "notes").rglob("*"))  # one note per memory, by date
    assert modes_under(mem_home) == {}


def test_an_older_loose_home_is_closed(mem, mem_home):
    mem_home.mkdir(mode=0o755)
    mem_home.chmod(0o755)
    mem("add", "x")
    assert stat.S_IMODE(mem_home.stat().st_mode) == 0o700


def test_an_existing_rc_file_keeps_its_mode(mem, mem_home, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    rc = tmp_path / ".bashrc"
    rc.write_text("alias ll='ls -l'\n")
    rc.chmod(0o640)
    mem("hook", "install", "bash")
    assert stat.S_IMODE(rc.stat().st_mode) == 0o640 and "mem-hook" in rc.read_text()


@pytest.mark.parametrize("shell, rc", [("fish", ".config/fish/config.fish")])
def test_directories_made_for_an_rc_file_are_private(mem_home, tmp_path, shell, rc):
    loose_mem("hook", "install", shell, env={"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / ".config")})
    assert (tmp_path / rc).exists()  # the rc file itself is the user's: the usual 0644
    assert {p: m for p, m in modes_under(tmp_path / ".config").items() if not p.endswith(rc.rsplit("/")[-1])} == {}
