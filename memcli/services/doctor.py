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

PROBE_TIMEOUT = 30.0  # seconds: a health check must not wait out the full answer timeout
PROBE_TOKENS = 30


def collect(store: Store, *, probe: bool = True) -> dict[str, Any]:
    from memcli.embed.registry import configured_name
    from memcli.services.stats import backlog

    db = info.file_info(store)
    return {
        "version": __version__,
        "python": sys.version.split()[0],
        "config_path": str(paths.config_path()),
        "db": {**db, "schema_expected": SCHEMA_VERSION},
        "embedder": configured_name(),
        "backlog": backlog(store),
        "llm": llm_status(store, probe=probe),
    }


def llm_status(store: Store, *, probe: bool = True) -> dict[str, Any]:
    """The configured model, and with `probe` one structured request to it. `reachable`: an
    HTTP server answered at all (a 500 is reachable, a refused connection is not); `answers`:
    it returned a completion; `json`: that completion was the JSON asked for."""
    from memcli.llm.settings import Settings

    settings = Settings.resolve()  # the one place that decides which model, if any
    status: dict[str, Any] = {"model": settings.model if settings else None,
                              "api_base": settings.api_base if settings else None,
                              "timeout": settings.timeout if settings else config.get("llm.timeout"),
                              "connect_timeout": settings.connect_timeout if settings else config.get("llm.connect_timeout"),
                              "reachable": None, "answers": None, "json": None, "latency_ms": None,
                              "error": None, "error_kind": None, "http_status": None}
    if settings is None or not probe:
        return status
    from memcli.llm.client import Client, LLMBadOutput, LLMUnavailable
    from memcli.llm.schemas import Probe

    try:
        settings.timeout = min(settings.timeout, PROBE_TIMEOUT)
        client = Client(store, settings, retries=0)
        started = time.perf_counter()  # after the litellm import: latency is the provider's
        client.structured([{"role": "user", "content": 'Reply with only this JSON object: {"ok": true}'}],
                          Probe, purpose="doctor", max_tokens=PROBE_TOKENS)
    except LLMBadOutput as error:  # it answers, but not with usable JSON: ask and consolidate suffer
        status.update(reachable=True, answers=True, json=False, error=error.message, error_kind="bad_json")
    except LLMUnavailable as error:
        answered = error.kind in ("server_error", "rate_limited")
        status.update(reachable=answered, answers=False, error=error.message, error_kind=error.kind,
                      http_status=error.status)
    except MemError as error:  # bad model string, missing key, model unknown to the provider
        status.update(answers=False, error=str(error), error_kind="setup")
    else:
        status.update(reachable=True, answers=True, json=True,
                      latency_ms=round((time.perf_counter() - started) * 1000))
    return status


def problems(report: dict[str, Any]) -> list[str]:
    """What stops a feature from working (as opposed to information)."""
    found = []
    if report["db"]["sqlite_vec_version"] is None:
        found.append(f"sqlite-vec unavailable ({report['db']['sqlite_vec_error']}): search is full-text only")
    llm = report["llm"]
    if llm["answers"] is False:
        found.append(f"the model does not answer: {llm['error']}")
    elif llm["json"] is False:
        found.append(f"the model answers, but not with valid JSON ({llm['error']}): answers and consolidation "
                     "will often fall back; try another model")
    return found
