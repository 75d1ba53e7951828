"""Which model to call, from `--model` or the config (`llm.model`, `llm.api_base`, `llm.timeout`).

Kept apart from the client so that deciding "is there a model at all?" imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass

from memcli import config
from memcli.errors import MemError


@dataclass
class Settings:
    model: str
    api_base: str | None
    timeout: float

    @classmethod
    def resolve(cls, model: str | None = None) -> "Settings | None":
        """The model to use: `--model`, else `llm.model`; None when neither names one."""
        data = config.load()
        name = (model or config.get("llm.model", data) or "").strip()
        if not name:
            return None
        try:
            timeout = float(config.get("llm.timeout", data) or 60)
        except (TypeError, ValueError) as exc:
            raise MemError("llm.timeout must be a number of seconds", "mem config set llm.timeout 60") from exc
        if timeout <= 0:
            raise MemError("llm.timeout must be positive", "mem config set llm.timeout 60")
        return cls(name, str(config.get("llm.api_base", data) or "").strip() or None, timeout)
