"""Which model to call, from `--model` or the config (`llm.model`, `llm.api_base`, `llm.timeout`,
`llm.connect_timeout`).

Kept apart from the client so that deciding "is there a model at all?" imports nothing heavy.
Two timeouts, because they fail for different reasons: connecting should take milliseconds (a
provider that does not accept a connection within ~2 s is not there, and `mem ask` falls back at
once), while a small model on a CPU can take a minute or more to write its answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from memcli import config
from memcli.errors import MemError


@dataclass
class Settings:
    model: str
    api_base: str | None
    timeout: float              # seconds to wait for the answer once connected
    connect_timeout: float = 2.0
    timeout_key: str = "llm.timeout"  # the setting a user raises when answers take longer

    @classmethod
    def resolve(cls, model: str | None = None) -> "Settings | None":
        """The model to use: `--model`, else `llm.model`; None when neither names one."""
        data = config.load()
        name = (model or config.get("llm.model", data) or "").strip()
        if not name:
            return None
        return cls(name, str(config.get("llm.api_base", data) or "").strip() or None,
                   seconds("llm.timeout", data), seconds("llm.connect_timeout", data))


def seconds(key: str, data: dict[str, Any] | None = None) -> float:
    """A positive number of seconds from the config, or a MemError naming the key."""
    default = config.DEFAULTS[key]
    raw = config.get(key, data)
    try:
        value = float(default if raw is None or raw == "" else raw)
    except (TypeError, ValueError) as exc:
        raise MemError(f"{key} must be a number of seconds", f"mem config set {key} {default}") from exc
    if value <= 0:
        raise MemError(f"{key} must be positive", f"mem config set {key} {default}")
    return value
