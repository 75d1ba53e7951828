"""One small wrapper over litellm that every LLM feature goes through.

Failures fall in two groups. A provider that does not answer usefully (unreachable, timeout,
rate limit or 5xx after retries) raises `LLMUnavailable`, whose `kind` tells "cannot reach"
from "answered with an error": callers such as `mem ask` may fall back to an offline answer. A
setup the user must fix (unknown model string, missing key, unknown model at the provider, a
rejected request) raises `MemError` (one line, exit 2).

Every request is sent with temperature 0 (a server default of 0.8 makes answers change between
runs) and with a connect timeout kept apart from the answer timeout (see settings.py).
"""

from __future__ import annotations

import os
import random
import socket
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from memcli.errors import MemError
from memcli.llm import jsonout
from memcli.llm.settings import Settings
from memcli.store import Store, llm_calls

if TYPE_CHECKING:
    from pydantic import BaseModel

T = TypeVar("T", bound="BaseModel")

BACKOFF_BASE = 1.0  # seconds; doubled per retry (tests lower it)
BACKOFF_CAP = 20.0  # never wait longer than this, whatever Retry-After says
SLOW_SHARE = 0.5  # a reply taking more than this share of the timeout earns a notice
# OpenAI-compatible local servers (llama.cpp, LM Studio, vLLM, ...) ignore the key, but the
# OpenAI client refuses to send a request without one.
NO_KEY = "no-key-needed"
__all__ = ["Client", "Completion", "LLMBadOutput", "LLMUnavailable", "Settings", "Structured", "import_litellm"]
KEY_HINT = "set the provider's key in the environment, e.g. OPENAI_API_KEY (any value for a local server)"
MODEL_HINT = ("use a litellm model string such as openai/gpt-4o-mini, anthropic/claude-3-5-haiku-latest "
              "or ollama/llama3.2")


class LLMUnavailable(MemError):
    """The provider did not answer usefully. `kind`: unreachable (no connection), timeout (no
    answer in time), server_error (it answered with HTTP 5xx) or rate_limited."""

    def __init__(self, message: str, hint: str | None = None, *, kind: str = "unreachable",
                 status: int | None = None) -> None:
        super().__init__(message, hint)
        self.kind = kind
        self.status = status


class LLMBadOutput(MemError):
    """The model's reply did not match the requested JSON schema, even after one repair."""


def import_litellm() -> Any:
    """litellm, configured for a CLI. Without the env var it downloads a price list at import."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        import litellm
    except ImportError as exc:
        raise MemError("litellm is not installed, so no model can be called",
                       "pip install 'litellm>=1.80,!=1.107.0', or use mem ask --offline") from exc

    litellm.suppress_debug_info = True  # otherwise it prints "Give Feedback" banners on stdout
    litellm.telemetry = False
    import logging

    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm", "httpx"):
        logging.getLogger(name).setLevel(logging.CRITICAL)  # errors reach the user through us
    return litellm


def check_model(settings: Settings) -> str:
    """The provider litellm routes `settings.model` to, or a MemError for a string it cannot."""
    try:
        return str(import_litellm().get_llm_provider(settings.model, api_base=settings.api_base)[1])
    except Exception as exc:  # litellm raises BadRequestError for a string it cannot route
        raise MemError(f"unknown model {settings.model!r}: litellm cannot tell its provider", MODEL_HINT) from exc


@dataclass
class Completion:
    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    duration_ms: float = 0.0
    calls: int = 1

    def add(self, other: "Completion") -> None:
        """Fold a follow-up call (a repair) into this one's totals."""
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        if other.cost_usd is not None:
            self.cost_usd = (self.cost_usd or 0.0) + other.cost_usd
        self.duration_ms += other.duration_ms
        self.calls += other.calls


@dataclass
class Structured(Generic[T]):
    value: T
    completion: Completion


