"""Writing a file the user named (`mem export -o PATH`) without harming what is there.

The data goes first into a private temp file beside the target; only when it is complete is it
copied into the path as given: through a symlink to the file it points at, into an existing file
in place (it keeps its inode, owner and mode; the space is reserved first, so a full disk fails
before the old contents are touched), or into a new file created 0600. Directories, devices,
FIFOs and sockets are refused: `-o /dev/null` once turned the device into a regular file holding
the whole memory.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path
from typing import IO, Callable, TypeVar

from memcli import paths
from memcli.errors import MemError

T = TypeVar("T")
_KINDS = ((stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"), (stat.S_ISFIFO, "named pipe"),
          (stat.S_ISSOCK, "socket"))


def check_target(path: Path) -> bool:
    """True when `path` (followed through symlinks) is an existing regular file, False when
    nothing is there yet; anything else is refused."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise MemError(f"cannot write {path}: {exc.strerror}", "pick a path in a writable directory") from None
    if stat.S_ISDIR(info.st_mode):
        raise MemError(f"{path} is a directory", f"give a file name, e.g. {path / 'mem-export.jsonl'}")
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "special file")
        raise MemError(f"{path} is a {kind}, not a regular file", "give the path of a file (or -o - for stdout)")
    return True


def write_text(path: Path, produce: Callable[[IO[str]], T]) -> T:
    """Call `produce(out)` to write UTF-8 text, then put it at `path`; returns what produce returned."""
    check_target(path)
    target = Path(os.path.realpath(path))  # a symlink is written through, never replaced
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        try:
            out = paths.open_private(temp, "w", newline="\n", exclusive=True)
        except OSError as exc:
            raise MemError(f"cannot write in {target.parent}: {exc.strerror}", "pick a writable directory") from None
        try:
            with out:
                result = produce(out)
        except OSError as exc:
            raise MemError(f"cannot write {path}: {exc.strerror}", "free some space or pick another path") from None
        _publish(temp, target, path)
    finally:
        temp.unlink(missing_ok=True)
    return result


def _reserve(fd: int, size: int) -> None:
    """Fail with ENOSPC now, while the old contents are still whole (where the OS can tell)."""
    if size and hasattr(os, "posix_fallocate"):
        try:
            os.posix_fallocate(fd, 0, size)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise  # otherwise the filesystem cannot reserve: just write


def _publish(temp: Path, target: Path, named: Path) -> None:
    size = temp.stat().st_size
    existed = check_target(target)
    try:
        out = paths.open_private(target, "r+b" if existed else "wb", exclusive=not existed)
    except OSError as exc:
        raise MemError(f"cannot write {named}: {exc.strerror}", "pick a writable path") from None
    try:
        with out, open(temp, "rb") as source:
            if existed:
                _reserve(out.fileno(), size)
            shutil.copyfileobj(source, out, 1 << 20)
            out.truncate()
            out.flush()
            os.fsync(out.fileno())
    except BaseException as exc:
        if not existed:  # never leave half a file where there was none
            target.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise MemError(f"cannot write {named}: {exc.strerror}", "free some space or pick another path") from None
        raise
