"""One consolidation at a time, with a lock the kernel releases when its holder dies.

An advisory `flock` on a file under the data dir: a crashed run leaves no stale lock to clean
up. (Where flock is missing, e.g. Windows, a pid file whose process is gone counts as stale.)
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from memcli.errors import MemError


class ConsolidationLock:
    def __init__(self, directory: Path) -> None:
        self.path = directory / "consolidate.lock"
        self._fd: int | None = None

    def __enter__(self) -> "ConsolidationLock":
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - no flock on this platform
            self._pid_lock()
        except BlockingIOError:
            holder = os.pread(self._fd, 64, 0).decode(errors="replace").strip() or "another process"
            os.close(self._fd)
            self._fd = None
            raise MemError(f"a consolidation is already running (pid {holder})", "wait for it to finish") from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, str(os.getpid()).encode(), 0)
        return self

    def _pid_lock(self) -> None:  # pragma: no cover - exercised only without fcntl
        assert self._fd is not None  # opened by __enter__
        text = os.pread(self._fd, 64, 0).decode(errors="replace").strip()
        if text.isdigit() and int(text) != os.getpid():
            try:
                os.kill(int(text), 0)
            except OSError:
                return  # stale: that process is gone
            raise MemError(f"a consolidation is already running (pid {text})", "wait for it to finish")

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing releases the flock
            self._fd = None
