"""`mem watch` in a real process: a saved note becomes searchable; Ctrl-C stops it cleanly;
two watchers and other commands at once do not hit "database is locked"."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from tests.conftest import run_mem


@pytest.fixture(autouse=True)
def text_only(mem_home: Path) -> None:
    mem_home.mkdir(parents=True, exist_ok=True)
    (mem_home / "config.toml").write_text('[embed]\nmodel = "none"\n')


class Watcher:
    def __init__(self, *dirs: Path, debounce: str = "0.2") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "memcli", "watch", *map(str, dirs), "--debounce", debounce],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy(), text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.pump = threading.Thread(target=self._pump, args=(self.proc.stdout,), daemon=True)
        self.pump.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)

    def wait_for(self, needle: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                assert self.proc.poll() is None, self.proc.stderr.read()
                continue
            if needle in line:
                return line
        raise AssertionError(f"no line with {needle!r} within {timeout}s")

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        self.pump.join(timeout=5)
        return self.proc.returncode, self.proc.stderr.read()

    def rest(self) -> str:
        return "".join(self.lines.get_nowait() for _ in range(self.lines.qsize()))


def searchable(mem, words: str, timeout: float = 15) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hits = mem.json("search", words)
        if hits:
            return hits
        time.sleep(0.1)
    return []


def test_new_note_becomes_searchable_and_ctrl_c_stops(mem, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "old.md").write_text("Already here before the watcher: the gate code is 4411.\n")
    watcher = Watcher(notes)
    try:
        watcher.wait_for("Watching")
        assert searchable(mem, "gate code")  # the first scan took in what was there
        (notes / ".kayak.md.swp").write_bytes(b"vim swap about kayaks")
        (notes / "4913").write_text("vim write test")
        (notes / "kayak.md").write_text("# Kayak\n\nThe kayak club meets at the boathouse on Saturdays.\n")
        hits = searchable(mem, "kayak boathouse")
        assert [h["source"] for h in hits] == [str(notes / "kayak.md")]
        (notes / "kayak.md").write_text("# Kayak\n\nThe kayak club meets at the marina on Sundays.\n")
        assert searchable(mem, "marina")
        assert mem.json("search", "boathouse") == []  # the old version is superseded
    finally:
        code, err = watcher.stop()
    assert code == 0 and "Traceback" not in err, err
    assert watcher.rest().strip().endswith("Stopped.")


def test_two_watchers_and_other_commands_at_once(mem, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    mem("add", "warm up")  # the schema exists before the race starts
    watchers = [Watcher(notes, debounce="0.1"), Watcher(notes, debounce="0.1")]
    try:
        for watcher in watchers:
            watcher.wait_for("Watching")
        for i in range(12):
            (notes / f"note{i}.md").write_text(f"Shared note number {i} about the allotment rota.\n")
            time.sleep(0.02)
        adds = [run_mem("add", f"side note {i}") for i in range(3)]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(mem.json("search", "allotment", "-k", "50")) < 12:
            time.sleep(0.2)
        time.sleep(0.5)  # let the slower watcher finish its pass over the same files
    finally:
        results = [watcher.stop() for watcher in watchers]
    assert all(code == 0 and "locked" not in err and "Traceback" not in err for code, err in results), results
    assert all(a.returncode == 0 and b"locked" not in a.stderr for a in adds)
    texts = [r["text"] for r in mem.json("list", "--limit", "100")]
    assert sorted(t for t in texts if "allotment" in t) == sorted(f"Shared note number {i} about the allotment rota." for i in range(12))


def test_watch_help_and_bad_dir(mem, tmp_path):
    assert "Example: mem watch" in mem("watch", "--help").stdout
    err = mem("watch", str(tmp_path / "missing"), code=2).stderr
    assert err.startswith("Error: ") and "is not a directory" in err
