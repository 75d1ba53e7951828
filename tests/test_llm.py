"""The LLM layer (memcli/llm), `mem doctor`, and the promise that commands which do not call a
model never import litellm (~4 s)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from memcli.errors import MemError
from memcli.llm import jsonout
from memcli.store import open_db
from tests.conftest import run_mem
from tests.llm_stub import Reply, answer
from tests.test_cli import modules_loaded_by


class Pet(BaseModel):
    name: str
    legs: int



@pytest.fixture
def client(stub, monkeypatch) -> Any:
    from memcli.llm.client import Client, Settings

    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setattr("memcli.llm.client.BACKOFF_BASE", 0.01)
    return Client(open_db(), Settings("openai/stub-model", stub.api_base, 5.0))


def rows(client: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in client.store.execute("SELECT * FROM llm_calls ORDER BY id")]


# --- imports: the slow library stays out of every command that does not call a model ----------

@pytest.mark.parametrize("args", [
    ["add", "a note"],
    ["search", "note"],
    ["ask", "note", "--offline"],
    ["ask", "note"],  # no model configured: the offline answer
    ["stats"],
    ["doctor"],  # no model configured: nothing to probe
])
def test_commands_without_a_model_call_never_import_litellm(mem, args):
    mem("add", "warm up note")
    loaded = modules_loaded_by(*args)
    assert [name for name in ("litellm", "openai", "pydantic") if name in loaded] == []


def test_import_litellm_uses_the_local_price_list():
    from memcli.llm.client import import_litellm

    litellm = import_litellm()
    assert os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
    assert litellm.suppress_debug_info is True


# --- the client ---------------------------------------------------------------------------------

def test_complete_accounts_every_call(client, stub):
    stub.queue(Reply("hello", prompt_tokens=11, completion_tokens=3))
    result = client.complete([{"role": "user", "content": "hi"}], purpose="test", max_tokens=5)
    assert (result.text, result.prompt_tokens, result.completion_tokens) == ("hello", 11, 3)
    assert stub.requests[-1]["max_tokens"] == 5 and stub.requests[-1]["messages"][0]["content"] == "hi"
    (row,) = rows(client)
    assert (row["purpose"], row["prompt_tokens"], row["completion_tokens"], row["ok"], row["run_id"]) == \
        ("test", 11, 3, 1, client.run_id)


def test_structured_output_validates_against_the_schema(client, stub):
    stub.queue(Reply(json.dumps({"name": "Rex", "legs": 4})))
    result = client.structured([{"role": "user", "content": "a dog"}], Pet, purpose="test")
    assert result.value == Pet(name="Rex", legs=4)
    schema = stub.requests[-1]["response_format"]["json_schema"]["schema"]
    assert set(schema["properties"]) == {"name", "legs"}


def test_structured_output_gets_one_repair(client, stub):
    from memcli.llm.client import LLMBadOutput

    stub.queue(Reply(json.dumps({"name": "Rex", "legs": "four"})), Reply(json.dumps({"name": "Rex", "legs": 4})))
    assert client.structured([{"role": "user", "content": "a dog"}], Pet, purpose="t").value.legs == 4
    assert "legs" in stub.requests[-1]["messages"][-1]["content"]  # the repair names the problem

    stub.queue(Reply("{"), Reply("still not json"))
    with pytest.raises(LLMBadOutput, match="did not reply with valid JSON twice"):
        client.structured([{"role": "user", "content": "a dog"}], Pet, purpose="t")
    assert len(stub.requests) == 4  # never a third try


def test_server_rejecting_json_schema_gets_plain_json_request(client, stub):
    stub.queue(Reply(status=400, content="response_format json_schema is not supported"),
               Reply(json.dumps({"name": "Tom", "legs": 4})), Reply(json.dumps({"name": "Tim", "legs": 4})))
    assert client.structured([{"role": "user", "content": "a cat"}], Pet, purpose="t").value.name == "Tom"
    assert "response_format" in stub.requests[0] and "response_format" not in stub.requests[1]
    client.structured([{"role": "user", "content": "a cat"}], Pet, purpose="t")
    assert "response_format" not in stub.requests[2]  # remembered for the rest of the run


def test_other_bad_requests_are_setup_errors(client, stub):
    stub.queue(Reply(status=400, content="max_tokens is too large"))
    with pytest.raises(MemError, match="rejected the request"):
        client.complete([{"role": "user", "content": "x"}], purpose="t")
    assert len(stub.requests) == 1


def test_retry_after_is_honoured_and_retries_are_bounded(client, stub, monkeypatch):
    from memcli.llm.client import LLMUnavailable

    waits: list[float] = []
    monkeypatch.setattr("memcli.llm.client.time.sleep", waits.append)
    stub.queue(Reply(status=429, headers={"Retry-After": "0.3"}), Reply("ok"))
    assert client.complete([{"role": "user", "content": "x"}], purpose="t").text == "ok"
    assert waits == [0.3]
    stub.queue(*[Reply(status=502)] * 5)
    with pytest.raises(LLMUnavailable):
        client.complete([{"role": "user", "content": "x"}], purpose="t")
    assert len(stub.requests) == 2 + 3
    assert [r["ok"] for r in rows(client)] == [0, 1, 0, 0, 0]


def test_unknown_model_string_is_a_setup_error(stub):
    from memcli.llm.client import Client, Settings

    with pytest.raises(MemError, match="unknown model 'gibberish'"):
        Client(open_db(), Settings("gibberish", None, 5.0))


def test_settings_come_from_config_or_the_flag(mem):
    from memcli.llm.client import Settings

    assert Settings.resolve() is None
    mem("config", "set", "llm.model", "ollama/llama3.2")
    mem("config", "set", "llm.timeout", "7")
    assert Settings.resolve() == Settings("ollama/llama3.2", None, 7.0, 2.0)
    assert Settings.resolve("openai/x").model == "openai/x"
    mem("config", "set", "llm.connect_timeout", "0.5")
    assert Settings.resolve().connect_timeout == 0.5
    assert "takes a number" in mem("config", "set", "llm.timeout", "soon", code=2).stderr  # refused when set
    config_file = Path(os.environ["MEM_HOME"]) / "config.toml"
    config_file.write_text(config_file.read_text().replace("timeout = 7", 'timeout = "soon"'))  # or edited by hand
    with pytest.raises(MemError, match="llm.timeout"):
        Settings.resolve()
    mem("config", "set", "llm.timeout", "0")
    with pytest.raises(MemError, match="llm.timeout must be positive"):
        Settings.resolve()


def test_the_default_timeouts_suit_a_local_model(mem):
    from memcli.llm.client import Settings

    mem("config", "set", "llm.model", "ollama/llama3.2")
    settings = Settings.resolve()
    assert settings.timeout == 120 and settings.connect_timeout == 2  # one CPU-model answer took 59.6 s


def test_requests_send_temperature_zero_and_a_separate_connect_timeout(client, stub, monkeypatch):
    sent: list[dict[str, Any]] = []
    real = client.litellm.completion
    monkeypatch.setattr(client.litellm, "completion", lambda **kw: sent.append(kw) or real(**kw))
    stub.queue(Reply("hi"))
    client.complete([{"role": "user", "content": "x"}], purpose="t")
    assert stub.requests[-1]["temperature"] == 0
    limits = sent[0]["timeout"]
    assert (limits.connect, limits.read) == (2.0, 5.0)


def test_errors_tell_a_server_error_from_no_connection(client, stub):
    from memcli.llm.client import LLMUnavailable

    stub.queue(*[Reply(status=500, content="CUDA out of memory")] * 3)
    with pytest.raises(LLMUnavailable) as error:
        client.complete([{"role": "user", "content": "x"}], purpose="t")
    assert (error.value.kind, error.value.status) == ("server_error", 500)
    assert "answered with HTTP 500: CUDA out of memory" in error.value.message
    client.settings.api_base = "http://127.0.0.1:9/v1"
    with pytest.raises(LLMUnavailable) as error:
        client.complete([{"role": "user", "content": "x"}], purpose="t")
    assert error.value.kind == "unreachable" and "cannot reach" in error.value.message


@pytest.mark.parametrize("text", [
    '{"name": "Rex", "legs": 4}',
    '```json\n{"name": "Rex", "legs": 4}\n```',
    'Here you go: {"name": "Rex", "legs": 4} Hope that helps.',
    'Sure, see [1] below.\n```json\n{"name": "Rex", "legs": 4}\n```\nAnything else {I can do}?',
    '<think>The user wants {a dog}.</think>\n{"name": "Rex", "legs": 4}',
    'Facts [1]: {"name": "Rex", "legs": 4}',
])
def test_json_replies_in_common_wrappings_parse(text):
    assert jsonout.parse(text, Pet) == Pet(name="Rex", legs=4)


@pytest.mark.parametrize("text, problem", [
    ("no braces", "no JSON object"),
    ('{"name": "Rex", "legs": }', "invalid JSON"),
    ('{"name": "Rex"}', "legs: Field required"),
    ('{"name": "' + "x" * 2_000_001 + '"}', "too long"),
])
def test_bad_json_replies_say_what_is_wrong(text, problem):
    with pytest.raises(jsonout.OutputError, match=problem):
        jsonout.parse(text, Pet)


# --- mem doctor -----------------------------------------------------------------------------------

def test_doctor_without_a_model(mem):
    data = mem.json("doctor")
    assert data["llm"]["model"] is None and data["llm"]["reachable"] is None
    assert data["db"]["schema_version"] == data["db"]["schema_expected"]
    assert data["embedder"] == "none"  # conftest turns vectors off via MEM_EMBED_MODEL
    assert "mem config set llm.model" in mem("doctor").stdout


def doctor_for(mem, stub, monkeypatch, key: bool = True) -> None:
    if key:
        monkeypatch.setenv("OPENAI_API_KEY", "test")
    mem("config", "set", "llm.model", "openai/stub-model")
    mem("config", "set", "llm.api_base", stub.api_base)


def test_doctor_probes_the_configured_model_for_json(mem, stub, monkeypatch):
    doctor_for(mem, stub, monkeypatch)
    stub.queue(Reply('{"ok": true}', prompt_tokens=9, completion_tokens=1))
    data = mem.json("doctor")
    assert data["llm"]["answers"] is True and data["llm"]["json"] is True and data["problems"] == []
    assert stub.requests[-1]["response_format"]["json_schema"]["schema"]["required"] == ["ok"]
    assert mem.json("stats")["llm"]["calls"] == 1
    stub.queue(Reply('{"ok": true}'))
    assert "yes, valid JSON" in mem("doctor").stdout


def test_doctor_reports_a_model_that_does_not_write_json(mem, stub, monkeypatch):
    doctor_for(mem, stub, monkeypatch)
    stub.queue(Reply("OK"), Reply("OK, sure"))
    result = mem("doctor", code=1)
    assert "yes, but not valid JSON" in result.stdout and "try another model" in result.stdout


def test_doctor_tells_a_server_error_from_cannot_reach(mem, stub, monkeypatch):
    doctor_for(mem, stub, monkeypatch)
    stub.queue(Reply(status=500, content="model failed to load"))
    data = json.loads(mem("doctor", "--json", code=1).stdout)["llm"]
    assert (data["reachable"], data["answers"], data["error_kind"], data["http_status"]) == \
        (True, False, "server_error", 500)
    stub.queue(Reply(status=500, content="model failed to load"))
    assert "no, the server replied with an error: openai/stub-model at " in mem("doctor", code=1).stdout

    mem("config", "set", "llm.api_base", "http://127.0.0.1:9/v1")
    data = json.loads(mem("doctor", "--json", code=1).stdout)["llm"]
    assert (data["reachable"], data["error_kind"], data["http_status"]) == (False, "unreachable", None)
    assert "no: cannot reach openai/stub-model" in mem("doctor", code=1).stdout


def test_doctor_with_a_local_server_needs_no_api_key(mem, stub, monkeypatch):
    doctor_for(mem, stub, monkeypatch, key=False)
    stub.queue(Reply('{"ok": true}'))
    assert mem.json("doctor")["llm"]["answers"] is True
    assert stub.requests[-1]["messages"]  # the request reached the server


# --- one real process end to end: stdout must be clean JSON, nothing printed by litellm -----------

def test_ask_in_a_real_process_against_the_stub(mem, stub):
    passport = mem.json("add", "Renewed my passport at the post office", "--at", "2024-03-02")["id"]
    mem("config", "set", "llm.model", "openai/stub-model")
    mem("config", "set", "llm.api_base", stub.api_base)
    stub.queue(Reply(status=503), answer(f"On 2 March 2024 [{passport}].", [passport]))
    done = run_mem("ask", "when did I renew my passport", "--json",
                   env={"OPENAI_API_KEY": "test", "MEM_HOME": os.environ["MEM_HOME"]})
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["citations"] == [passport] and data["offline"] is False
    for noise in (b"LiteLLM", b"litellm", b"Give Feedback", b"Traceback", b"Warning"):
        assert noise not in done.stderr, done.stderr


def test_a_connect_timeout_is_cannot_reach_not_a_slow_model(client):
    """No server accepts within llm.connect_timeout: the user is told it is not there (~2 s),
    not to raise llm.timeout."""
    import httpx

    lit = client.litellm
    try:
        try:
            raise httpx.ConnectTimeout("timed out")
        except httpx.ConnectTimeout as cause:
            raise lit.Timeout(message="Request timed out", model="x", llm_provider="openai") from cause
    except lit.Timeout as exc:
        error = client._translate(exc, 5.0)
    assert error.kind == "unreachable" and "no connection within 2 s" in error.message
