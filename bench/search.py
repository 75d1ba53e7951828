"""`mem search` wall time from a cold process on a large database (median and p95 of N queries).

    python bench/build_db.py /tmp/mem-100k.db --records 100000
    python bench/search.py /tmp/mem-100k.db [--runs 20]

Each query is a fresh `mem search` process (interpreter start, imports, open, rank, print),
as a user at a terminal runs it. Embedding follows the config in MEM_HOME (default: the local
embedder when installed); set MEM_HOME to a directory whose config.toml says
`embed.model = "none"` to measure full-text search alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

QUERIES = [
    "trip to Lisbon in May", "what did Priya start learning", "sourdough", "docker compose logs",
    "who is moving to Berlin", "interview at the office", "dog from the shelter", "concert tickets",
    "Grace recommended a book", "how do I run the tests", "hiking with my sister", "dentist appointment",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db", type=Path)
    parser.add_argument("--runs", type=int, default=len(QUERIES))
    args = parser.parse_args()
    mem = Path(sys.executable).with_name("mem")
    command = [str(mem)] if mem.exists() else [sys.executable, "-m", "memcli"]
    env = {**os.environ, "MEM_DB": str(args.db)}
    subprocess.run([*command, "search", "warm the page cache"], env=env, capture_output=True)
    times = []
    for i in range(args.runs):
        query = QUERIES[i % len(QUERIES)]
        started = time.perf_counter()
        done = subprocess.run([*command, "search", query, "-k", "10"], env=env, capture_output=True)
        times.append((time.perf_counter() - started) * 1000)
        if done.returncode != 0:
            sys.exit(done.stderr.decode())
    times.sort()
    print(f"{args.db}: mem search p50 {statistics.median(times):.0f} ms, "
          f"p95 {times[min(len(times) - 1, int(len(times) * 0.95))]:.0f} ms over {len(times)} cold runs")


if __name__ == "__main__":
    main()
