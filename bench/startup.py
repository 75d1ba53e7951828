"""Cold-process wall time of the commands people run most, as multiples of a bare interpreter.

    python bench/startup.py [--runs 15] [--records 1000]

Uses the `mem` next to this Python (the installed console script), a temporary MEM_HOME, and a
database pre-filled with synthetic notes so that search has something to rank. Commands are run
in turns (one of each, then again), so that a machine busy with other work slows them alike,
and each is reported as a ratio to `python -c pass` of the same run. Search is full text
(embed.model none): the embedder's own load is measured by bench/search.py. Bytecode caches
are written first, as an installed package has them.
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

GOALS = {"mem add TEXT": 3.0, "mem search QUERY": 5.0}


def mem_command() -> list[str]:
    script = Path(sys.executable).with_name("mem")
    if script.exists():
        return [str(script)]
    found = shutil.which("mem")
    return [found] if found else [sys.executable, "-m", "memcli"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()
    mem = mem_command()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "MEM_HOME": home, "MEM_EMBED_MODEL": "none", "MEM_LOAD_PLUGINS": ""}
        env.pop("MEM_DB", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(__file__).resolve().parents[1] / "memcli")],
                       env=env, capture_output=True)
        notes = "\n".join(f"note {i}: met friend {i % 37} about project {i % 11}" for i in range(args.records))
        subprocess.run([sys.executable, "-c", (
            "import sys\nfrom memcli.store import open_db\nfrom memcli.services.remember import build_record\n"
            "from memcli.store import records\ns = open_db()\nwith s.transaction():\n"
            "    for line in sys.stdin.read().splitlines():\n        records.insert(s, build_record(line))\n"
        )], input=notes.encode(), env=env, check=True)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "mem --help": [*mem, "--help"],
            "mem add TEXT": [*mem, "add", "bench note {i}"],
            "mem add --at ISO": [*mem, "add", "dated note {i}", "--at", "2024-05-01T10:00"],
            "mem search QUERY": [*mem, "search", "friend project"],
            "mem list": [*mem, "list"],
        }
        for cmd in commands.values():  # warm the page cache and the bytecode
            subprocess.run([part.replace("{i}", "warm") for part in cmd], env=env, capture_output=True)
        samples: dict[str, list[float]] = {label: [] for label in commands}
        for i in range(args.runs):
            for label, cmd in commands.items():
                started = time.perf_counter()
                subprocess.run([part.replace("{i}", str(i)) for part in cmd], env=env, check=True, capture_output=True)
                samples[label].append((time.perf_counter() - started) * 1000)
    floor = statistics.median(samples["python -c pass"])
    for label, times in samples.items():
        median = statistics.median(times)
        goal = f"   (goal <= {GOALS[label]:g}x)" if label in GOALS else ""
        print(f"{label:20s} {median:6.0f} ms  {median / floor:5.2f}x python -c pass{goal}")
    print(f"median of {args.runs} cold runs each, run in turns")


if __name__ == "__main__":
    main()
