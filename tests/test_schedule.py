"""`mem schedule` against a fake crontab (a temp file) and a fake systemctl (a call log)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from memcli.system import schedule

FAKE_CRONTAB = """#!/bin/sh
# crontab -l / crontab - over the file $FAKE_CRONTAB_FILE
case "$1" in
  -l) [ -f "$FAKE_CRONTAB_FILE" ] || { echo "no crontab for $(id -un)" >&2; exit 1; }; cat "$FAKE_CRONTAB_FILE";;
  -) cat > "$FAKE_CRONTAB_FILE";;
  *) echo "fake crontab: unsupported $*" >&2; exit 2;;
esac
"""

FAKE_SYSTEMCTL = """#!/bin/sh
# systemctl --user, simulated: FAKE_SYSTEMD_DOWN=1 (no user session), FAKE_SYSTEMD_FAIL=<words>
# (that call fails); enable/disable keep the timer's state in $FAKE_SYSTEMD_STATE.
echo "$*" >> "$FAKE_SYSTEMCTL_LOG"
case "$*" in *show-environment*) exit "${FAKE_SYSTEMD_DOWN:-0}";; esac
if [ "${FAKE_SYSTEMD_DOWN:-0}" != 0 ]; then echo "Failed to connect to bus: No medium found" >&2; exit 1; fi
case "$*" in
  *"${FAKE_SYSTEMD_FAIL:-no failure}"*) echo "Failed to $*: Unit mem-schedule.timer is masked." >&2; exit 1;;
  *is-enabled*) if [ -f "$FAKE_SYSTEMD_STATE" ]; then echo enabled; else echo disabled; exit 1; fi;;
  *"enable --now"*) touch "$FAKE_SYSTEMD_STATE";;
  *"disable --now"*) rm -f "$FAKE_SYSTEMD_STATE";;
