"""The local embedder that ships with mem: offline, no API key, nothing downloaded at run time."""

from __future__ import annotations

from memcli.embed import Embedder, EmbedderUnavailable


def load_default() -> Embedder:
    raise EmbedderUnavailable("no local embedding model is installed")
