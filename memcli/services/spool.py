"""The shell hooks' spool, drained into episodic memories.

The scripts in memcli/shell/ append one line per command to `<data dir>/spool/shell.spool` (format
in their headers: `m1`, start µs, duration µs, exit, shell, session, seq, host, tty, cwd, command,
TAB-separated, with `\\ \n \t \r` escaped in cwd and command).

Why the drain is safe against shells appending at the same moment:
1. The live spool is renamed to `shell.<ns>.draining` (atomic); the next command makes a new one.
   Shells open, append and close per command, so nothing is ever edited under a writer.
2. A draining file is read from the byte offset kept in the db's meta table (`spool:<name>`), up to
   its last LF only: a half-written last line waits for the next round. The records of those lines
   and the new offset are written in ONE transaction, with the offset re-read inside it, so a crash
   or a concurrent drain can neither lose a line nor store one twice.
3. What a drain has stored is overwritten with zeros in place at once (a shell appends only past
   it, O_APPEND), so no raw command (a secret the redactor caught, say) outlives its drain on disk.
   The file itself is deleted once it has been quiet for GRACE seconds, so a shell that opened it
   just before the rename has finished by then. A last line left unfinished for STALE seconds
   belonged to a shell that died mid-write; it is dropped (and counted).
4. A line that cannot become a memory (malformed, a time outside what dates can hold) is counted as
   rejected and skipped: it never stops the lines after it.
A file lock spares concurrent drains the duplicate work (the automatic drain skips when another
one holds it), and `source_ref` = host:session:seq makes any replay a no-op.

This module is imported by every `mem` command (drain_if_pending): keep its imports light.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from memcli import paths

SOURCE = "shell"
SPOOL_NAME = "shell.spool"
PAUSE_NAME = "hook.paused"
LOCK_NAME = ".drain.lock"
GRACE_S = 2.0
STALE_S = 300.0
BATCH_LINES = 2000
FIELDS = 11


def spool_dir() -> Path:
    return paths.data_dir() / "spool"


def spool_path() -> Path:
    return spool_dir() / SPOOL_NAME


def pause_path() -> Path:
    return paths.data_dir() / PAUSE_NAME


def drain_if_pending() -> None:
    """Drain when the spool holds something; one os.stat and nothing else when it does not."""
    try:
        if os.stat(spool_path()).st_size == 0:
            return
    except OSError:
        return
    drain(wait=False)


@dataclass
class ShellLine:
    command: bytes
    start_us: int | None
    duration_us: int
    exit_code: int
    shell: str
    session: str
    seq: str
    host: str
    tty: str
    cwd: str


@dataclass
class DrainReport:
    lines: int = 0
    added: int = 0
    duplicates: int = 0
    ignored: int = 0
    rejected: int = 0
    redacted: int = 0
    pending_bytes: int = 0
    busy: bool = False

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


_ESCAPES = {b"n": b"\n", b"t": b"\t", b"r": b"\r", b"\\": b"\\"}


def unescape(raw: bytes) -> bytes:
    if b"\\" not in raw:
        return raw
    import re

    return re.sub(rb"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), raw, flags=re.S)


def _text(raw: bytes) -> str:
    return unescape(raw).decode("utf-8", "backslashreplace")


# Start times a record can hold: 1970 to the end of year 9999, in microseconds.
MAX_START_US = 253_402_300_799_999_999


def parse_line(line: bytes) -> ShellLine | None:
    """One spool line (without its LF); None when it is not a well-formed record."""
    parts = line.split(b"\t")
    if len(parts) != FIELDS or parts[0] != b"m1":
        return None
    _, start, duration, status, shell, session, seq, host, tty, cwd, command = parts
    try:
        start_us = int(start) if start else None
        duration_us = max(0, int(duration or 0))
        exit_code = int(status or 0)
    except ValueError:
        return None
    if start_us is not None and not 0 <= start_us <= MAX_START_US:
        return None
    if duration_us > MAX_START_US or not -2**31 <= exit_code < 2**31:
        return None
    if not session or not seq:
        return None
    return ShellLine(command=unescape(command), start_us=start_us, duration_us=duration_us, exit_code=exit_code,
                     shell=_text(shell), session=_text(session), seq=_text(seq), host=_text(host), tty=_text(tty),
                     cwd=_text(cwd))


@dataclass
class Rules:
    """Privacy settings read at drain time: `hook.ignore` (regexes), `hook.ignore_dirs`."""

    patterns: list[Any] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)

    @classmethod
    def from_config(cls) -> "Rules":
        import re

        from memcli import config
        from memcli.errors import MemError

        data = config.load()
        patterns = []
        for pattern in _as_list(config.get("hook.ignore", data), "hook.ignore"):
            try:
                patterns.append(re.compile(pattern))
            except re.error as exc:
                raise MemError(f"hook.ignore pattern {pattern!r} is not a valid regex ({exc})",
                               "fix it with mem config set or in config.toml") from exc
        dirs = [os.path.normpath(os.path.expanduser(d)) for d in _as_list(config.get("hook.ignore_dirs", data),
                                                                         "hook.ignore_dirs")]
        return cls(patterns, dirs)

    def ignores(self, command: str, cwd: str) -> bool:
        if any(p.search(command) for p in self.patterns):
            return True
        return any(cwd == d or cwd.startswith(d.rstrip("/") + "/") for d in self.dirs)


def _as_list(value: Any, key: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    from memcli.errors import MemError

    raise MemError(f"config key {key} must be a string or a list of strings", "fix it in config.toml")


def to_item(line: ShellLine, report: DrainReport) -> Any:
    """The memory for one command, secrets redacted; non-UTF-8 bytes kept exactly in metadata."""
    import base64
    from datetime import datetime, timezone

    from memcli.readers import Item
    from memcli.redact import redact
    from memcli.timeparse import now_local, to_db

    raw = line.command.decode("utf-8", "surrogateescape")
    clean = redact(raw)
    if clean != raw:
        report.redacted += 1
    data = clean.encode("utf-8", "surrogateescape")
    metadata: dict[str, Any] = {
        "cwd": line.cwd, "exit_code": line.exit_code, "duration_ms": round(line.duration_us / 1000, 3),
        "hostname": line.host, "tty": line.tty, "shell": line.shell,
    }
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:  # shown with \xNN escapes; the exact bytes stay in metadata
        text = data.decode("utf-8", "backslashreplace")
        metadata["command_b64"] = base64.b64encode(data).decode("ascii")
    if line.start_us is not None:
        moment = datetime.fromtimestamp(line.start_us / 1_000_000, tz=timezone.utc)
        metadata["started_at"] = moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
        observed = to_db(moment)
    else:
        observed = to_db(now_local())
    return Item(text=text, observed_at=observed, session=line.session,
                source_ref=f"{line.host}:{line.session}:{line.seq}", metadata=metadata)


@contextmanager
def _locked(path: Path, wait: bool) -> Iterator[bool]:
    try:
        import fcntl
    except ImportError:  # no flock (Windows): the transactions alone keep the drain correct
        yield True
        return
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


def _rotate(directory: Path) -> None:
    live = directory / SPOOL_NAME
    try:
        if os.stat(live).st_size == 0:
            return
        moved = directory / f"shell.{time.time_ns():020d}.draining"
        os.rename(live, moved)
        os.chmod(moved, 0o600)  # a shell may have made it under a loose umask
    except FileNotFoundError:
        return
    try:  # the next live spool, private before any shell appends to it (bash cannot set a mode)
        os.close(os.open(live, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        os.chmod(live, 0o600)
    except FileExistsError:
        os.chmod(live, 0o600)  # a shell made it first: it holds one line at most, still in a 0700 dir
    except OSError:
        pass


def draining_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or spool_dir()).glob("shell.*.draining"))


def drain(*, wait: bool = True, store: Any = None) -> DrainReport:
    """Move every complete spool line into the store. `wait=False` skips when a drain is running."""
    report = DrainReport()
    directory = spool_dir()
    if not directory.is_dir():
        return report
    with _locked(directory / LOCK_NAME, wait) as held:
        if not held:
            report.busy = True
            return report
        _rotate(directory)
        files = draining_files(directory)
        if files:
            rules = Rules.from_config()
            from memcli.store import open_db

            db = store or open_db()
            try:
                for path in files:
                    _drain_file(db, path, rules, report)
            finally:
                if store is None:
                    db.close()
        _clean_command_files(directory)
    return report


def _drain_file(store: Any, path: Path, rules: Rules, report: DrainReport) -> None:
    from memcli.store import meta

    key = f"spool:{path.name}"
    while True:
        offset = int(meta.get(store, key) or 0)
        try:
            with open(path, "rb") as fh:
                fh.seek(offset)
                data = fh.read()
        except FileNotFoundError:  # another drain finished it
            return
        end = data.rfind(b"\n") + 1  # a half-written last line stays for the next round
        if end == 0 or _drain_lines(store, key, offset, data[:end].split(b"\n")[:-1], rules, report):
            break
    done = int(meta.get(store, key) or 0)
    _wipe(path, done)
    _finish_file(store, path, key, done, report)


def _wipe(path: Path, upto: int) -> None:
    """Overwrite the first `upto` bytes (what is stored) with zeros, in place."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError:
        return
    try:
        chunk = bytes(min(upto, 1 << 20))
        written = 0
        while written < upto:
            written += os.pwrite(fd, chunk[:upto - written], written)
        os.fsync(fd)
    except OSError:
        pass  # wiping is best effort; the file is deleted after its grace period anyway
    finally:
        os.close(fd)