esac
exit 0
"""


def executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def cron(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    table = tmp_path / "crontab.txt"
    monkeypatch.setenv("MEM_CRONTAB", str(executable(tmp_path / "crontab", FAKE_CRONTAB)))
    monkeypatch.setenv("FAKE_CRONTAB_FILE", str(table))
    monkeypatch.setenv("MEM_SYSTEMCTL", str(executable(tmp_path / "systemctl", FAKE_SYSTEMCTL)))
    monkeypatch.setenv("FAKE_SYSTEMCTL_LOG", str(tmp_path / "systemctl.log"))
    monkeypatch.setenv("FAKE_SYSTEMD_STATE", str(tmp_path / "timer-enabled"))
    monkeypatch.setenv("FAKE_SYSTEMD_DOWN", "1")  # auto-detection picks cron
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(schedule, "cron_daemon_running", lambda: True, raising=False)  # no cron daemon runs in tests
    return table


def test_install_is_idempotent_and_keeps_other_entries(mem, cron):
    cron.write_text("# my jobs\n0 * * * * /usr/bin/backup\n")
    mem("schedule", "install", "--at", "02:15")
    first = cron.read_text()
    assert mem.json("schedule", "install", "--at", "02:15")["action"] == "unchanged"
    assert cron.read_text() == first
    lines = first.splitlines()
    assert lines[:2] == ["# my jobs", "0 * * * * /usr/bin/backup"]
    [ours] = [line for line in lines if line.endswith(schedule.MARKER)]
    assert ours.startswith("15 2 * * * ")
    assert " hook ingest " in ours and " consolidate " in ours
    assert os.environ["MEM_HOME"] in ours  # cron's empty environment still finds the data
    mem("schedule", "install", "--at", "04:00")  # moves, never duplicates
    assert [line for line in cron.read_text().splitlines() if schedule.MARKER in line][0].startswith("0 4 * * * ")
    assert cron.read_text().count(schedule.MARKER) == 1


def test_remove_takes_only_its_own_line(mem, cron):
    cron.write_text("0 * * * * /usr/bin/backup\n")
    mem("schedule", "install")
    assert "Removed" in mem("schedule", "remove").stdout
    assert cron.read_text() == "0 * * * * /usr/bin/backup\n"
    assert "No nightly job" in mem("schedule", "remove").stdout


def test_status_next_run_and_last_result(mem, cron):
    data = mem.json("schedule", "status")
    assert data["installed"] is False and data["last_result"] == "never run"
    mem("schedule", "install", "--at", "03:30", "--cron")
    data = mem.json("schedule", "status")
    assert data["installed"] is True and data["backend"] == "cron" and data["at"] == "03:30"
    assert "T03:30" in data["next_run"]
    schedule.log_path().write_text("Stored 3 command(s)\nError: No such command 'consolidate'.\n"
                                   "mem-schedule: finished ingest=0 consolidate=2\n")
    data = mem.json("schedule", "status")
    assert data["last_result"].startswith("ok") and data["last_run"]
    schedule.log_path().write_text("mem-schedule: finished ingest=1 consolidate=0\n")
    assert mem.json("schedule", "status")["last_result"] == "failed"


def test_the_cron_job_really_runs(mem, cron):
    """Run the installed line with sh, as cron would: ingest and consolidate are called, the log
    gets the finished line, and status reads it (whether or not consolidate exists yet)."""
    mem("schedule", "install", "--cron")
    entry = [line for line in cron.read_text().splitlines() if schedule.MARKER in line][0]
    job = entry.split(" ", 5)[5]
    done = subprocess.run(["/bin/sh", "-c", job], env={"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/")},
                          timeout=120)
    assert done.returncode == 0
    assert "mem-schedule: finished ingest=0" in schedule.log_path().read_text()
    assert mem.json("schedule", "status")["last_result"].startswith("ok")


def test_systemd_units(mem, cron, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_SYSTEMD_DOWN", "0")  # auto-detection now picks systemd
    assert mem.json("schedule", "install", "--at", "01:05")["backend"] == "systemd"
    units = tmp_path / "config" / "systemd" / "user"
    timer = (units / "mem-schedule.timer").read_text()
    service = (units / "mem-schedule.service").read_text()
    assert "OnCalendar=*-*-* 01:05:00" in timer
    assert " hook ingest" in service and " consolidate" in service
    assert "enable --now mem-schedule.timer" in (tmp_path / "systemctl.log").read_text()
    assert mem.json("schedule", "status")["backend"] == "systemd"
    mem("schedule", "remove")
    assert not (units / "mem-schedule.timer").exists()
    assert "disable --now mem-schedule.timer" in (tmp_path / "systemctl.log").read_text()


@pytest.mark.parametrize("args, needle", [
    (["schedule", "install", "--at", "25:00"], "--at wants a time as HH:MM"),
    (["schedule", "install", "--at", "noon"], "--at wants a time as HH:MM"),
    (["schedule", "install", "--cron", "--systemd"], "exclude each other"),
])
def test_bad_input(mem, cron, args, needle):
    result = mem(*args, code=2)
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1


def one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_a_failed_systemd_install_leaves_nothing_behind(mem, cron, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_SYSTEMD_DOWN", "0")
    monkeypatch.setenv("FAKE_SYSTEMD_FAIL", "enable --now")
    error = one_line(mem("schedule", "install", "--systemd", code=2))
    assert "systemctl --user enable --now mem-schedule.timer failed" in error and "masked" in error
    assert error.endswith("use mem schedule install --cron")  # cron works here: one thing to do
    assert not (tmp_path / "config" / "systemd").exists()
    assert "daemon-reload" in (tmp_path / "systemctl.log").read_text().splitlines()[-1]
    assert not schedule.log_path().exists()
    assert mem.json("schedule", "status")["installed"] is False


def test_a_failed_systemd_update_restores_the_working_install(mem, cron, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_SYSTEMD_DOWN", "0")
    mem("schedule", "install", "--systemd", "--at", "01:05")
    units = tmp_path / "config" / "systemd" / "user"
    before = {p.name: p.read_text() for p in units.iterdir()}
    monkeypatch.setenv("FAKE_SYSTEMD_FAIL", "daemon-reload")
    mem("schedule", "install", "--systemd", "--at", "04:00", code=2)
    assert {p.name: p.read_text() for p in units.iterdir()} == before
    status = mem.json("schedule", "status")
    assert status["at"] == "01:05" and status["runnable"] is True  # still enabled, as it was


def test_systemd_down_writes_nothing_and_names_one_thing_to_do(mem, cron, tmp_path, monkeypatch):
    error = one_line(mem("schedule", "install", "--systemd", code=2))
    assert "systemd user services are not available" in error and error.endswith("use mem schedule install --cron")
    assert not (tmp_path / "config" / "systemd").exists()
    monkeypatch.setenv("MEM_CRONTAB", str(tmp_path / "no-such-crontab"))  # and no cron either
    error = one_line(mem("schedule", "install", "--systemd", code=2))
    assert "install cron" in error and "--systemd" not in error.split(";")[1]


def test_cron_errors_point_to_what_works(mem, cron, tmp_path, monkeypatch):
    monkeypatch.setenv("MEM_CRONTAB", str(tmp_path / "no-such-crontab"))
    error = one_line(mem("schedule", "install", code=2))  # neither works: install cron, not "use --systemd"
    assert "crontab command is not installed" in error and "install cron" in error and "systemd" not in error
    monkeypatch.setenv("FAKE_SYSTEMD_DOWN", "0")
    error = one_line(mem("schedule", "install", "--cron", code=2))
    assert error.endswith("use mem schedule install --systemd")


def test_no_cron_daemon_is_refused_and_status_says_it_cannot_run(mem, cron, monkeypatch):
    mem("schedule", "install", "--cron")
    monkeypatch.setattr(schedule, "cron_daemon_running", lambda: False)
    data = mem.json("schedule", "status")
    assert data["installed"] is True and data["runnable"] is False and data["next_run"] is None
    assert "no cron daemon is running" in data["problem"] and "start cron" in data["fix"]
    assert "cannot run: no cron daemon is running" in mem("schedule", "status").stdout
    cron.unlink()
    assert "no cron daemon is running" in one_line(mem("schedule", "install", "--cron", code=2))
    assert not cron.exists()


def test_status_notices_a_job_whose_mem_is_gone(mem, cron):
    mem("schedule", "install", "--cron")
    cron.write_text(cron.read_text().replace(schedule.mem_executable(), "/nowhere/bin/mem"))
    data = mem.json("schedule", "status")
    assert data["runnable"] is False and "/nowhere/bin/mem" in data["problem"]
    assert data["fix"] == "run mem schedule install again: it writes this mem's path"


def test_status_of_a_leftover_timer_without_systemd(mem, cron, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_SYSTEMD_DOWN", "0")
    mem("schedule", "install", "--systemd")
    monkeypatch.setenv("FAKE_SYSTEMD_DOWN", "1")
    data = mem.json("schedule", "status")
    assert data["backend"] == "systemd" and data["runnable"] is False
    assert data["fix"] == "use mem schedule install --cron"
    mem("schedule", "install", "--cron")  # the one thing to do: it also takes the timer away
    assert not (tmp_path / "config" / "systemd" / "user" / "mem-schedule.timer").exists()
    assert mem.json("schedule", "status")["runnable"] is True


def test_one_backend_at_a_time_and_a_private_log(mem, cron, tmp_path, monkeypatch):
    mem("schedule", "install", "--cron")
    assert oct(schedule.log_path().stat().st_mode & 0o777) == "0o600"
    [line] = [line for line in cron.read_text().splitlines() if schedule.MARKER in line]
    assert line.split(" ", 5)[5].startswith("umask 077; ")
    monkeypatch.setenv("FAKE_SYSTEMD_DOWN", "0")
    mem("schedule", "install", "--systemd")
    assert schedule.MARKER not in cron.read_text()
    assert "UMask=0077" in (tmp_path / "config" / "systemd" / "user" / "mem-schedule.service").read_text()
