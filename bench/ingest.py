"""Ingest throughput and peak memory on a synthetic ChatGPT-style export.

    python bench/ingest.py [--messages 50000] [--per-conversation 20] [--embed]

Writes a `conversations.json` with a `mapping` tree per conversation (a hidden system root,
user/assistant turns, an edited question every fifth conversation), then runs `mem ingest` on it
in a child process with a temporary MEM_HOME, twice (the second run must add nothing). Reports
turns/s and the child's peak RSS (getrusage ru_maxrss), next to the peak of a trivial `mem list`
for the interpreter's own share. Vectors are off unless --embed (then the configured embedder runs).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

WORDS = ("garden train passport dentist lisbon sourdough marathon invoice boiler library kayak rota "
         "meeting budget flight hotel recipe tomato allotment insurance bicycle helmet ferry porto "
         "birthday dinner timer battery starter ratio weekend report deadline").split()
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True)\n"
    "took = time.perf_counter() - start\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime\n"
    "sys.stderr.buffer.write(done.stderr)\n"
    "print(done.returncode, took, peak, cpu)\n"
    "sys.stdout.write(done.stdout.decode())\n"
)


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40))).capitalize() + "."


def message(node_id: str, role: str, text: str, when: float | None, hidden: bool = False) -> dict[str, Any]:
    return {"id": node_id, "author": {"role": role, "name": None, "metadata": {}}, "create_time": when,
            "content": {"content_type": "text", "parts": [text]}, "status": "finished_successfully",
            "recipient": "all", "metadata": {"is_visually_hidden_from_conversation": hidden}}


def conversation(index: int, turns: int, rng: random.Random) -> dict[str, Any]:
    conv_id = f"conv-{index:06d}"
    start = 1_700_000_000 + index * 3600.0
    mapping: dict[str, Any] = {}
    root = f"{conv_id}-root"
    mapping[root] = {"id": root, "message": message(root, "system", "", None, hidden=True), "parent": None, "children": []}
    parent = root
    for turn in range(turns):
        node_id = f"{conv_id}-{turn}"
        role = "user" if turn % 2 == 0 else "assistant"
        mapping[node_id] = {"id": node_id, "message": message(node_id, role, sentence(rng), start + turn * 30),
                            "parent": parent, "children": []}
        mapping[parent]["children"].append(node_id)
        if index % 5 == 0 and turn == 2:  # an abandoned branch: the question before it was edited
            old = f"{node_id}-old"
            mapping[old] = {"id": old, "message": message(old, "user", sentence(rng), start + turn * 30 - 5),
                            "parent": parent, "children": []}
            mapping[parent]["children"].insert(0, old)
        parent = node_id
    return {"title": f"Conversation {index}", "create_time": start, "update_time": start + turns * 30,
            "mapping": mapping, "current_node": parent, "conversation_id": conv_id, "id": conv_id}


def write_export(path: Path, messages: int, per_conversation: int) -> int:
    rng = random.Random(7)
    count = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[")
        index = 0
        while count < messages:
            turns = min(per_conversation, messages - count)
            fh.write(("," if index else "") + json.dumps(conversation(index, turns, rng)))
            count += turns
            index += 1
        fh.write("]")
    return count


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """(wall seconds, peak RSS in MB, CPU seconds, stdout) of one child process."""
    done = subprocess.run([sys.executable, "-c", MEASURE, *cmd], env=env, capture_output=True, text=True, check=True)
    first, _, rest = done.stdout.partition("\n")
    code, took, peak_kb, cpu = first.split()
    if code != "0":
        raise SystemExit(f"{' '.join(cmd)} exited {code}: {done.stderr}")
    return float(took), int(peak_kb) / 1024, float(cpu), rest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--per-conversation", type=int, default=20)
    parser.add_argument("--embed", action="store_true", help="keep the configured embedder (default: vectors off)")
    args = parser.parse_args()
    mem = [sys.executable, "-m", "memcli"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MEM_HOME": str(Path(tmp) / "home")}
        env.pop("MEM_DB", None)
        export = Path(tmp) / "conversations.json"
        turns = write_export(export, args.messages, args.per_conversation)
        size_mb = export.stat().st_size / 1e6
        if not args.embed:
            subprocess.run([*mem, "config", "set", "embed.model", "none"], env=env, check=True, capture_output=True)
        _, base_mb, _, _ = measure([*mem, "list"], env)
        took, peak_mb, cpu, out = measure([*mem, "ingest", str(export), "--json"], env)
        added = json.loads(out)["added"]
        again, again_mb, _, out2 = measure([*mem, "ingest", str(export), "--json"], env)
        readded = json.loads(out2)["added"]
        print(f"export: {turns} visible turns, {size_mb:.1f} MB ({turns // args.per_conversation} conversations)")
        print(f"first ingest:  {added} added in {took:.1f} s = {added / took:,.0f} turns/s "
              f"({cpu:.1f} s CPU = {added / cpu:,.0f} turns/CPU-s), peak RSS {peak_mb:.0f} MB")
        print(f"second ingest: {readded} added in {again:.1f} s = {turns / again:,.0f} turns/s checked, "
              f"peak RSS {again_mb:.0f} MB")
        print(f"baseline `mem list` peak RSS {base_mb:.0f} MB")


if __name__ == "__main__":
    main()