def _drain_lines(store: Any, key: str, offset: int, lines: list[bytes], rules: Rules,
                 report: DrainReport) -> bool:
    """Store `lines` (read from `offset`) in batches, each with its new offset in one transaction.
    False when another drain moved the offset meanwhile: the caller reads again from there."""
    from memcli.services.ingest import ingest_items
    from memcli.store import meta

    for start in range(0, len(lines), BATCH_LINES):
        batch = lines[start:start + BATCH_LINES]
        with store.transaction():
            if int(meta.get(store, key) or 0) != offset:
                return False
            items = []
            for raw in batch:
                report.lines += 1
                parsed = parse_line(raw)
                if parsed is None:
                    report.rejected += 1
                    continue
                if rules.ignores(parsed.command.decode("utf-8", "surrogateescape"), parsed.cwd):
                    report.ignored += 1
                    continue
                items.append(to_item(parsed, report))
            result = ingest_items(store, items, SOURCE, actor="hook")
            report.added += result.added
            report.duplicates += result.skipped
            offset += sum(len(line) + 1 for line in batch)
            meta.put(store, key, str(offset))
    return True


def _finish_file(store: Any, path: Path, key: str, offset: int, report: DrainReport) -> None:
    """Delete a drained file once no shell can still be appending to it."""
    from memcli.store import meta

    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    renamed_ns = int(path.name.split(".")[1]) if path.name.split(".")[1].isdigit() else 0
    quiet_for = time.time() - max(info.st_mtime, renamed_ns / 1e9)
    tail = info.st_size - offset
    if quiet_for < GRACE_S or (tail > 0 and quiet_for < STALE_S):
        report.pending_bytes += tail
        return
    if tail > 0:  # a shell died in the middle of its write
        report.rejected += 1
    path.unlink(missing_ok=True)  # first the file, then its offset: never the other way round
    with store.transaction():
        meta.delete(store, key)


