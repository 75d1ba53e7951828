"""`mem hook`: rc lines, the spool format, the drain (partial lines, concurrency), privacy rules."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from memcli.services import spool
from memcli.shell import install as hooks
from tests.conftest import run_mem


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("ZDOTDIR", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return home


def esc(text: bytes) -> bytes:
    return text.replace(b"\\", b"\\\\").replace(b"\n", b"\\n").replace(b"\t", b"\\t").replace(b"\r", b"\\r")


def line(command: bytes, seq: int, *, session: str = "s1", exit_code: int = 0, cwd: bytes = b"/work",
         start_us: int = 1_700_000_000_000_000, duration_us: int = 1500) -> bytes:
    return b"\t".join([b"m1", str(start_us + seq).encode(), str(duration_us).encode(), str(exit_code).encode(),
                       b"bash", session.encode(), str(seq).encode(), b"host", b"/dev/pts/1", esc(cwd),
                       esc(command)]) + b"\n"


def append(data: bytes) -> None:
    spool.spool_dir().mkdir(parents=True, exist_ok=True)
    with open(spool.spool_path(), "ab") as fh:
        fh.write(data)


def shell_texts(mem) -> list[str]:
    return [r["text"] for r in reversed(mem.json("list", "--source", "shell", "--limit", "100000"))]


# --- rc lines ------------------------------------------------------------------------------------

@pytest.mark.parametrize("shell, rc", [("bash", ".bashrc"), ("zsh", ".zshrc"), ("fish", ".config/fish/config.fish")])
def test_install_is_one_idempotent_line_and_uninstall_removes_exactly_it(mem, home, shell, rc):
    path = home / rc
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# mine\nalias ll='ls -l'")  # no final newline
    mem("hook", "install", shell)
    mem("hook", "install", shell)
    text = path.read_text()
    assert text.count(hooks.MARKER) == 1
    assert str(hooks.script_path(shell)) in text
    assert text.startswith("# mine\nalias ll='ls -l'\n")
    assert hooks.script_path(shell).exists()
    status = mem.json("hook", "status")
    assert [s["installed"] for s in status["shells"] if s["shell"] == shell] == [True]
    assert "already installed" in mem("hook", "install", shell).stdout
    mem("hook", "uninstall", shell)
    assert path.read_text() == "# mine\nalias ll='ls -l'\n"
    assert "not installed" in mem("hook", "uninstall", shell).stdout


def test_install_follows_a_symlinked_rc(mem, home, tmp_path):
    real = tmp_path / "dotfiles" / "bashrc"
    real.parent.mkdir()
    real.write_text("export A=1\n")
    (home / ".bashrc").symlink_to(real)
    mem("hook", "install", "bash")
    assert (home / ".bashrc").is_symlink()
    assert hooks.MARKER in real.read_text()


def test_install_without_a_shell_uses_SHELL(mem, home, monkeypatch):
    monkeypatch.setenv("SHELL", "/usr/bin/zsh")
    mem("hook", "install")
    assert hooks.MARKER in (home / ".zshrc").read_text()
    monkeypatch.setenv("SHELL", "/bin/tcsh")
    assert "cannot tell which shell" in mem("hook", "install", code=2).stderr


def test_bad_shell_is_a_one_line_error():
    result = run_mem("hook", "install", "powershell")
    assert result.returncode == 2
    assert result.stderr.decode().strip().splitlines() == ["Error: unknown shell 'powershell'; use one of: bash, zsh, fish"]


def test_print_shows_the_script(mem):
    assert "m1  START_US" in mem("hook", "print", "bash").stdout


def test_pause_and_resume_flag(mem):
    mem("hook", "pause")
    assert spool.pause_path().exists()
    assert mem.json("hook", "status")["paused"] is True
    mem("hook", "resume")
    assert not spool.pause_path().exists()


# --- the spool format ----------------------------------------------------------------------------

def test_parse_round_trip_of_awkward_bytes():
    command = b"printf 'a\\tb'\n\techo \"q\" \\ back \xff\xfe end\r"
    parsed = spool.parse_line(line(command, 1, cwd=b"/tmp/we\tird\ndir")[:-1])
    assert parsed.command == command
    assert parsed.cwd == "/tmp/we\tird\ndir"
    assert parsed.exit_code == 0 and parsed.duration_us == 1500


@pytest.mark.parametrize("raw", [b"", b"garbage", b"m2\t1\t2\t3\tbash\ts\t1\th\tt\t/\tx",
                                 b"m1\tnot-a-number\t2\t3\tbash\ts\t1\th\tt\t/\tx",
                                 b"m1\t1\t2\t3\tbash\ts\t1\th\tt\t/\tx\textra"])
def test_malformed_lines_are_rejected(raw):
    assert spool.parse_line(raw) is None


# --- draining ------------------------------------------------------------------------------------

def test_ingest_stores_records_with_metadata(mem):
    append(line(b"make test", 1, exit_code=2, duration_us=2_500_000) + line(b"git status", 2))
    out = mem.json("hook", "ingest")
    assert out["added"] == 2 and out["lines"] == 2
    record = mem.json("list", "--source", "shell")[-1]
    assert record["text"] == "make test"
    assert record["session"] == "s1" and record["source_ref"] == "host:s1:1"
    assert record["observed_at"] == "2023-11-14T22:13:20Z"
    assert record["metadata"] == {"cwd": "/work", "exit_code": 2, "duration_ms": 2500.0, "hostname": "host",
                                  "tty": "/dev/pts/1", "shell": "bash", "started_at": "2023-11-14T22:13:20.000001Z"}
    assert mem.json("hook", "ingest")["added"] == 0  # nothing read twice


def test_half_written_last_line_waits_for_the_next_round(mem):
    whole = line(b"echo complete-one", 1) + line(b"echo complete-two", 2)
    partial = line(b"echo finished-later", 3)
    append(whole + partial[:20])
    assert mem.json("hook", "ingest")["added"] == 2
    [draining] = spool.draining_files()
    with open(draining, "ab") as fh:  # the shell that opened it before the rename finishes its write
        fh.write(partial[20:])
    assert mem.json("hook", "ingest")["added"] == 1
    assert shell_texts(mem) == ["echo complete-one", "echo complete-two", "echo finished-later"]


def test_drained_files_are_deleted_once_quiet(mem, monkeypatch):
    append(line(b"echo x", 1))
    mem("hook", "ingest")
    assert len(spool.draining_files()) == 1  # kept: a late writer may still append
    monkeypatch.setattr(spool, "GRACE_S", 0.0)
    mem("hook", "ingest")
    assert spool.draining_files() == []
    assert mem.json("hook", "status")["pending_bytes"] == 0


def test_a_crash_after_reading_loses_nothing_and_duplicates_nothing(mem, monkeypatch):
    append(b"".join(line(f"echo {i}".encode(), i) for i in range(1, 6)))
    from memcli.services import ingest

    real = ingest.ingest_items

    def crash(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("power cut")

    monkeypatch.setattr(ingest, "ingest_items", crash)
    with pytest.raises(RuntimeError):
        spool.drain()
    monkeypatch.setattr(ingest, "ingest_items", real)
    assert shell_texts(mem) == []  # the transaction took the records and the offset back together
    spool.drain()
    assert shell_texts(mem) == [f"echo {i}" for i in range(1, 6)]


def test_privacy_rules_at_drain(mem, tmp_path):
    mem("config", "set", "hook.ignore", "^pass ")  # a string works as well as a list
    config = Path(os.environ["MEM_HOME"]) / "config.toml"
    config.write_text('[hook]\nignore = ["^pass ", "vault"]\nignore_dirs = ["~/private", "/srv/secret"]\n')
    append(line(b"pass show bank", 1) + line(b"ls /srv", 2) + line(b"git log", 3, cwd=b"/srv/secret/repo")
           + line(b"git log", 4, cwd=b"/srv/secretive") + line(b"export API_TOKEN=abcdef123456", 5)
           + line(b"echo vault", 6))
    out = mem.json("hook", "ingest")
    assert out["ignored"] == 3 and out["redacted"] == 1
    assert shell_texts(mem) == ["ls /srv", "git log", "export API_TOKEN=[REDACTED:secret-assignment]"]


def test_bad_ignore_regex_is_a_one_line_error(mem):
    (Path(os.environ["MEM_HOME"])).mkdir(parents=True, exist_ok=True)
    (Path(os.environ["MEM_HOME"]) / "config.toml").write_text('[hook]\nignore = ["(unclosed"]\n')
    append(line(b"echo x", 1))
    result = run_mem("hook", "ingest")
    assert result.returncode == 2 and "not a valid regex" in result.stderr.decode()


def test_any_mem_command_drains_first_and_hook_commands_do_not(mem):
    append(line(b"echo auto-drained", 1))
    mem("hook", "status")
    assert spool.spool_path().exists()
    assert [r["text"] for r in mem.json("list")] == ["echo auto-drained"]
    assert spool.spool_path().stat().st_size == 0  # drained; the next spool is ready, private and empty


def test_a_broken_spool_never_blocks_a_command(mem, monkeypatch):
    append(line(b"echo x", 1))

    def boom(**kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(spool, "drain", boom)
    mem("add", "still works")


def test_the_empty_check_imports_nothing_heavy():
    """Every command makes this check; its cost is in bench/ (python bench/startup.py)."""
    import subprocess
    import sys

    code = ("import sys; from memcli.services.spool import drain_if_pending\n"
            "for _ in range(1000): drain_if_pending()\n"
            "print(' '.join(m for m in ('sqlite3', 'memcli.store', 'memcli.redact', 'memcli.services.ingest') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_concurrent_writers_while_draining_lose_and_duplicate_nothing(mem, monkeypatch):
    """Writers append through O_APPEND, like the shells, some in two writes (a half line visible
    for a moment), while drains run in a loop in separate processes."""
    import subprocess
    import sys

    monkeypatch.setattr(spool, "GRACE_S", 0.2)
    spool.spool_dir().mkdir(parents=True, exist_ok=True)
    run_mem("list")  # create the db before the race
    writers, per_writer = 4, 150
    one_write_at_a_time = threading.Lock()  # a shell's line is one write(); splitting must not interleave

    def writer(n: int) -> None:
        for i in range(per_writer):
            data = line(f"echo writer-{n} cmd-{i}\tend".encode(), i, session=f"w{n}")
            with one_write_at_a_time:
                fd = os.open(spool.spool_path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    if i % 7 == 0:  # split write: a drain may see (and rename) half a line
                        os.write(fd, data[:15])
                        time.sleep(0.002)
                        os.write(fd, data[15:])
                    else:
                        os.write(fd, data)
                finally:
                    os.close(fd)
            if i % 20 == 0:
                time.sleep(0.005)

    code = ("import sys, time\nfrom memcli.services import spool\nspool.GRACE_S = 0.2\n"
            "end = time.time() + float(sys.argv[1])\n"
            "while time.time() < end:\n    spool.drain(wait=bool(int(sys.argv[2])))\n    time.sleep(0.01)\n")
    drainers = [subprocess.Popen([sys.executable, "-c", code, "3", str(i % 2)], env=os.environ.copy())
                for i in range(2)]
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in drainers:
        assert p.wait(timeout=60) == 0
    time.sleep(0.3)
    assert spool.drain().rejected == 0
    records = mem.json("list", "--source", "shell", "--limit", "100000")
    refs = [r["source_ref"] for r in records]
    assert len(refs) == len(set(refs)) == writers * per_writer
    assert all(r["text"].endswith("\tend") for r in records)


def test_a_large_spool_drains_whole(mem):
    """Its speed is measured by bench/shell_hook.py; here: every line of a big spool arrives."""
    n = 5000
    append(b"".join(line(f"cmd number {i} --flag value".encode(), i) for i in range(n)))
    report = spool.drain()
    assert report.added == n and report.rejected == 0
