"""Tab completion: the shipped scripts are what completions/generate.py writes, they complete
commands and option values in real shells (one `mem` process per TAB), and `mem completion
install` puts them where each shell looks, so that a TAB in a new interactive shell completes."""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from memcli.cli import COMMANDS
from memcli.config import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "memcli" / "cli" / "completions"
needs = {shell: pytest.mark.skipif(shutil.which(shell) is None, reason=f"{shell} is not installed")
         for shell in ("bash", "zsh", "fish")}


def _generator():
    spec = importlib.util.spec_from_file_location("completions_generate", ROOT / "completions" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_scripts_are_up_to_date(tmp_path):
    generator = _generator()
    generator.main([str(tmp_path)])
    for name in generator.SHELLS.values():
        assert (SHIPPED / name).read_text() == (tmp_path / name).read_text(), (
            f"memcli/cli/completions/{name} is stale: run python completions/generate.py")


def test_scripts_are_package_data():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["memcli"]
    for name in _generator().SHELLS.values():
        assert any(fnmatch.fnmatch(f"cli/completions/{name}", glob) for glob in globs), name


def test_completion_show_prints_the_shipped_script(mem):
    for shell in ("bash", "zsh", "fish"):
        assert mem("completion", "show", shell).stdout == (SHIPPED / f"mem.{shell}").read_text()
    assert "unknown shell 'tcsh'" in mem("completion", "show", "tcsh", code=2).stderr


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """`mem` from this Python's environment first on PATH, behind a wrapper that counts its runs."""
    bindir = Path(sys.executable).parent
    if not (bindir / "mem").exists():
        pytest.skip("no mem console script next to this Python")
    wrapper = tmp_path / "bin"
    wrapper.mkdir(exist_ok=True)
    (wrapper / "mem").write_text(f'#!/bin/sh\necho run >> "{tmp_path}/runs"\nexec "{bindir}/mem" "$@"\n')
    (wrapper / "mem").chmod(0o755)
    return {**os.environ, "PATH": f"{wrapper}{os.pathsep}{bindir}{os.pathsep}{os.environ.get('PATH', '')}", **extra}


def _runs(tmp_path: Path) -> int:
    runs = tmp_path / "runs"
    count = len(runs.read_text().splitlines()) if runs.exists() else 0
    runs.unlink(missing_ok=True)
    return count


def bash_complete(line: str, env: dict[str, str]) -> list[str]:
    words = line.split(" ")
    quoted = " ".join(f"'{w}'" for w in words)
    script = (f"source {SHIPPED / 'mem.bash'}; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
              f"_mem_completion mem '{words[-1]}' '{words[-2]}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def fish_complete(line: str, env: dict[str, str]) -> list[str]:
    done = subprocess.run(["fish", "--no-config", "-c", f"source {SHIPPED / 'mem.fish'}; complete -C '{line}'"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return [row.split("\t")[0] for row in done.stdout.splitlines()]


def zsh_complete(line: str, env: dict[str, str], tmp_path: Path) -> list[str]:
    """The script autoloaded from $fpath as `_mem` (as `mem completion install zsh` sets it up),
    called with the words zsh's completion system gives it; `_arguments` shows what it is handed."""
    site = tmp_path / "site-functions"
    site.mkdir(exist_ok=True)
    shutil.copy(SHIPPED / "mem.zsh", site / "_mem")
    words = line.split(" ")
    quoted = " ".join(f"'{w}'" for w in words)
    script = (f"fpath=({site} $fpath); autoload -Uz _mem; _arguments() {{ print -r -- \"$1\" }}; "
              f"_files() {{ print -r -- FILES }}; words=({quoted}); CURRENT={len(words)}; _mem")
    done = subprocess.run(["zsh", "-f", "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    out = done.stdout.strip()
    if out == "FILES":
        return ["FILES"]
    assert out.startswith("*: :(("), out
    return re.findall(r'"([^"]*)"(?::"[^"]*")?', out[len("*: :(("):-2])  # "value":"help" ...


KEYS = sorted(key for key in SETTINGS if key.startswith("llm."))
CASES = [
    ("mem se", ["search"]),
    ("mem list --type sem", ["semantic"]),
    ("mem add --type ", ["episodic", "procedural", "semantic"]),
    ("mem search x -t pro", ["procedural"]),
    ("mem hook install ", ["bash", "fish", "zsh"]),
    ("mem hook print z", ["zsh"]),
    ("mem completion install f", ["fish"]),
    ("mem config set llm.", KEYS),
    ("mem ingest --format chat", ["chatgpt"]),
    ("mem export --format ", ["jsonl", "markdown"]),
]


@needs["bash"]
@pytest.mark.parametrize("line, wanted", CASES)
def test_bash_completes(line, wanted, tmp_path):
    assert sorted(bash_complete(line, _env(tmp_path))) == wanted
    assert _runs(tmp_path) == 1


@needs["fish"]
@pytest.mark.parametrize("line, wanted", CASES)
def test_fish_completes_with_one_mem_per_tab(line, wanted, tmp_path):
    """typer's fish script ran mem twice per TAB (is there anything? then: what?)."""
    assert sorted(fish_complete(line, _env(tmp_path))) == wanted
    assert _runs(tmp_path) == 1


@needs["zsh"]
@pytest.mark.parametrize("line, wanted", CASES)
def test_zsh_completes_when_autoloaded_from_fpath(line, wanted, tmp_path):
    assert sorted(zsh_complete(line, _env(tmp_path), tmp_path)) == wanted
    assert _runs(tmp_path) == 1


def test_every_command_completes_with_its_help_importing_neither_it_nor_rich(tmp_path):
    env = _env(tmp_path, _MEM_COMPLETE="complete_fish", _TYPER_COMPLETE_FISH_ACTION="get-args",
               _TYPER_COMPLETE_ARGS="mem ")
    probe = ("import sys\nfrom memcli.cli import main\nsys.argv = ['mem']\ntry:\n    main()\nexcept SystemExit:\n"
             "    pass\nprint(sorted(m for m in sys.modules if m.startswith(('memcli.cli.', 'rich'))), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    rows = dict(line.split("\t", 1) for line in done.stdout.splitlines())
    assert rows == {name: help_text for name, (_, help_text) in COMMANDS.items()}
    loaded = eval(done.stderr.strip().splitlines()[-1])
    assert not [module for module, _ in COMMANDS.values() if module in loaded and module != "memcli.cli.completion"]
    assert not [module for module in loaded if module.startswith("rich")]  # typer renders help through rich


@needs["fish"]
def test_fish_falls_back_to_files_where_mem_has_no_candidates(tmp_path):
    (tmp_path / "notes-folder").mkdir()
    env = _env(tmp_path)
    done = subprocess.run(["fish", "--no-config", "-c", f"cd {tmp_path}; source {SHIPPED / 'mem.fish'}; "
                           "complete -C 'mem ingest notes-'"], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.split() == ["notes-folder/"], done.stderr


PLUGIN = """
    from pathlib import Path
    from memcli.hookspecs import hookimpl

    class Reader:
        name = "fakechat"
        def sniff(self, path, head):
            return False
        def read(self, path):
            return iter(())

    @hookimpl
    def register_importers(register):
        register(Reader())
"""


@needs["bash"]
def test_plugin_formats_complete(tmp_path, monkeypatch):
    monkeypatch.delenv("MEM_LOAD_PLUGINS")
    site = tmp_path / "site"
    info = site / "fakechat-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakechat\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[memcli]\nfakechat = fakechat_plugin\n")
    (site / "fakechat_plugin.py").write_text(textwrap.dedent(PLUGIN))
    assert bash_complete("mem ingest --format fake", _env(tmp_path, PYTHONPATH=str(site))) == ["fakechat"]


# --- mem completion install, then a TAB in a new interactive shell ------------------------------

@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "BASH_COMPLETION_USER_DIR", "ZDOTDIR"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.mark.parametrize("shell, where", [
    ("bash", ".local/share/bash-completion/completions/mem"),
    ("zsh", ".local/share/zsh/site-functions/_mem"),
    ("fish", ".config/fish/completions/mem.fish"),
])
def test_install_writes_the_script_where_the_shell_looks(mem, home, shell, where):
    data = mem.json("completion", "install", shell)
    assert data["path"] == str(home / where) and data["action"] == "installed"
    assert (home / where).read_text() == (SHIPPED / f"mem.{shell}").read_text()
    assert mem.json("completion", "install", shell)["action"] == "unchanged"
    if shell == "zsh":
        assert data["hint"] == "add to ~/.zshrc, before compinit: fpath=(~/.local/share/zsh/site-functions $fpath)"
        (home / ".zshrc").write_text("fpath=(~/.local/share/zsh/site-functions $fpath)\nautoload -U compinit && compinit\n")
        assert mem.json("completion", "install", "zsh")["hint"] is None  # already on fpath: nothing to add


def test_install_detects_the_shell_and_honours_xdg(mem, home, monkeypatch):
    monkeypatch.setenv("SHELL", "/usr/bin/fish")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "conf"))
    out = mem("completion", "install").stdout
    assert out.startswith(f"fish: completion installed in {home / 'conf/fish/completions/mem.fish'}")
    monkeypatch.setenv("SHELL", "/bin/tcsh")
    assert "name it: mem completion install bash|zsh|fish" in mem("completion", "install", code=2).stderr


RC = {
    "bash": ("{home}/.bashrc", "PS1='$ '\nsource /usr/share/bash-completion/bash_completion\n"),
    "zsh": ("{home}/.zshrc", "PS1='$ '\nfpath=(~/.local/share/zsh/site-functions $fpath)\n"
                             "autoload -U compinit && compinit -u\n"),
    "fish": ("{home}/.config/fish/config.fish", "function fish_prompt; echo -n '$ '; end\n"
                                                "function fish_greeting; end\n"),
}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_tab_completes_in_a_new_interactive_shell_after_install(mem, home, tmp_path, shell):
    from tests.test_hook_shells import Shell

    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    if shell == "bash" and not Path("/usr/share/bash-completion/bash_completion").exists():
        pytest.skip("bash-completion is not installed")
    mem("completion", "install", shell)
    rc_name, rc_text = RC[shell]
    rc = Path(rc_name.format(home=home))
    rc.parent.mkdir(parents=True, exist_ok=True)
    rc.write_text(rc_text)
    env = {key: value for key, value in _env(tmp_path).items() if key in ("PATH", "MEM_HOME", "MEM_LOAD_PLUGINS")}
    session = Shell(shell, {**env, "HOME": str(home), "TERM": "xterm", "LANG": "C.UTF-8"}, home)
    try:
        os.write(session.fd, b"mem list --type sem\t")
        session.read_until(b"semantic")
        os.write(session.fd, b"\x15")  # ^U: leave the line empty for exit
    finally:
        session.close()