def _scratch_dirs(directory: Path) -> list[Path]:
    """Where mem.bash keeps its `history 1` scratch file: a private dir on tmpfs, else the spool."""
    found = [directory]
    uid = getattr(os, "getuid", lambda: None)()
    for base in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm"):
        if base and uid is not None:
            found.append(Path(base) / f"mem-{uid}")
    return found


def _clean_command_files(directory: Path) -> None:
    """Drop the scratch files (cmd.<pid>) of bash shells that have ended."""
    for place in _scratch_dirs(directory):
        try:
            scratch_files = [*place.glob(".cmd.*"), *place.glob("cmd.*")]
        except OSError:
            continue
        for scratch in scratch_files:
            pid = scratch.name.rsplit(".", 1)[-1]
            if not pid.isdigit():
                continue
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                scratch.unlink(missing_ok=True)
            except OSError:
                pass


def pending_bytes(store: Any = None) -> int:
    """Bytes not yet drained: the live spool plus the unread part of draining files."""
    directory = spool_dir()
    total = 0
    try:
        total += os.stat(directory / SPOOL_NAME).st_size
    except OSError:
        pass
    for path in draining_files(directory):
        offset = 0
        if store is not None:
            from memcli.store import meta

            offset = int(meta.get(store, f"spool:{path.name}") or 0)
        try:
            total += max(0, os.stat(path).st_size - offset)
        except OSError:
            pass
    return total
