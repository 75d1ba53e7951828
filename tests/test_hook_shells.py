"""The hook scripts in real interactive shells (bash, zsh, fish) driven through a pty.

Each test gets a temp HOME (rc files) and MEM_HOME (spool, db). Commands are sent as bracketed
pastes so that tabs and newlines reach the shell literally; after each one a space-prefixed
sentinel (never logged) whose output differs from its text tells that the shell is done.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import termios
import time
from pathlib import Path

import pytest

from memcli.shell import install as hooks
from tests.conftest import run_mem

SHELL_ARGV = {"bash": ["bash", "-i"], "zsh": ["zsh", "-i"], "fish": ["fish", "-i"]}
PROMPT_SETUP = {
    "bash": "PS1='$ '\nHISTFILE=/dev/null\n",
    "zsh": "PS1='$ '\n",
    "fish": "function fish_prompt; echo -n '$ '; end\nfunction fish_greeting; end\n",
}


def sentinel(shell: str, n: int) -> tuple[bytes, bytes]:
    """A command (leading space: not logged) and the output that proves it ran."""
    if shell == "fish":
        return f" echo SYNC_(math {n} + 1000)".encode(), f"SYNC_{n + 1000}".encode()
    return f" echo SYNC_$(({n}+1000))".encode(), f"SYNC_{n + 1000}".encode()


class Shell:
    """An interactive shell on a pty."""

    def __init__(self, shell: str, env: dict[str, str], cwd: Path) -> None:
        self.shell = shell
        self.output = b""
        self.count = 0
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child
            os.chdir(cwd)
            os.execvpe(SHELL_ARGV[shell][0], SHELL_ARGV[shell], env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.sync()

    def read_until(self, token: bytes, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        start = len(self.output)
        while token not in self.output[start - 200 if start > 200 else 0:]:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.shell}: no {token!r} in output:\n{self.output[-2000:]!r}")
            ready, _, _ = select.select([self.fd], [], [], min(remaining, 0.2))
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"{self.shell} exited:\n{self.output[-2000:]!r}")
                self.output += chunk

    def send(self, command: bytes) -> None:
        os.write(self.fd, b"\x1b[200~" + command + b"\x1b[201~\r")

    def sync(self) -> None:
        self.count += 1
        command, token = sentinel(self.shell, self.count)
        self.send(command)
        self.read_until(token)

    def run(self, command: bytes) -> None:
        self.send(command)
        self.sync()

    def close(self) -> None:
        try:
            os.write(self.fd, b"exit\r")
        except OSError:
            pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                break
            try:
                select.select([self.fd], [], [], 0.1) and os.read(self.fd, 65536)
            except OSError:
                pass
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def shell_env(home: Path, mem_home: Path) -> dict[str, str]:
    return {"HOME": str(home), "MEM_HOME": str(mem_home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "TERM": "xterm", "LANG": "C.UTF-8", "SHELL": "/bin/sh", "XDG_CONFIG_HOME": str(home / ".config")}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("ZDOTDIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    return home


def start_shell(shell: str, home: Path, mem_home: Path, prelude: str = "") -> Shell:
    if not shutil.which(shell):
        pytest.skip(f"{shell} is not installed")
    rc = hooks.rc_path(shell)
    rc.parent.mkdir(parents=True, exist_ok=True)
    rc.write_text(PROMPT_SETUP[shell] + prelude)
    assert run_mem("hook", "install", shell).returncode == 0
    assert hooks.installed_line(shell)
    return Shell(shell, shell_env(home, mem_home), home)


def shell_records(mem) -> list[dict]:
    return list(reversed(mem.json("list", "--source", "shell", "--limit", "1000")))


NON_UTF8 = b"echo caf\xe9 \xff"
SESSION = [
    b"echo 'it''s \"quoted\"\tand tabbed'",
    b"echo 'first line\nsecond line'",
    b" echo private-space-command",
    NON_UTF8,
    b"(exit 3)",
    b"sleep 0.2",
]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_commands_become_records(shell, home, mem_home, mem):
    session = list(SESSION)
    if shell == "fish":  # no '' inside quotes, no ( ) subshell; a pasted TAB is dropped by fish's editor
        session[0] = session[0].replace(b"it''s", b"it\\'s").replace(b"\t", b" \\t ")
        session[4] = b"sh -c 'exit 3'"
        session[3] = "echo café ☕".encode()  # fish's editor drops bytes that are not UTF-8 as they are typed
    sh = start_shell(shell, home, mem_home)
    try:
        for command in session:
            sh.run(command)
    finally:
        sh.close()
    result = run_mem("hook", "ingest", "--json")
    assert result.returncode == 0, result.stderr
    records = shell_records(mem)
    if shell == "fish":  # fish trims the leading space before its events: see the caveat in mem.fish
        records = [r for r in records if "SYNC_" not in r["text"] and "private-space" not in r["text"]
                   and r["text"] != "exit"]
    texts = [r["text"] for r in records]
    expected = [c.decode("utf-8", "backslashreplace") for c in session if not c.startswith(b" ")]
    assert texts == expected
    assert not any("private-space-command" in t for t in texts)
    by_text = {r["text"]: r for r in records}
    failing = by_text[expected[3]]
    assert failing["metadata"]["exit_code"] == 3
    assert by_text[expected[0]]["metadata"]["exit_code"] == 0
    assert by_text["sleep 0.2"]["metadata"]["duration_ms"] >= 190
    assert by_text[expected[0]]["metadata"]["duration_ms"] < 5000
    if shell != "fish":
        import base64

        raw = by_text[NON_UTF8.decode("utf-8", "backslashreplace")]
        assert base64.b64decode(raw["metadata"]["command_b64"]) == NON_UTF8
    for record in records:
        meta = record["metadata"]
        assert meta["cwd"] == str(home)
        assert meta["shell"] == shell
        assert record["session"] and record["session"] == records[0]["session"]
        assert meta["hostname"]
        assert record["observed_at"].startswith(time.strftime("%Y-", time.gmtime()))


def test_bash_keeps_existing_prompt_command_and_status(home, mem_home, mem, tmp_path):
    marker = tmp_path / "pc.log"
    prelude = f"PROMPT_COMMAND='echo \"pc $?\" >> {marker}'\ntrap 'mydebug=1' DEBUG\n"
    sh = start_shell("bash", home, mem_home, prelude)
    try:
        sh.run(b"(exit 7)")
        sh.run(b"echo dbg=$mydebug")
        sh.run(b"printf '%s\\n' \"$_\"")
    finally:
        sh.close()
    assert "pc 7" in marker.read_text()  # the user's PROMPT_COMMAND still runs and sees the status
    assert b"dbg=1" in sh.output  # the user's DEBUG trap still runs
    run_mem("hook", "ingest")
    records = shell_records(mem)
    assert [r["text"] for r in records] == ["(exit 7)", "echo dbg=$mydebug", "printf '%s\\n' \"$_\""]
    assert records[0]["metadata"]["exit_code"] == 7


def test_bash_prompt_command_array(home, mem_home, mem, tmp_path):
    marker = tmp_path / "pc.log"
    prelude = f"PROMPT_COMMAND=('echo one >> {marker}' 'echo two >> {marker}')\n"
    sh = start_shell("bash", home, mem_home, prelude)
    try:
        sh.run(b"echo hello")
        sh.run(b"true")
    finally:
        sh.close()
    assert marker.read_text().count("one") >= 2 and marker.read_text().count("two") >= 2
    run_mem("hook", "ingest")
    assert [r["text"] for r in shell_records(mem)] == ["echo hello", "true"]


def test_bash_preexec_present_uses_its_arrays(home, mem_home):
    """With bash-preexec loaded, the script registers functions instead of its own trap."""
    if not shutil.which("bash"):
        pytest.skip("bash is not installed")
    import subprocess

    script = hooks.script_path("bash")
    probe = (f"bash_preexec_imported=defined; preexec_functions=(); precmd_functions=(); . {script}; "
             "echo \"${preexec_functions[*]}|${precmd_functions[*]}|$(trap -p DEBUG)|$PROMPT_COMMAND\"")
    out = subprocess.run(["bash", "--norc", "-i", "-c", probe], capture_output=True, text=True,
                         env=shell_env(home, mem_home), timeout=10).stdout.strip()
    assert out == "__mem_bp_preexec|__mem_bp_precmd||"


def test_paused_shell_logs_nothing(home, mem_home, mem):
    sh = start_shell("bash", home, mem_home)
    try:
        assert run_mem("hook", "pause").returncode == 0
        sh.run(b"echo while-paused")
        assert run_mem("hook", "resume").returncode == 0
        sh.run(b"echo after-resume")
    finally:
        sh.close()
    run_mem("hook", "ingest")
    assert [r["text"] for r in shell_records(mem)] == ["echo after-resume"]


SECRET_COMMANDS = [
    b"export GITHUB_TOKEN=ghp_1234567890abcdefghijklmnopqrstuvwxyZ",
    b"curl -H 'Authorization: Bearer abcdefghijklmnop1234' https://api.example.com",
    b"mysql -u root -p'S3cretPass!' db",
    b"git clone https://alice:hunter2pass@example.com/repo.git",
    b"echo sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD",
    b"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY true",
]


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_secrets_through_the_hook_are_never_stored(shell, home, mem_home, mem):
    sh = start_shell(shell, home, mem_home)
    try:
        for command in SECRET_COMMANDS:
            sh.send(command)
        sh.sync()
    finally:
        sh.close()
    assert run_mem("hook", "ingest").returncode == 0
    records = shell_records(mem)
    assert len(records) == len(SECRET_COMMANDS)
    db_bytes = (mem_home / "mem.db").read_bytes() + b"".join(p.read_bytes() for p in mem_home.glob("mem.db-wal"))
    for secret in (b"ghp_1234567890", b"abcdefghijklmnop1234", b"S3cretPass", b"hunter2pass", b"sk-proj-abc",
                   b"wJalrXUtnFEMI"):
        assert secret not in db_bytes
        assert not any(secret.decode() in r["text"] or secret.decode() in str(r["metadata"]) for r in records)
    assert all("[REDACTED:" in r["text"] for r in records)


UMASK_PROBE = {"bash": b" echo UMASK_$(umask)", "zsh": b" echo UMASK_$(umask)", "fish": b" echo UMASK_(umask)"}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_files_the_hook_creates_are_private_whatever_the_umask(shell, home, mem_home, tmp_path):
    """Under `umask 000`, with no data dir yet: the dirs the hook makes are 0700, the spool (also
    the one made after a drain moved it away) and bash's scratch file 0600, the scratch file holds
    no command once it has been read, and the user's umask is left as it was."""
    if not shutil.which(shell):
        pytest.skip(f"{shell} is not installed")
    rc = hooks.rc_path(shell)
    rc.parent.mkdir(parents=True, exist_ok=True)
    rc.write_text(PROMPT_SETUP[shell] + f"umask 000\n. {hooks.script_path(shell)}\n")
    mem_home = tmp_path / "fresh" / "mem"  # the hook makes it and its parent
    env = {**shell_env(home, mem_home), "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    (tmp_path / "run").mkdir(mode=0o777)
    sh = Shell(shell, env, home)
    try:
        sh.run(b"echo first-command")
        spool = mem_home / "spool" / "shell.spool"
        spool.rename(spool.with_name("shell.1.draining"))  # what a drain does
        sh.run(b"echo second-command")
        sh.run(UMASK_PROBE[shell])
        scratch = list((tmp_path / "run").glob(f"mem-*/cmd.{sh.pid}"))
        made = [tmp_path / "fresh", mem_home, mem_home / "spool", spool, *scratch, *(p.parent for p in scratch)]
        modes = {str(p.relative_to(tmp_path)): oct(p.stat().st_mode & 0o777) for p in made}
        scratch_bytes = [p.read_bytes() for p in scratch]
    finally:
        sh.close()
    assert re.search(rb"UMASK_0{3,4}\r", sh.output)  # zsh prints 000, bash and fish 0000
    assert b"second-command" in spool.read_bytes()
    expected = {name: oct(0o600 if name.endswith(("shell.spool", f"cmd.{sh.pid}")) else 0o700) for name in modes}
    assert modes == expected
    if shell == "bash":  # the only hook that needs a scratch file: `history 1` is read through it
        assert len(scratch) == 1 and scratch_bytes == [b""]


def test_bash_histcontrol_ignoreboth(home, mem_home, mem):
    """Lines bash keeps out of history (leading space, immediate repeats) are not logged."""
    sh = start_shell("bash", home, mem_home, "HISTCONTROL=ignoreboth\n")
    try:
        for command in (b"echo one", b" echo hidden", b"echo two", b"echo two", b"echo three"):
            sh.run(command)
    finally:
        sh.close()
    run_mem("hook", "ingest")
    assert [r["text"] for r in shell_records(mem)] == ["echo one", "echo two", "echo three"]
