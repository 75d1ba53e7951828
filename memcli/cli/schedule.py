"""`mem schedule install|remove|status`: the nightly ingest + consolidate job."""

from __future__ import annotations


import typer
from typing import Annotated

from memcli.cli import common
from memcli.errors import MemError

app, schedule_app = common.command_group(
    "schedule",
    "Run `mem hook ingest` and `mem consolidate` every night (cron or a systemd user timer).\n\n"
    "Example: mem schedule install --at 03:30",
)

CronFlag = Annotated[bool, typer.Option("--cron", help="Use the user crontab.")]
SystemdFlag = Annotated[bool, typer.Option("--systemd", help="Use a systemd user timer.")]


def _backend(cron: bool, systemd: bool) -> str:
    from memcli.system import schedule

    if cron and systemd:
        raise MemError("--cron and --systemd exclude each other", "pick one (or neither, to detect)")
    if cron or systemd:
        return "cron" if cron else "systemd"
    return "systemd" if schedule.systemd_available() else "cron"


@schedule_app.command("install")
def install(
    at: Annotated[str, typer.Option("--at", metavar="HH:MM", help="Local time of day.")] = "03:30",
    cron: CronFlag = False,
    systemd: SystemdFlag = False,
    json_: common.JsonFlag = False,
) -> None:
    """Install the nightly job (idempotent; a second install moves it to the new time, and
    installing with one backend removes mem's job from the other). A failed install leaves
    nothing behind.

    Example: mem schedule install --at 02:15 --cron
    """
    from memcli.system import schedule

    hour, minute = schedule.parse_at(at)
    backend = _backend(cron, systemd)
    if backend == "cron":
        action = schedule.cron_install(hour, minute)
    else:
        action = schedule.systemd_install(hour, minute)
    if json_:
        common.emit_json({"backend": backend, "action": action, "at": f"{hour:02d}:{minute:02d}",
                          "log": str(schedule.log_path())})
        return
    print(f"Nightly job {action} ({backend}, {hour:02d}:{minute:02d}); log: {schedule.log_path()}")


@schedule_app.command("remove")
def remove(cron: CronFlag = False, systemd: SystemdFlag = False, json_: common.JsonFlag = False) -> None:
    """Remove mem's nightly job (only its own crontab line or timer).

    Example: mem schedule remove
    """
    from memcli.system import schedule

    removed = []
    if not systemd:
        try:
            if schedule.cron_remove():
                removed.append("cron")
        except MemError:
            if cron:  # asked for cron explicitly: say why it failed
                raise
    if not cron and schedule.systemd_remove():
        removed.append("systemd")
    if json_:
        common.emit_json({"removed": removed})
        return
    print(f"Removed the nightly job ({', '.join(removed)})." if removed else "No nightly job was installed.")


@schedule_app.command("status")
def status(json_: common.JsonFlag = False) -> None:
    """Whether the nightly job is installed and can run (if not, why, and what to do), its next
    run, and how the last run went.

    Example: mem schedule status --json
    """
    from memcli.system import schedule

    data = schedule.status()
    if json_:
        common.emit_json(data)
        return
    if not data["installed"]:
        print("Nightly job: not installed (mem schedule install)")
    elif not data["runnable"]:
        print(f"Nightly job: {data['backend']} at {data['at']}, but it cannot run: {data['problem']}; {data['fix']}")
    else:
        print(f"Nightly job: {data['backend']} at {data['at']}; next run {data['next_run']}")
    print(f"Last run: {data['last_run'] or 'never'} - {data['last_result']}"
          + (f" ({', '.join(data['last_details'])})" if data["last_details"] else ""))
    print(f"Log: {data['log']}")
