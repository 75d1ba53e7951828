"""The LLM layer: the only place that imports litellm (lazily: the import costs ~4 s).

`client.Client` wraps one model: config or `--model`, timeouts, retries with backoff, structured
JSON output with one repair retry, and a row in `llm_calls` for every request sent.
"""
