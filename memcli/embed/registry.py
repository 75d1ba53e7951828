"""Choosing the embedder named in the config, with plugins' embedders included."""

from __future__ import annotations

from typing import Callable

from memcli import config
from memcli.embed import Embedder, EmbedderUnavailable

Factory = Callable[[str], Embedder]


def _litellm(spec: str) -> Embedder:
    from memcli.embed.remote import LiteLLMEmbedder

    return LiteLLMEmbedder(spec, api_base=config.get("embed.api_base") or None)


def _fastembed(spec: str) -> Embedder:
    from memcli.embed.remote import FastEmbedEmbedder

    return FastEmbedEmbedder(spec)


def _local(spec: str) -> Embedder:
    from memcli.embed.local import load_default

    return load_default()


def factories() -> dict[str, Factory]:
    """Prefix -> factory. Plugins add theirs through the register_embedders hook."""
    found: dict[str, Factory] = {"default": _local, "litellm": _litellm, "fastembed": _fastembed}
    try:
        from memcli.plugins import registered_embedders
    except ImportError:
        return found
    found.update(registered_embedders())
    return found


def configured_name() -> str:
    return str(config.get("embed.model") or "default")


def get_embedder(name: str | None = None) -> Embedder | None:
    """The embedder to use, or None for full-text only. Raises EmbedderUnavailable on failure."""
    name = name or configured_name()
    if name == "none":
        return None
    prefix, _, rest = name.partition("/")
    factory = factories().get(prefix)
    if factory is None:
        raise EmbedderUnavailable(f"unknown embedder {name!r} (use default, none, litellm/<model> or fastembed/<model>)")
    return factory(rest)
