"""Embedders that need a service or a download: litellm (any provider) and fastembed."""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from memcli.embed import EmbedderUnavailable, normalise_rows


class LiteLLMEmbedder:
    def __init__(self, model: str, api_base: str | None = None, batch_size: int = 64) -> None:
        if not model:
            raise EmbedderUnavailable("litellm embedder needs a model: litellm/<provider>/<model>")
        self.model = model
        self.name = f"litellm/{model}"
        self.api_base = api_base
        self.batch_size = batch_size
        self.dim = len(self.embed_query("dimension probe"))

    def _call(self, texts: list[str]) -> np.ndarray:
        from memcli.llm.client import import_litellm

        litellm = import_litellm()
        try:
            response = litellm.embedding(model=self.model, input=texts, api_base=self.api_base, timeout=60)
        except Exception as exc:  # provider errors come in many classes
            raise EmbedderUnavailable(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        return normalise_rows(np.array([item["embedding"] for item in response.data], dtype=np.float32))

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        parts = [self._call(list(texts[i:i + self.batch_size])) for i in range(0, len(texts), self.batch_size)]
        return np.vstack(parts) if parts else np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._call([text])[0]


class FastEmbedEmbedder:
    def __init__(self, model: str) -> None:
        try:
            from fastembed import TextEmbedding
        except ImportError as exc:
            raise EmbedderUnavailable("fastembed is not installed (pip install fastembed)") from exc
        model = model or "BAAI/bge-small-en-v1.5"
        try:
            self._model = TextEmbedding(model_name=model, threads=os.cpu_count())
        except Exception as exc:  # typically: no internet to download the model
            raise EmbedderUnavailable(f"fastembed could not load {model}: {exc}") from exc
        self.name = f"fastembed/{model}"
        self.dim = len(self.embed_query("dimension probe"))

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return normalise_rows(np.array(list(self._model.embed(list(texts))), dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        return normalise_rows(np.array(list(self._model.query_embed([text])), dtype=np.float32))[0]
