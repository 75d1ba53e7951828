"""Prompt tokens of `mem ask` on LoCoMo questions, counted with litellm's tokenizer.

    python bench/ask_tokens.py ../shared/data/locomo-dev.json [--limit 200]

Runs `mem eval locomo --qa` with `openai/stub-model` pointed at an OpenAI-compatible stub on
127.0.0.1 (a real HTTP round trip through litellm). The stub counts the prompt it received with
litellm's gpt-4o tokenizer, reports that as its usage, and abstains; the eval's tokens per
question are then the prompt sizes a real model would be sent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.llm_stub import Reply, StubServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--limit", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    stub = StubServer().start()
    stub.responder = lambda body: Reply(json.dumps({"answer": "I don't have a memory of that", "citations": []}),
                                        prompt_tokens=litellm.token_counter(model="gpt-4o-mini",
                                                                            messages=body["messages"]))
    with tempfile.TemporaryDirectory() as home:
        os.environ.update(MEM_HOME=home, OPENAI_API_KEY="stub", MEM_LOAD_PLUGINS="")
        Path(home, "config.toml").write_text(f'[llm]\napi_base = "{stub.api_base}"\n')
        from memcli.services.eval_qa import evaluate_qa, summarise_qa

        run = evaluate_qa(args.file, model="openai/stub-model", limit=args.limit, results=Path(home) / "r.jsonl")
        prompts = sorted(r["prompt_tokens"] for r in run.results if r["prompt_tokens"])
    stub.stop()
    summary = summarise_qa(run, [10])
    print(f"{len(run.results)} questions, {len(prompts)} sent to the model: prompt tokens mean "
          f"{sum(prompts) / len(prompts):.0f}, max {prompts[-1]} (embedder {summary['embedder']})")


if __name__ == "__main__":
    main()
