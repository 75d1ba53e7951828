"""Worker threads that never hold the TUI open.

Textual runs `@work(thread=True)` workers on the event loop's default executor, and on exit the
loop waits for that executor's threads: a worker stuck in a long embed or a slow model call kept
`q` from quitting. These threads are daemons and shutting down does not wait for them; work cut
off by quitting is a transaction that never committed (SQLite rolls it back), nothing else.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable


class DaemonExecutor(ThreadPoolExecutor):  # asyncio accepts only ThreadPoolExecutor subclasses
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> "Future[Any]":
        future: Future[Any] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed to whoever awaits the future
                future.set_exception(exc)

        threading.Thread(target=run, daemon=True, name="mem-tui-worker").start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: daemon threads end with the process."""
