"""The nightly job: `mem hook ingest` then `mem consolidate`, from cron or a systemd user timer.

cron: one line in the user's crontab, ending with the marker comment `# mem-schedule` (a shell
comment to cron's /bin/sh), edited through the system `crontab -l` / `crontab -` (python-crontab
is LGPL and slow to import). `MEM_CRONTAB` names another crontab binary (tests use a fake one).
systemd: mem-schedule.service + mem-schedule.timer in ~/.config/systemd/user (`MEM_SYSTEMCTL`
names another systemctl). Both write the jobs' output to <data dir>/schedule.log; a cron run ends
with a `mem-schedule: finished ingest=N consolidate=N` line that `status` reads.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from memcli import paths
from memcli.errors import MemError

MARKER = "# mem-schedule"
UNIT = "mem-schedule"
LOG_NAME = "schedule.log"
DEFAULT_AT = "03:30"
_FINISHED = re.compile(r"mem-schedule: finished ingest=(\d+) consolidate=(\d+)")


def parse_at(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise MemError(f"--at wants a time as HH:MM (got {text!r})", "e.g. --at 03:30")
    return int(match[1]), int(match[2])


def log_path() -> Path:
    return paths.data_dir() / LOG_NAME


def mem_executable() -> str:
    """The absolute path of this `mem`: the console script next to this Python, else on PATH."""
    beside = Path(sys.executable).with_name("mem")
    if beside.exists():
        return str(beside)
    found = shutil.which("mem")
    if found:
        return os.path.abspath(found)
    raise MemError("cannot find the mem executable", "install memcli so that `mem` is on PATH")


def _env_prefix() -> str:
    """cron starts jobs with an almost empty environment: carry the settings that move the data."""
    return "".join(f"{name}={shlex.quote(os.environ[name])} " for name in ("MEM_HOME", "MEM_DB", "XDG_DATA_HOME",
                                                                         "XDG_CONFIG_HOME") if os.environ.get(name))


def cron_line(hour: int, minute: int) -> str:
    mem, log, env = shlex.quote(mem_executable()), shlex.quote(str(log_path())), _env_prefix()
    job = (f"{env}{mem} hook ingest >>{log} 2>&1; i=$?; {env}{mem} consolidate >>{log} 2>&1; c=$?; "
           f"echo \"mem-schedule: finished ingest=$i consolidate=$c\" >>{log}")
    return f"{minute} {hour} * * * {job}  {MARKER}"


# --- cron ----------------------------------------------------------------------------------------

def _crontab_bin() -> str:
    return os.environ.get("MEM_CRONTAB") or "crontab"


def read_crontab() -> list[str]:
    try:
        done = subprocess.run([_crontab_bin(), "-l"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError as exc:
        raise MemError("the crontab command is not installed", "install cron, or use --systemd") from exc
    if done.returncode != 0:
        if "no crontab" in done.stderr.lower():
            return []
        raise MemError(f"crontab -l failed: {done.stderr.strip() or done.returncode}", "check that cron works for you")
    return done.stdout.splitlines()


def write_crontab(lines: list[str]) -> None:
    text = "".join(line + "\n" for line in lines)
    done = subprocess.run([_crontab_bin(), "-"], input=text, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise MemError(f"crontab - failed: {done.stderr.strip() or done.returncode}", "check that cron works for you")


def _ours(line: str) -> bool:
    return line.rstrip().endswith(MARKER)


def cron_install(hour: int, minute: int) -> str:
    lines = read_crontab()
    wanted = cron_line(hour, minute)
    if [line for line in lines if _ours(line)] == [wanted]:
        return "unchanged"
    action = "updated" if any(_ours(line) for line in lines) else "installed"
    write_crontab([line for line in lines if not _ours(line)] + [wanted])
    return action


def cron_remove() -> bool:
    lines = read_crontab()
    kept = [line for line in lines if not _ours(line)]
    if len(kept) == len(lines):
        return False
    write_crontab(kept)
    return True


def cron_entry() -> str | None:
    try:
        return next((line for line in read_crontab() if _ours(line)), None)
    except MemError:
        return None


# --- systemd -------------------------------------------------------------------------------------

def _systemctl() -> str:
    return os.environ.get("MEM_SYSTEMCTL") or "systemctl"


def unit_dir() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "systemd" / "user"


def systemd_available() -> bool:
    try:
        done = subprocess.run([_systemctl(), "--user", "show-environment"], capture_output=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _systemctl_run(*args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([_systemctl(), "--user", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MemError(f"systemctl --user {' '.join(args)} failed: {exc}", "use --cron instead") from exc


def _unit_escape(text: str) -> str:
    return text.replace("%", "%%").replace("$", "$$")


def unit_texts(hour: int, minute: int) -> dict[str, str]:
    mem = _unit_escape(shlex.quote(mem_executable()))
    env = "".join(f"Environment={_unit_escape(name)}={_unit_escape(os.environ[name])}\n"
                  for name in ("MEM_HOME", "MEM_DB", "XDG_DATA_HOME", "XDG_CONFIG_HOME") if os.environ.get(name))
    log = _unit_escape(str(log_path()))
    service = (f"[Unit]\nDescription=mem: drain the shell spool and consolidate memories\n\n"
               f"[Service]\nType=oneshot\n{env}"
               f"ExecStart=-{mem} hook ingest\nExecStart={mem} consolidate\n"
               f"StandardOutput=append:{log}\nStandardError=append:{log}\n")
    timer = (f"[Unit]\nDescription=mem: nightly ingest and consolidate\n\n"
             f"[Timer]\nOnCalendar=*-*-* {hour:02d}:{minute:02d}:00\nPersistent=true\n\n"
             f"[Install]\nWantedBy=timers.target\n")
    return {f"{UNIT}.service": service, f"{UNIT}.timer": timer}


def systemd_install(hour: int, minute: int) -> str:
    directory = unit_dir()
    directory.mkdir(parents=True, exist_ok=True)
    changed = False
    for name, text in unit_texts(hour, minute).items():
        path = directory / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            changed = True
    for args in (("daemon-reload",), ("enable", "--now", f"{UNIT}.timer")):
        done = _systemctl_run(*args)
        if done.returncode != 0:
            raise MemError(f"systemctl --user {' '.join(args)} failed: {done.stderr.strip()}", "use --cron instead")
    return "installed" if changed else "unchanged"


def systemd_remove() -> bool:
    directory = unit_dir()
    paths_ = [directory / f"{UNIT}.timer", directory / f"{UNIT}.service"]
    if not any(p.exists() for p in paths_):
        return False
    _systemctl_run("disable", "--now", f"{UNIT}.timer")
    for path in paths_:
        path.unlink(missing_ok=True)
    _systemctl_run("daemon-reload")
    return True


def systemd_installed() -> bool:
    return (unit_dir() / f"{UNIT}.timer").exists()


# --- status --------------------------------------------------------------------------------------

def next_run(hour: int, minute: int, now: datetime | None = None) -> datetime:
    now = now or datetime.now().astimezone()
    candidate = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


def _time_of(entry: str) -> tuple[int, int] | None:
    fields = entry.split()
    if len(fields) > 2 and fields[0].isdigit() and fields[1].isdigit():
        return int(fields[1]), int(fields[0])
    return None


def _timer_time() -> tuple[int, int] | None:
    try:
        text = (unit_dir() / f"{UNIT}.timer").read_text()
    except OSError:
        return None
    match = re.search(r"OnCalendar=\*-\*-\* (\d{2}):(\d{2})", text)
    return (int(match[1]), int(match[2])) if match else None


@dataclass
class LastRun:
    at: str | None = None
    result: str = "never run"
    details: list[str] = field(default_factory=list)


def last_run() -> LastRun:
    path = log_path()
    try:
        info = path.stat()
        with open(path, "rb") as fh:
            fh.seek(max(0, info.st_size - 65536))
            tail = fh.read().decode("utf-8", "replace")
    except OSError:
        return LastRun()
    at = datetime.fromtimestamp(info.st_mtime).astimezone().isoformat(timespec="seconds")
    finished = _FINISHED.findall(tail)
    if not finished:
        return LastRun(at=at, result="unknown (no finished line in the log)")
    ingest, consolidate = (int(x) for x in finished[-1])
    details = [f"ingest exit {ingest}", f"consolidate exit {consolidate}"]
    if ingest == 0 and consolidate == 0:
        result = "ok"
    elif ingest == 0 and consolidate == 2 and "No such command 'consolidate'" in tail:
        result = "ok (this mem has no consolidate command yet)"
    else:
        result = "failed"
    return LastRun(at=at, result=result, details=details)


def status() -> dict[str, object]:
    entry = cron_entry()
    timer = systemd_installed()
    when = _time_of(entry) if entry else (_timer_time() if timer else None)
    run = last_run()
    return {
        "installed": bool(entry or timer),
        "backend": "cron" if entry else ("systemd" if timer else None),
        "cron_entry": entry,
        "systemd_timer": str(unit_dir() / f"{UNIT}.timer") if timer else None,
        "at": f"{when[0]:02d}:{when[1]:02d}" if when else None,
        "next_run": next_run(*when).isoformat(timespec="minutes") if when else None,
        "log": str(log_path()),
        "last_run": run.at,
        "last_result": run.result,
        "last_details": run.details,
    }
