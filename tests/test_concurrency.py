"""Several processes adding at once: nothing lost, no 'database is locked'."""

from __future__ import annotations

import os
import subprocess
import sys


def test_parallel_adds_lose_nothing(mem, mem_home):
    mem("add", "warm up")  # the schema exists before the race starts
    script = (
        "import sys\n"
        "from memcli.cli import main\n"
        "worker = sys.argv[1]\n"
        "for i in range(15):\n"
        "    sys.argv = ['mem', 'add', f'worker {worker} note {i}']\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as exit:\n"
        "        assert not exit.code, exit.code\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(w)], env=os.environ.copy(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for w in range(6)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        assert b"locked" not in err
    texts = {r["text"] for r in mem.json("list", "--limit", "1000")}
    assert len(texts) == 1 + 6 * 15
