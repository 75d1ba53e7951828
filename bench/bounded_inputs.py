"""Peak memory and time of `mem ingest` on small hostile files (issue 17, item 5).

    python bench/bounded_inputs.py [--limit-gib 4] [--depth 100000] [--code-dir DIR]

Cases, written to a temporary folder: a ~200 KB "ChatGPT export" whose message parts nest
`--depth` brackets deep, and a ~370-byte note whose front matter is a YAML alias bomb (9^8
strings once expanded). Each is ingested by `python -m memcli` in a subprocess whose address
space is capped at `--limit-gib` (RLIMIT_AS), into a fresh MEM_HOME; the peak RSS comes from
wait4. `--code-dir` runs another checkout's memcli (e.g. `git archive HEAD~5 | tar -x -C /tmp/old`)
to compare before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def nested_export(path: Path, depth: int) -> Path:
    path.write_text('[{"title": "deep", "mapping": {"a": {"id": "a", "message": {"content": {"content_type": "text", '
                    '"parts": ' + "[" * depth + "]" * depth + "}}}}}]")
    return path


def alias_bomb(path: Path, levels: int = 8) -> Path:
    names = "abcdefghijklmnop"[:levels]
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]" for prev, cur in zip(names, names[1:])]
    path.write_text("---\n" + "\n".join(lines) + "\n---\n# Bomb\n\nA note whose front matter is an alias bomb.\n")
    return path


def run(file: Path, home: Path, limit: int, code_dir: str | None) -> tuple[int, float, float, str]:
    env = {**os.environ, "MEM_HOME": str(home), "MEM_EMBED_MODEL": "none", "MEM_LOAD_PLUGINS": ""}
    if code_dir:
        env["PYTHONPATH"] = code_dir

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "memcli", "ingest", str(file)], env=env, preexec_fn=cap, cwd=home.parent,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    last = err.strip().splitlines()[-1] if err.strip() else ""
    return proc.returncode, time.monotonic() - start, usage.ru_maxrss / 1024, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit-gib", type=float, default=4.0)
    parser.add_argument("--depth", type=int, default=100_000)
    parser.add_argument("--code-dir", help="a checkout whose memcli to run instead of this one")
    args = parser.parse_args()
    limit = int(args.limit_gib * 2**30)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = {f"nested JSON, depth {args.depth:,}": nested_export(folder / "conversations.json", args.depth),
                 "YAML alias bomb in front matter": alias_bomb(folder / "bomb.md")}
        for number, (label, file) in enumerate(cases.items()):
            code, seconds, peak, last = run(file, folder / f"home{number}", limit, args.code_dir)
            print(f"{label} ({file.stat().st_size:,} bytes): exit {code}, {seconds:.1f} s, "
                  f"peak RSS {peak:,.0f} MB (cap {args.limit_gib:g} GiB)\n    {last[:160]}")


if __name__ == "__main__":
    main()
