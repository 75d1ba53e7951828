"""Cold-process wall time of the commands people run most (median of N runs).

    python bench/startup.py [--runs 10] [--records 1000]

Uses the `mem` next to this Python (the installed console script), a temporary MEM_HOME, and a
database pre-filled with synthetic notes so that search has something to rank.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def mem_command() -> list[str]:
    script = Path(sys.executable).with_name("mem")
    if script.exists():
        return [str(script)]
    found = shutil.which("mem")
    return [found] if found else [sys.executable, "-m", "memcli"]


def timed(cmd: list[str], env: dict[str, str], runs: int) -> float:
    samples = []
    for i in range(runs):
        args = [part.replace("{i}", str(i)) for part in cmd]
        start = time.perf_counter()
        subprocess.run(args, env=env, check=True, capture_output=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()
    mem = mem_command()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "MEM_HOME": home}
        env.pop("MEM_DB", None)
        notes = "\n".join(f"note {i}: met friend {i % 37} about project {i % 11}" for i in range(args.records))
        subprocess.run([sys.executable, "-c", (
            "import sys\nfrom memcli.store import open_db\nfrom memcli.services.remember import build_record\n"
            "from memcli.store import records\ns = open_db()\nwith s.transaction():\n"
            "    for line in sys.stdin.read().splitlines():\n        records.insert(s, build_record(line))\n"
        )], input=notes.encode(), env=env, check=True)
        python = timed([sys.executable, "-c", "pass"], env, args.runs)
        print(f"python -c pass            {python:6.0f} ms   (interpreter floor)")
        for label, cmd in [
            ("mem --help", [*mem, "--help"]),
            ("mem add TEXT", [*mem, "add", "bench note {i}"]),
            ("mem add --at ISO", [*mem, "add", "dated note {i}", "--at", "2024-05-01T10:00"]),
            ("mem search QUERY", [*mem, "search", "friend project"]),
            ("mem list", [*mem, "list"]),
        ]:
            print(f"{label:25s} {timed(cmd, env, args.runs):6.0f} ms   median of {args.runs}, cold process")


if __name__ == "__main__":
    main()
