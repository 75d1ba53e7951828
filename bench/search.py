"""`mem search` time on large databases: cold processes and in process, p50 and p95.

    python bench/build_db.py /tmp/mem-100k.db --records 100000 [--random-vectors]
    python bench/search.py /tmp/mem-100k.db [/tmp/mem-1m.db ...] [--mode text|vectors|both]
        [--runs 24] [--label after] [--save results.jsonl] [--code DIR]
    python bench/search.py --table results.jsonl      # the before/after table, from saved rows

Cold: each query is a fresh `python -m memcli search` process (interpreter start, imports, open,
rank, print), as a user at a terminal runs it. In process: one process opens the database once
and runs every query through services.recall.search (what the TUI and the MCP server do), after
one warm-up query. `text` runs with MEM_EMBED_MODEL=none; `vectors` with the default local
embedder, on a database that has vectors (build_db.py --random-vectors for timing).

`--code DIR` runs another checkout's memcli (e.g. `git archive` of an older commit unpacked in
DIR) on the same database, for a before/after comparison; `--label` names the rows. The old code
refuses a database a newer mem has migrated, so measure "before" on a copy first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERIES = [
    "trip to Lisbon in May", "what did Priya start learning", "sourdough", "docker compose logs",
    "who is moving to Berlin", "interview at the office", "dog from the shelter", "concert tickets",
    "Grace recommended a book", "how do I run the tests", "hiking with my sister", "dentist appointment",
]
ROOT = Path(__file__).resolve().parents[1]

IN_PROCESS = """
import json, sys, time
from memcli.store import open_db
from memcli.services import recall
store = open_db()
queries = json.loads(sys.argv[1])
recall.search(store, "warm up the caches", k=10, reinforce=False)
times = []
for query in queries:
    started = time.perf_counter()
    recall.search(store, query, k=10, reinforce=False)
    times.append((time.perf_counter() - started) * 1000)
print(json.dumps(times))
"""


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def environment(db: Path, mode: str, code: Path, home: str) -> dict[str, str]:
    env = {**os.environ, "MEM_DB": str(db), "MEM_HOME": home, "PYTHONPATH": str(code),
           "MEM_EMBED_MODEL": "none" if mode == "text" else "default", "MEM_LOAD_PLUGINS": ""}
    env.pop("MEM_DAEMON", None)
    return env


def records_in(db: Path, env: dict[str, str]) -> int:
    done = subprocess.run([sys.executable, "-m", "memcli", "stats", "--json"], env=env, capture_output=True, text=True,
                          cwd=env["MEM_HOME"])
    if done.returncode != 0:
        sys.exit(done.stderr)
    return int(json.loads(done.stdout)["records"])


def measure(db: Path, mode: str, runs: int, code: Path) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as home:
        env = environment(db, mode, code, home)
        count = records_in(db, env)
        queries = [QUERIES[i % len(QUERIES)] for i in range(runs)]
        command = [sys.executable, "-m", "memcli", "search"]
        subprocess.run([*command, "warm the page cache"], env=env, capture_output=True, cwd=home)
        cold = []
        for query in queries:
            started = time.perf_counter()
            done = subprocess.run([*command, query, "-k", "10"], env=env, capture_output=True, cwd=home)
            cold.append((time.perf_counter() - started) * 1000)
            if done.returncode != 0:
                sys.exit(done.stderr.decode())
        done = subprocess.run([sys.executable, "-c", IN_PROCESS, json.dumps(queries)], env=env, cwd=home,
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(done.stderr)
        warm = json.loads(done.stdout.strip().splitlines()[-1])
    cold_p50, cold_p95 = percentiles(cold)
    warm_p50, warm_p95 = percentiles(warm)
    return {"records": count, "mode": mode, "runs": runs, "cold_p50": round(cold_p50), "cold_p95": round(cold_p95),
            "inproc_p50": round(warm_p50, 1), "inproc_p95": round(warm_p95, 1), "db_bytes": db.stat().st_size}


def table(rows: list[dict[str, object]]) -> str:
    """Markdown: one line per database size and mode, before and after side by side."""
    labels = list(dict.fromkeys(str(row["label"]) for row in rows))
    latest: dict[tuple[int, str, str], dict[str, object]] = {}
    for row in rows:
        latest[(int(row["records"]), str(row["mode"]), str(row["label"]))] = row  # the last run of each wins
    lines = ["| records | search | " + " | ".join(f"{label}: cold p50 / p95 | {label}: in process p50 / p95"
                                                  for label in labels) + " |",
             "|---|---|" + "---|---|" * len(labels)]
    for records, mode in sorted({(key[0], key[1]) for key in latest}):
        cells = []
        for label in labels:
            row = latest.get((records, mode, label))
            cells += ([f"{row['cold_p50']} / {row['cold_p95']} ms", f"{row['inproc_p50']} / {row['inproc_p95']} ms"]
                      if row else ["", ""])
        name = "full text" if mode == "text" else "with vectors"
        lines.append(f"| {records:,} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", type=Path, nargs="*")
    parser.add_argument("--mode", choices=("text", "vectors", "both"), default="text")
    parser.add_argument("--runs", type=int, default=2 * len(QUERIES))
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose memcli runs (default: this one)")
    parser.add_argument("--label", default="now")
    parser.add_argument("--save", type=Path, help="append each result as a JSON line")
    parser.add_argument("--table", type=Path, help="print the table of saved results and stop")
    args = parser.parse_args()
    if args.table:
        print(table([json.loads(line) for line in args.table.read_text().splitlines() if line.strip()]))
        return
    rows = []
    for db in args.db:
        for mode in (("text", "vectors") if args.mode == "both" else (args.mode,)):
            row = {"label": args.label, "db": str(db), **measure(db, mode, args.runs, args.code.resolve())}
            rows.append(row)
            print(f"{db} ({row['records']:,} records, {mode}, {args.label}): cold p50 {row['cold_p50']} ms, "
                  f"p95 {row['cold_p95']} ms; in process p50 {row['inproc_p50']} ms, p95 {row['inproc_p95']} ms",
                  flush=True)
            if args.save:
                with args.save.open("a") as out:
                    out.write(json.dumps(row) + "\n")
    print(table(rows))


if __name__ == "__main__":
    main()
