"""How long `mem tui` takes to show its first screen of memories on a large database.

    python bench/tui_first_paint.py [--records 100000] [--runs 5] [--db PATH]

Builds a database of synthetic records (one transaction through memcli.store.records.insert;
kept when --db names a file that already exists), then, in a fresh process per run, times:
  import    importing textual and memcli.tui (paid by `mem tui` only)
  paint     make_app() (opens the db) until the first page of rows is on screen (run_test)
  total     both: what the user waits for after Python has started
and, once, a first search and a jump to the end of the loaded pages, to show nothing freezes.
The target is paint <= 500 ms at 100k records.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("passport dentist climbing rope kitchen garden meeting berlin lisbon coffee tea budget invoice python "
         "sqlite memory note travel train bike router tomatoes frost dinner birthday project deadline").split()
TYPES = ("episodic", "episodic", "episodic", "semantic", "procedural")


def build(path: Path, count: int) -> float:
    from memcli.models import Record, content_hash
    from memcli.store import open_db, records

    rng = random.Random(9)
    store = open_db(path)
    start = time.perf_counter()
    with store.transaction():
        for i in range(count):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30))) + f" (note {i})"
            at = f"{2019 + i * 6 // count}-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"
            records.insert(store, Record(type=TYPES[i % len(TYPES)], text=text, observed_at=at, created_at=at,
                                         source=f"/notes/topic-{i % 40}.md", session=f"s{i // 25}",
                                         tags=[rng.choice(WORDS)] if i % 7 == 0 else [],
                                         content_hash=content_hash(text)))
    store.close()
    return time.perf_counter() - start


# Runs in a fresh interpreter so that imports are cold, as they are for `mem tui`.
PROBE = r"""
import asyncio, json, sys, time
t0 = time.perf_counter()
from memcli.tui.app import make_app
from memcli.tui.testing import settle
t1 = time.perf_counter()
extra = sys.argv[2] == "1"

async def main():
    app = make_app(__import__("pathlib").Path(sys.argv[1]))
    out = {}
    async with app.run_test(size=(80, 24)) as pilot:
        while True:  # the first page is on screen once the table has rows
            screen = app.screen
            table = screen.query("#records").first() if screen.is_mounted else None
            if table is not None and table.row_count:
                break
            await pilot.pause(0.002)
        out["paint_ms"] = (time.perf_counter() - t1) * 1000
        out["rows"] = table.row_count
        if extra:
            start = time.perf_counter()
            await pilot.press("end")            # next page as the cursor nears the end
            await settle(pilot)
            out["next_page_ms"] = (time.perf_counter() - start) * 1000
            out["rows_after_end"] = table.row_count
            start = time.perf_counter()
            await pilot.press("slash", *"passport dentist")
            await pilot.pause(0.3)                # the debounce
            await settle(pilot)
            out["search_ms_after_debounce"] = (time.perf_counter() - start) * 1000 - 300
            out["hits"] = table.row_count
            start = time.perf_counter()
            await pilot.press(*["backspace"] * 7, *"rope")   # "passport rope": the index is warm now
            await pilot.pause(0.3)
            await settle(pilot)
            out["search2_ms_after_debounce"] = (time.perf_counter() - start) * 1000 - 300
    return out

result = asyncio.run(main())
result["import_ms"] = (t1 - t0) * 1000
print(json.dumps(result))
"""


def probe(db: Path, extra: bool) -> dict:
    env = {**os.environ, "MEM_HOME": str(db.parent)}
    env.pop("MEM_DB", None)
    done = subprocess.run([sys.executable, "-c", PROBE, str(db), "1" if extra else "0"], env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", type=Path, help="reuse (or create) this database file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "mem.db"
        if not db.exists():
            seconds = build(db, args.records)
            print(f"built {args.records:,} records in {seconds:.1f} s ({db})")
        samples = [probe(db, extra=False) for _ in range(args.runs)]
        for key in ("import_ms", "paint_ms"):
            values = [s[key] for s in samples]
            print(f"{key[:-3]:8s} median {statistics.median(values):6.0f} ms   (min {min(values):.0f}, "
                  f"max {max(values):.0f}, {args.runs} cold runs)")
        totals = [s["import_ms"] + s["paint_ms"] for s in samples]
        print(f"total    median {statistics.median(totals):6.0f} ms   first page: {samples[0]['rows']} rows")
        once = probe(db, extra=True)
        print(f"End (next page):   {once['next_page_ms']:.0f} ms, {once['rows_after_end']} rows loaded")
        print(f"first search:      {once['search_ms_after_debounce']:.0f} ms after the debounce "
              f"({once['hits']} hits; includes syncing the search index on a fresh db)")
        print(f"next search:       {once['search2_ms_after_debounce']:.0f} ms after the debounce")


if __name__ == "__main__":
    main()
