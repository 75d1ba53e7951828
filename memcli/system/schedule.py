"""The nightly job: `mem hook ingest` then `mem consolidate`, from cron or a systemd user timer.

cron: one line in the user's crontab, ending with the marker comment `# mem-schedule` (a shell
comment to cron's /bin/sh), edited through the system `crontab -l` / `crontab -` (python-crontab
is LGPL and slow to import). `MEM_CRONTAB` names another crontab binary (tests use a fake one).
systemd: mem-schedule.service + mem-schedule.timer in ~/.config/systemd/user (`MEM_SYSTEMCTL`
names another systemctl). Both write the jobs' output to <data dir>/schedule.log (0600: the
jobs run under umask 077); a cron run ends with a `mem-schedule: finished ingest=N
consolidate=N` line that `status` reads.

Every way the job could not run is checked where it can be, and each error names one thing to
do: an install that fails leaves nothing behind (units removed or restored, reloads undone),
installing with one backend removes mem's job from the other (never two nightly runs), and
`status` says "cannot run" with the reason instead of a next run that will not happen.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any
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
    job = (f"umask 077; {env}{mem} hook ingest >>{log} 2>&1; i=$?; {env}{mem} consolidate >>{log} 2>&1; c=$?; "
           f"echo \"mem-schedule: finished ingest=$i consolidate=$c\" >>{log}")
    return f"{minute} {hour} * * * {job}  {MARKER}"


def _prepare_log() -> None:
    """The log exists, 0600, before a job appends to it (cron's shell would make it 0644)."""
    paths.ensure_private_dir(log_path().parent)
    paths.open_private(log_path(), "a").close()


def _job_executable(command: str) -> str | None:
    """The mem a cron line or an ExecStart= runs: the first word that is not umask or NAME=value."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    for word in words:
        if word in ("umask", "077;") or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", word):
            continue
        return word.lstrip("-")
    return None


def _missing_executable(command: str) -> tuple[str, str] | None:
    mem = _job_executable(command)
    if mem and not os.access(mem, os.X_OK):
        return (f"the job runs {mem}, which no longer exists (memcli moved or uninstalled?)",
                "run mem schedule install again: it writes this mem's path")
    return None


# --- cron ----------------------------------------------------------------------------------------

def _crontab_bin() -> str:
    return os.environ.get("MEM_CRONTAB") or "crontab"


INSTALL_CRON = "install cron (e.g. sudo apt install cron) and start it"


def cron_daemon_running() -> bool | None:
    """Whether a cron daemon is running: None when this system cannot tell (no /proc, as on
    macOS, where launchd starts cron when needed; or a /proc that hides other users' processes)."""
    proc = Path("/proc")
    if not (proc / "1").exists():
        return None
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("cron", "crond", "fcron", "cronie", "dcron"):
                    return True
            except OSError:
                continue
    return False


def cron_problem() -> tuple[str, str] | None:
    """Why a cron job would not run here, with the one thing to do; None when it would."""
    if shutil.which(_crontab_bin()) is None:
        return "the crontab command is not installed", INSTALL_CRON
    if cron_daemon_running() is False:
        return "no cron daemon is running, so a cron job would never run", "start cron (e.g. sudo service cron start)"
    return None


def read_crontab() -> list[str]:
    try:
        done = subprocess.run([_crontab_bin(), "-l"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError as exc:
        raise MemError("the crontab command is not installed", _instead("cron", INSTALL_CRON)) from exc
    if done.returncode != 0:
        if "no crontab" in done.stderr.lower():
            return []
        raise MemError(f"crontab -l failed: {done.stderr.strip() or done.returncode}",
                       _instead("cron", "ask for crontab to be allowed for you (/etc/cron.allow)"))
    return done.stdout.splitlines()


def write_crontab(lines: list[str]) -> None:
    text = "".join(line + "\n" for line in lines)
    done = subprocess.run([_crontab_bin(), "-"], input=text, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise MemError(f"crontab - failed: {done.stderr.strip() or done.returncode}",
                       _instead("cron", "ask for crontab to be allowed for you (/etc/cron.allow)"))


def _ours(line: str) -> bool:
    return line.rstrip().endswith(MARKER)


def cron_install(hour: int, minute: int) -> str:
    problem = cron_problem()
    if problem:
        raise MemError(problem[0], _instead("cron", problem[1]))
    lines = read_crontab()
    wanted = cron_line(hour, minute)
    if [line for line in lines if _ours(line)] == [wanted]:
        action = "unchanged"
    else:
        action = "updated" if any(_ours(line) for line in lines) else "installed"
        write_crontab([line for line in lines if not _ours(line)] + [wanted])
    _prepare_log()
    if systemd_installed():
        systemd_remove()  # one nightly run, not two
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


def _instead(backend: str, fix: str) -> str:
    """The one thing to do when `backend` cannot be used: the other backend when it works
    here, else the fix for this one."""
    if backend == "cron" and systemd_available():
        return "use mem schedule install --systemd"
    if backend == "systemd" and cron_problem() is None:
        return "use mem schedule install --cron"
    return fix


# --- systemd -------------------------------------------------------------------------------------

def _systemctl() -> str:
    return os.environ.get("MEM_SYSTEMCTL") or "systemctl"


def unit_dir() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "systemd" / "user"


def _systemd_down() -> str | None:
    """Why systemd user services cannot be used here, or None when they can."""
    try:
        done = subprocess.run([_systemctl(), "--user", "show-environment"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"systemctl --user cannot run ({exc})"
    if done.returncode != 0:
        return f"systemd user services are not available here ({done.stderr.strip() or 'no user session'})"
    return None


def systemd_available() -> bool:
    return _systemd_down() is None


def _systemctl_run(*args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([_systemctl(), "--user", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess([_systemctl(), *args], 1, "", str(exc))


def _unit_escape(text: str) -> str:
    return text.replace("%", "%%").replace("$", "$$")


def unit_texts(hour: int, minute: int) -> dict[str, str]:
    mem = _unit_escape(shlex.quote(mem_executable()))
    env = "".join(f"Environment={_unit_escape(name)}={_unit_escape(os.environ[name])}\n"
                  for name in ("MEM_HOME", "MEM_DB", "XDG_DATA_HOME", "XDG_CONFIG_HOME") if os.environ.get(name))
    log = _unit_escape(str(log_path()))
    service = (f"[Unit]\nDescription=mem: drain the shell spool and consolidate memories\n\n"
               f"[Service]\nType=oneshot\nUMask=0077\n{env}"
               f"ExecStart=-{mem} hook ingest\nExecStart={mem} consolidate\n"
               f"StandardOutput=append:{log}\nStandardError=append:{log}\n")
    timer = (f"[Unit]\nDescription=mem: nightly ingest and consolidate\n\n"
             f"[Timer]\nOnCalendar=*-*-* {hour:02d}:{minute:02d}:00\nPersistent=true\n\n"
             f"[Install]\nWantedBy=timers.target\n")
    return {f"{UNIT}.service": service, f"{UNIT}.timer": timer}


def _unit_paths() -> list[Path]:
    return [unit_dir() / f"{UNIT}.timer", unit_dir() / f"{UNIT}.service"]


def systemd_install(hour: int, minute: int) -> str:
    """Write the units, reload, enable the timer; on any failure put everything back as it was."""
    down = _systemd_down()
    if down:
        raise MemError(down, _instead("systemd", f"{INSTALL_CRON}, then use mem schedule install --cron"))
    texts = unit_texts(hour, minute)
    before = {path: path.read_text() if path.exists() else None for path in _unit_paths()}
    was_enabled = _timer_enabled()
    if was_enabled and all(before[unit_dir() / name] == text for name, text in texts.items()):
        _prepare_log()
        return "unchanged"
    made: list[Path] = []
    try:
        made = paths.ensure_private_dir(unit_dir(), tighten=False)
        for name, text in texts.items():
            paths.replace_private(unit_dir() / name, text)
        for args in (("daemon-reload",), ("enable", "--now", f"{UNIT}.timer")):
            done = _systemctl_run(*args)
            if done.returncode != 0:
                raise MemError(f"systemctl --user {' '.join(args)} failed: {done.stderr.strip() or done.returncode}",
                               _instead("systemd", "run journalctl --user -xe to see why"))
    except BaseException as exc:
        _undo_install(before, made, was_enabled)
        if isinstance(exc, OSError):
            raise MemError(f"cannot write the systemd units in {unit_dir()}: {exc.strerror}",
                           _instead("systemd", f"make {unit_dir()} writable")) from None
        raise
    _prepare_log()
    if cron_entry() is not None:
        cron_remove()  # one nightly run, not two
    return "updated" if any(before.values()) else "installed"


def _undo_install(before: dict[Path, str | None], made: list[Path], was_enabled: bool) -> None:
    if not was_enabled:
        _systemctl_run("disable", "--now", f"{UNIT}.timer")
    for path, text in before.items():
        if text is None:
            path.unlink(missing_ok=True)
        else:
            paths.replace_private(path, text)
    for directory in reversed(made):
        try:
            directory.rmdir()
        except OSError:
            break
    _systemctl_run("daemon-reload")


def _timer_enabled() -> bool:
    if not systemd_installed():
        return False
    done = _systemctl_run("is-enabled", f"{UNIT}.timer")
    return done.returncode == 0 and done.stdout.strip() == "enabled"


def systemd_remove() -> bool:
    if not any(p.exists() for p in _unit_paths()):
        return False
    _systemctl_run("disable", "--now", f"{UNIT}.timer")
    for path in _unit_paths():
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


def _why_not(backend: str, entry: str | None) -> tuple[str, str] | None:
    """Why an installed job would not run, with the one thing to do; None when it would."""
    if backend == "cron":
        problem = cron_problem()
        if problem:
            return problem[0], _instead("cron", problem[1])
        return _missing_executable(entry.split(None, 5)[5] if entry and len(entry.split(None, 5)) > 5 else "")
    down = _systemd_down()
    if down:
        return f"{down}, so the timer never fires", _instead("systemd", f"{INSTALL_CRON}, then use mem schedule install --cron")
    if not _timer_enabled():
        return "the timer is installed but not enabled", "run mem schedule install --systemd"
    try:
        service = (unit_dir() / f"{UNIT}.service").read_text()
    except OSError:
        return "mem-schedule.service is missing", "run mem schedule install --systemd"
    match = re.search(r"^ExecStart=(.*)$", service, re.M)
    return _missing_executable(match[1].replace("$$", "$").replace("%%", "%")) if match else None


def status() -> dict[str, Any]:
    entry = cron_entry()
    timer = systemd_installed()
    backend = "cron" if entry else ("systemd" if timer else None)
    when = _time_of(entry) if entry else (_timer_time() if timer else None)
    problem = _why_not(backend, entry) if backend else None
    run = last_run()
    return {
        "installed": backend is not None,
        "backend": backend,
        "runnable": backend is not None and problem is None,
        "problem": problem[0] if problem else None,
        "fix": problem[1] if problem else None,
        "cron_entry": entry,
        "systemd_timer": str(unit_dir() / f"{UNIT}.timer") if timer else None,
        "at": f"{when[0]:02d}:{when[1]:02d}" if when else None,
        "next_run": next_run(*when).isoformat(timespec="minutes") if when and not problem else None,
        "log": str(log_path()),
        "last_run": run.at,
        "last_result": run.result,
        "last_details": run.details,
    }
