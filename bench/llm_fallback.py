"""How long `mem ask` takes to give the offline answer when the model does not answer usefully.

    python bench/llm_fallback.py [--runs 3]

In one process (litellm imported and warmed up once: a cold `mem ask` adds its ~4 s import to
every case alike), `ask()` runs against a temporary MEM_HOME holding one memory and either the
loopback stub of the tests (tests/llm_stub.py) or a port where nothing listens. Cases: a healthy
stub for reference, a refused connection, a server answering HTTP 500 (retried twice, with
backoff), and one that hangs past `llm.timeout` (2 s here). Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.llm_stub import Reply, StubServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    stub = StubServer().start()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    with tempfile.TemporaryDirectory() as home:
        os.environ.update(MEM_HOME=home, MEM_EMBED_MODEL="none", MEM_LOAD_PLUGINS="", OPENAI_API_KEY="bench",
                          MEM_LLM_MODEL="openai/stub-model", MEM_LLM_TIMEOUT="2")
        from memcli.services.answer import ask
        from memcli.store import open_db
        from memcli.models import Record, content_hash
        from memcli.store import records

        store = open_db()
        with store.transaction():
            text = "Renewed my passport at the post office"
            records.insert(store, Record(type="episodic", text=text, observed_at="2024-03-02T10:00:00Z",
                                         created_at="2024-03-02T10:00:00Z", content_hash=content_hash(text)))
        ok = json.dumps({"answer": "At the post office [1].", "citations": [1]})
        cases = {
            "healthy stub": (stub.api_base, [Reply(ok)]),
            "refused connection": (f"http://127.0.0.1:{closed.getsockname()[1]}/v1", []),
            "HTTP 500 (retried twice)": (stub.api_base, [Reply(status=500)] * 3),
            "hangs past llm.timeout=2": (stub.api_base, [Reply(ok, delay=10)]),
        }
        os.environ["MEM_LLM_API_BASE"] = stub.api_base
        stub.queue(Reply(ok))
        ask(store, "where did I renew my passport")  # warm-up: imports and the first connection
        for name, (base, replies) in cases.items():
            os.environ["MEM_LLM_API_BASE"] = base
            samples = []
            for _ in range(args.runs):
                stub.queue(*replies)
                started = time.perf_counter()
                answer = ask(store, "where did I renew my passport")
                samples.append(time.perf_counter() - started)
            how = "offline fallback" if answer.offline else "model answer"
            print(f"{name:26s} {how:16s} median {statistics.median(samples):5.2f} s over {args.runs} runs")
        store.close()
    closed.close()
    stub.stop()


if __name__ == "__main__":
    main()
