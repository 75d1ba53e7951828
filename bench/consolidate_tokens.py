"""Prompt tokens per consolidated episode on LoCoMo-format conversations, against a local stub.

    python bench/consolidate_tokens.py ../shared/data/locomo-dev.json [--conversations 2]

Each conversation is ingested into a temporary store and consolidated with `openai/stub-model`
pointed at an OpenAI-compatible stub on 127.0.0.1 (a real HTTP round trip through litellm). The
stub answers like a model would in shape: one fact per four episodes, made of that episode's own
content words (so that it passes the support check), then ADD for every candidate. Prompt
tokens are counted with litellm's tokenizer on what the stub received.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.llm_stub import Reply, StubServer  # noqa: E402


class ShapedStub(StubServer):
    def _next(self, body):
        with self._lock:
            self.requests.append(body)
        user = body["messages"][-1]["content"]
        if "<episodes>" in user:
            lines = re.findall(r'^\[(\d+)\] \S+ (\w+): (".*")$', user, re.M)
            items = [{"text": f"{who} talked about " + " ".join(sorted(set(re.findall(r"[A-Za-z]{4,}", json.loads(text))))),
                      "sources": [int(n)]} for n, who, text in lines[::4]]
            return Reply(json.dumps({"items": items}))
        candidates = re.findall(r"^(c\d+) ", user, re.M)
        return Reply(json.dumps({"ops": [{"candidate": c, "op": "ADD"} for c in candidates]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--conversations", type=int, default=2)
    args = parser.parse_args()
    stub = ShapedStub().start()
    os.environ["OPENAI_API_KEY"] = "stub"
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    from memcli.readers.locomo import LocomoReader, conversation_items
    from memcli.services import consolidate
    from memcli.services.ingest import ingest_items
    from memcli.store import open_db
    import litellm

    samples = LocomoReader().load(args.file)[: args.conversations]
    total_prompt = total_episodes = 0
    for index, sample in enumerate(samples):
        with tempfile.TemporaryDirectory() as home:
            os.environ["MEM_HOME"] = home
            Path(home, "config.toml").write_text(
                f'[llm]\nmodel = "openai/stub-model"\napi_base = "{stub.api_base}"\n[embed]\nmodel = "none"\n')
            store = open_db(Path(home) / "mem.db")
            episodes = ingest_items(store, conversation_items(sample, index), source="locomo").added
            first = len(stub.requests)
            started = time.perf_counter()
            report = consolidate.run(store, model="openai/stub-model")
            elapsed = time.perf_counter() - started
            prompts = [litellm.token_counter(model="gpt-4o-mini", messages=r["messages"]) for r in stub.requests[first:]]
            total_prompt += sum(prompts)
            total_episodes += episodes
            print(f"{sample.get('sample_id')}: {episodes} episodes, {len(prompts)} calls, "
                  f"{sum(prompts) / episodes:.0f} prompt tokens/episode, ops {report.counts()}, {elapsed:.1f} s")
    print(f"overall: {total_prompt / total_episodes:.0f} prompt tokens per consolidated episode "
          f"({total_prompt} tokens, {total_episodes} episodes)")
    stub.stop()


if __name__ == "__main__":
    main()
