"""Text embedders behind one small interface.

`get_embedder()` reads `embed.model` from the config:
- `default`: the local model that ships with mem (see `local.py`), offline, no API key;
- `litellm/<model>`: any litellm embedding model (`litellm/openai/text-embedding-3-small`,
  `litellm/ollama/nomic-embed-text`), with `embed.api_base` if set;
- `fastembed/<model>`: fastembed, for users with internet (it downloads the model once);
- `none`: no vectors; search is full-text only.
When the configured embedder cannot load, search falls back to full-text with a one-line notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Sequence

if TYPE_CHECKING:  # numpy costs ~80 ms to import: only embedders that run pay for it
    import numpy as np


class Embedder(Protocol):
    name: str  # stored in the db with the vectors; a different name means re-embed
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> "np.ndarray": ...

    def embed_query(self, text: str) -> "np.ndarray": ...


class EmbedderUnavailable(Exception):
    """The configured embedder cannot run here (not installed, no weights, no endpoint)."""


def normalise_rows(matrix: "np.ndarray") -> "np.ndarray":
    import numpy as np

    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms
