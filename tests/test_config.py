from __future__ import annotations


def test_set_get_list(mem, mem_home):
    assert mem("config", "get", "llm.model").stdout.strip() == ""
    mem("config", "set", "llm.model", "ollama/llama3.2")
    mem("config", "set", "llm.timeout", "30")
    assert mem("config", "get", "llm.model").stdout.strip() == "ollama/llama3.2"
    assert mem.json("config", "get", "llm.timeout") == {"key": "llm.timeout", "value": 30}
    assert mem.json("config", "list")["llm.model"] == "ollama/llama3.2"
    assert 'model = "ollama/llama3.2"' in (mem_home / "config.toml").read_text()


def test_broken_config_file(mem, mem_home):
    mem_home.mkdir(parents=True, exist_ok=True)
    (mem_home / "config.toml").write_text("this is = = not toml")
    result = mem("config", "get", "llm.model", code=2)
    assert "not valid TOML" in result.stderr