class Client:
    def __init__(self, store: Store, settings: Settings, *, retries: int = 2, run_id: str | None = None) -> None:
        self.litellm = import_litellm()
        self.store = store
        self.settings = settings
        self.retries = retries
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self._json_schema_ok = True  # flipped when a provider rejects response_format
        self._connect_checked = False
        self.slow_notice: str | None = None  # set when a reply came close to the timeout
        self.provider = check_model(settings)

    @property
    def model(self) -> str:
        return self.settings.model

    def complete(self, messages: list[dict[str, str]], *, purpose: str, max_tokens: int = 400,
                 timeout: float | None = None, response_format: Any = None) -> Completion:
        """One chat completion, retried on rate limits and 5xx. Every attempt is accounted."""
        import httpx

        read = timeout or self.settings.timeout
        limits = httpx.Timeout(read, connect=min(self.settings.connect_timeout, read))
        self._check_connect()
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = self.litellm.completion(
                    model=self.model, messages=messages, api_base=self.settings.api_base,
                    timeout=limits, max_tokens=max_tokens, temperature=0,
                    max_retries=0,  # the OpenAI client retries twice by default; we retry ourselves
                    drop_params=True, response_format=response_format, **self._key(),
                )
            except Exception as exc:  # litellm maps provider errors onto many classes
                elapsed = (time.perf_counter() - started) * 1000
                self._account(purpose, elapsed, ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
                delay = self._retry_delay(exc, attempt)
                if delay is None:
                    raise self._translate(exc, read) from exc
                attempt += 1
                time.sleep(delay)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            result = self._completion(response, elapsed)
            self._account(purpose, elapsed, ok=True, result=result)
            if elapsed / 1000 > SLOW_SHARE * read:
                self.slow_notice = (f"{self.model} took {elapsed / 1000:.0f} s of the {read:g} s allowed "
                                    f"({self.settings.timeout_key}); a slower reply will time out: "
                                    f"mem config set {self.settings.timeout_key} {suggested(read)}")
            return result

    def _key(self) -> dict[str, str]:
        """A placeholder key for an OpenAI-compatible server at api_base when none is set."""
        if self.settings.api_base and self.provider == "openai" and not os.environ.get("OPENAI_API_KEY"):
            return {"api_key": NO_KEY}
        return {}

    def _check_connect(self) -> None:
        """litellm honours a separate connect timeout for OpenAI-style providers only; for the
        others (Ollama, ...) at an api_base, one TCP connect tells within seconds whether
        anything is there, instead of waiting out the answer timeout."""
        if self._connect_checked or not self.settings.api_base or self.provider in ("openai", "azure"):
            return
        from urllib.parse import urlsplit

        parts = urlsplit(self.settings.api_base)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if parts.hostname:
            try:
                socket.create_connection((parts.hostname, port), timeout=self.settings.connect_timeout).close()
            except OSError as exc:
                reason = "no connection" if isinstance(exc, socket.timeout) else (exc.strerror or str(exc))
                raise LLMUnavailable(f"cannot reach {self.model} at {self.settings.api_base}: {reason} "
                                     f"within {self.settings.connect_timeout:g} s",
                                     "check the provider is running", kind="unreachable") from None
        self._connect_checked = True

    def structured(self, messages: list[dict[str, str]], schema: type[T], *, purpose: str,
                   max_tokens: int = 400) -> Structured[T]:
        """A reply parsed into `schema`. One repair request when the first reply does not fit."""
        first = self._complete_json(messages, schema, purpose, max_tokens)
        try:
            return Structured(jsonout.parse(first.text, schema), first)
        except jsonout.OutputError as error:
            problem = str(error)
        repair = [*messages, {"role": "assistant", "content": first.text[:2000]},
                  {"role": "user", "content": jsonout.repair_request(problem, schema)}]
        second = self._complete_json(repair, schema, f"{purpose}.repair", max_tokens)
        first.add(second)
        try:
            return Structured(jsonout.parse(second.text, schema), first)
        except jsonout.OutputError as error:
            raise LLMBadOutput(f"{self.model} did not reply with valid JSON twice ({error})",
                               "try another model with --model") from None

    def _complete_json(self, messages: list[dict[str, str]], schema: type[T], purpose: str,
                       max_tokens: int) -> Completion:
        if self._json_schema_ok:
            try:
                return self.complete(messages, purpose=purpose, max_tokens=max_tokens, response_format=schema)
            except MemError as error:
                # Some OpenAI-compatible servers reject json_schema; the prompt still asks for JSON.
                if "response_format" not in error.message and "json_schema" not in error.message:
                    raise
                self._json_schema_ok = False
        return self.complete(messages, purpose=purpose, max_tokens=max_tokens)

    def _completion(self, response: Any, elapsed_ms: float) -> Completion:
        usage = getattr(response, "usage", None)
        try:
            cost = float(self.litellm.completion_cost(completion_response=response))
        except Exception:  # models missing from litellm's price list (local, custom) have no cost
            cost = None
        return Completion(
            text=response.choices[0].message.content or "", model=self.model,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cost_usd=cost, duration_ms=elapsed_ms,
        )

    def _account(self, purpose: str, elapsed_ms: float, *, ok: bool, result: Completion | None = None,
                 error: str | None = None) -> None:
        llm_calls.record(
            self.store, purpose=purpose, model=self.model, ok=ok, error=error, run_id=self.run_id,
            duration_ms=round(elapsed_ms, 1),
            prompt_tokens=result.prompt_tokens if result else 0,
            completion_tokens=result.completion_tokens if result else 0,
            cost_usd=result.cost_usd if result else None,
        )

    def _retry_delay(self, exc: Exception, attempt: int) -> float | None:
        """Seconds to wait before retrying `exc`, or None when it is not worth retrying.
        Rate limits and 5xx replies are; timeouts (already slow) and refused connections are not."""
        if attempt >= self.retries:
            return None
        status = getattr(exc, "status_code", None)
        server_error = answered(exc) and isinstance(status, int) and status >= 500
        if not (isinstance(exc, self.litellm.RateLimitError) or server_error):
            return None
        headers = getattr(exc, "litellm_response_headers", None) or {}
        try:
            wait = float(headers.get("retry-after"))  # type: ignore[arg-type]  # None -> TypeError -> backoff
        except (TypeError, ValueError):
            wait = BACKOFF_BASE * 2 ** attempt * (1 + random.random() / 4)
        return min(max(wait, 0.0), BACKOFF_CAP)

    def _translate(self, exc: Exception, read: float) -> MemError:
        lit = self.litellm
        text = " ".join(str(exc).split())[:300]
        where = f" at {self.settings.api_base}" if self.settings.api_base else ""
        if isinstance(exc, lit.Timeout) or _in_chain(exc, "ConnectTimeout", "ReadTimeout", "APITimeoutError"):
            if _in_chain(exc, "ConnectTimeout"):
                return LLMUnavailable(f"cannot reach {self.model}{where}: no connection within "
                                      f"{self.settings.connect_timeout:g} s", "check the provider is running",
                                      kind="unreachable")
            key = self.settings.timeout_key
            return LLMUnavailable(f"{self.model} did not answer within {read:g} s ({key}; a slow local "
                                  f"model may need more: mem config set {key} {suggested(read)})",
                                  f"raise {key} or check the provider", kind="timeout")
        if "Missing credentials" in text:  # the OpenAI client's check, raised before any request
            return MemError(f"{self.model}: no API key found", KEY_HINT)
        if isinstance(exc, (lit.AuthenticationError, lit.PermissionDeniedError)):
            return MemError(f"{self.model}: the provider refused the credentials ({text[:150]})", KEY_HINT)
        if isinstance(exc, lit.NotFoundError):
            return MemError(f"{self.model}: the provider{where} does not know this model", MODEL_HINT)
        if isinstance(exc, lit.BadRequestError) and not isinstance(exc, lit.ContextWindowExceededError):
            return MemError(f"{self.model} rejected the request: {text}", "check the model string and llm.api_base")
        if isinstance(exc, lit.RateLimitError):
            return LLMUnavailable(f"{self.model} is rate-limited (still after {self.retries} retries)",
                                  "wait and try again", kind="rate_limited", status=429)
        status = getattr(exc, "status_code", None)
        if answered(exc) and isinstance(status, int):
            detail = str(getattr(exc, "message", "") or text).split(" - ", 1)[-1][:200]
            return LLMUnavailable(f"{self.model}{where} answered with HTTP {status}: {detail}",
                                  "the server is up but failing: check its log", kind="server_error", status=status)
        return LLMUnavailable(f"cannot reach {self.model}{where}: {text}", "check the provider is running",
                              kind="unreachable")


def answered(exc: Exception) -> bool:
    """Did an HTTP server reply? litellm reports a refused connection as a 500 too, but with a
    placeholder response that carries no headers."""
    headers = getattr(exc, "litellm_response_headers", None)
    if headers is None:
        headers = getattr(getattr(exc, "response", None), "headers", None)
    return bool(headers) and not _in_chain(exc, "ConnectError", "APIConnectionError", "ConnectTimeout")


def _in_chain(exc: BaseException, *names: str) -> bool:
    """Whether an exception of one of these class names is `exc` or caused it (bounded walk)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if any(cls.__name__ in names for cls in type(seen).__mro__):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def suggested(seconds: float) -> int:
    """A timeout worth trying next: about three times the current one, in round figures."""
    return int(max(60, round(seconds * 3 / 60) * 60))
