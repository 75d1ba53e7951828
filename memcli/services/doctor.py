"""What `mem doctor` reports: the setup, and whether the configured model answers.

litellm is imported only when a model is configured, so a plain doctor stays fast.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from memcli import __version__, config, paths
from memcli.errors import MemError
from memcli.store import Store, info
from memcli.store.schema_version import SCHEMA_VERSION

PROBE_TIMEOUT = 10.0  # seconds: a health check must not wait out a 60 s answer timeout


def collect(store: Store, *, probe: bool = True) -> dict[str, Any]:
    from memcli.embed.registry import configured_name

    db = info.file_info(store)
    return {
        "version": __version__,
        "python": sys.version.split()[0],
        "config_path": str(paths.config_path()),
        "db": {**db, "schema_expected": SCHEMA_VERSION},
        "embedder": configured_name(),
        "llm": llm_status(store, probe=probe),
    }


def llm_status(store: Store, *, probe: bool = True) -> dict[str, Any]:
    status: dict[str, Any] = {"model": config.get("llm.model") or None, "api_base": config.get("llm.api_base") or None,
                              "timeout": config.get("llm.timeout"), "reachable": None, "latency_ms": None,
                              "error": None}
    if not status["model"] or not probe:
        return status
    from memcli.llm.client import Client, Settings

    try:
        settings = Settings.resolve()
        assert settings is not None  # a model is configured
        settings.timeout = min(settings.timeout, PROBE_TIMEOUT)
        client = Client(store, settings, retries=0)
        started = time.perf_counter()  # after the litellm import: latency is the provider's
        client.complete([{"role": "user", "content": "Reply with the single word OK."}],
                        purpose="doctor", max_tokens=5)
    except MemError as error:  # unreachable, timeout, bad model string, missing key
        status.update(reachable=False, error=str(error))
    else:
        status.update(reachable=True, latency_ms=round((time.perf_counter() - started) * 1000))
    return status


def problems(report: dict[str, Any]) -> list[str]:
    """What stops a feature from working (as opposed to information)."""
    found = []
    if report["db"]["sqlite_vec_version"] is None:
        found.append(f"sqlite-vec unavailable ({report['db']['sqlite_vec_error']}): search is full-text only")
    if report["llm"]["reachable"] is False:
        found.append(f"the model does not answer: {report['llm']['error']}")
    return found
