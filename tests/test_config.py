"""`mem config`: one declaration per setting; set checks key and type; unset; list says where
each value comes from."""

from __future__ import annotations

import pytest

from tests.conftest import run_mem


def one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_set_get_list(mem, mem_home):
    assert mem("config", "get", "llm.model").stdout.strip() == ""
    mem("config", "set", "llm.model", "ollama/llama3.2")
    mem("config", "set", "llm.timeout", "30")
    assert mem("config", "get", "llm.model").stdout.strip() == "ollama/llama3.2"
    assert mem.json("config", "get", "llm.timeout") == {"key": "llm.timeout", "value": 30, "default": 120,
                                                        "source": "file"}
    assert mem.json("config", "list")["llm.model"]["value"] == "ollama/llama3.2"
    assert 'model = "ollama/llama3.2"' in (mem_home / "config.toml").read_text()


def test_broken_config_file(mem, mem_home):
    mem_home.mkdir(parents=True, exist_ok=True)
    (mem_home / "config.toml").write_text("this is = = not toml")
    result = mem("config", "get", "llm.model", code=2)
    assert "not valid TOML" in result.stderr


@pytest.mark.parametrize("key, value, needle", [
    ("llm.modle", "x", "unknown setting 'llm.modle' (did you mean llm.model?)"),
    ("colour", "red", "unknown setting 'colour'"),
    ("llm.timeout", "soon", "llm.timeout takes a number (got 'soon')"),
    ("llm.timeout", "-1", "llm.timeout takes a number"),
    ("embed.inline_limit", "2.5", "embed.inline_limit takes a whole number"),
    ("hook.ignore", "[1, 2]", "hook.ignore takes a string or a JSON list of strings"),
    ("tui.keys", "x", "unknown setting 'tui.keys'"),
    ("plugins.redact", "x", "unknown setting 'plugins.redact'"),
])
def test_set_refuses_unknown_keys_and_wrong_types(mem, mem_home, key, value, needle):
    mem("config", "set", "llm.model", "kept")
    before = (mem_home / "config.toml").read_bytes()
    error = one_line(mem("config", "set", "--", key, value, code=2))
    assert needle in error
    if "unknown" in needle:
        assert "llm.model" in error and "store.busy_timeout" in error and "plugins.<name>.<key>" in error
    assert (mem_home / "config.toml").read_bytes() == before


def test_values_are_typed_by_their_setting(mem, mem_home):
    mem("config", "set", "llm.model", "123")  # text stays text
    mem("config", "set", "llm.timeout", "2.5")
    mem("config", "set", "hook.ignore", '["^pass ", "vault"]')
    mem("config", "set", "hook.ignore_dirs", "~/private")
    mem("config", "set", "tui.keys.mem.forget", "x")  # the documented escapes
    mem("config", "set", "plugins.redact-emails.phones", "false")
    got = {key: row["value"] for key, row in mem.json("config", "list").items()}
    assert got["llm.model"] == "123" and got["llm.timeout"] == 2.5
    assert got["hook.ignore"] == ["^pass ", "vault"] and got["hook.ignore_dirs"] == ["~/private"]
    assert got["tui.keys.mem.forget"] == "x" and got["plugins.redact-emails.phones"] is False


def test_unset_brings_the_default_back(mem, mem_home):
    mem("config", "set", "llm.timeout", "7")
    mem("config", "set", "tui.keys.mem.forget", "x")
    assert "removed" in mem("config", "unset", "llm.timeout").stdout
    assert mem.json("config", "get", "llm.timeout")["value"] == 120
    assert "was not set" in mem("config", "unset", "llm.timeout").stdout
    mem("config", "unset", "tui.keys.mem.forget")
    assert (mem_home / "config.toml").read_text().strip() == ""  # emptied tables are pruned
    assert "unknown setting" in one_line(mem("config", "unset", "nope", code=2))


def test_list_shows_every_setting_its_default_and_where_the_value_comes_from(mem, mem_home, monkeypatch):
    from memcli import config

    mem("config", "set", "llm.model", "ollama/llama3.2")
    monkeypatch.setenv("MEM_LLM_TIMEOUT", "9")
    mem_home.joinpath("config.toml").write_text(mem_home.joinpath("config.toml").read_text() + "\n[old]\nthing = 1\n")
    rows = mem.json("config", "list")
    assert set(config.SETTINGS) <= set(rows)
    assert rows["llm.model"] == {**rows["llm.model"], "value": "ollama/llama3.2", "source": "file", "default": ""}
    assert rows["llm.timeout"]["value"] == 9 and rows["llm.timeout"]["source"] == "env"
    assert rows["store.busy_timeout"]["source"] == "default" and rows["store.busy_timeout"]["help"]
    assert rows["old.thing"]["source"] == "file" and "not a setting" in rows["old.thing"]["help"]
    text = mem("config", "list").stdout
    assert "llm.timeout = 9  [env]  (default 120)" in text and "tui.keys.<binding>" in text
    assert mem.json("config", "get", "llm.timeout")["source"] == "env"


def test_a_wrong_type_in_the_file_is_a_one_line_error(mem, mem_home):
    mem_home.mkdir(parents=True, exist_ok=True)
    (mem_home / "config.toml").write_text('[llm]\ntimeout = "soon"\n')
    error = one_line(mem("config", "get", "llm.timeout", code=2))
    assert "llm.timeout" in error and "not a number" in error and "mem config set llm.timeout" in error


@pytest.mark.parametrize("content", [
    "[llm]\nmodel = 'x'\n".encode("utf-16"),       # with a BOM
    "[llm]\nmodel = 'x'\n".encode("utf-16-le"),    # without
    bytes(range(256)) * 4,                          # binary
])
def test_a_binary_or_utf16_config_is_one_line_naming_the_file(mem_home, content):
    mem_home.mkdir(parents=True, exist_ok=True)
    (mem_home / "config.toml").write_bytes(content)
    for args in (["config", "list"], ["ask", "anything", "--offline"]):
        result = run_mem(*args)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.decode().strip().splitlines()
        assert len(lines) == 1 and str(mem_home / "config.toml") in lines[0] and "UTF-8" in lines[0], lines
