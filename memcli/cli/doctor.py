"""`mem doctor`."""

from __future__ import annotations

from typing import Any

import typer

from memcli.cli import common

app = common.typer_app()


@app.command("doctor")
def doctor(json_: common.JsonFlag = False) -> None:
    """Show what is configured (database, sqlite-vec, embedder, model) and check that the
    configured model answers with valid JSON. Exits 1 when it does not.

    Example: mem doctor --json
    """
    from memcli.services.doctor import collect, problems

    report = collect(common.store())
    found = problems(report)
    if json_:
        common.emit_json({**report, "problems": found})
    else:
        _print(report, found)
    if report["llm"]["answers"] is False or report["llm"]["json"] is False:
        raise typer.Exit(1)


def _answers(llm: dict[str, Any]) -> str:
    if llm["answers"] and llm["json"]:
        return f"yes, valid JSON ({llm['latency_ms']} ms)"
    if llm["answers"]:
        return f"yes, but not valid JSON: {llm['error']}"
    if llm["reachable"]:  # a server is there and replied with an error
        return f"no, the server replied with an error: {llm['error']}"
    return f"no: {llm['error']}"


def _print(report: dict[str, Any], found: list[str]) -> None:
    from memcli.services.stats import describe_backlog

    db, llm = report["db"], report["llm"]
    rows = [
        ("mem", f"{report['version']} on Python {report['python']}"),
        ("config", report["config_path"]),
        ("database", f"{db['path']} ({db['size_bytes'] / 1024:.0f} KiB)"),
        ("schema", f"v{db['schema_version']} (this mem: v{db['schema_expected']})"),
        ("sqlite", f"{db['sqlite_version']} via {db['sqlite_module']}"),
        ("sqlite-vec", db["sqlite_vec_version"] or f"unavailable ({db['sqlite_vec_error']})"),
        ("embedder", report["embedder"]),
        ("model", llm["model"] or "none (mem ask answers offline; set one: mem config set llm.model ollama/llama3.2)"),
    ]
    if report["backlog"] is not None:
        rows.insert(-1, ("backlog", describe_backlog(report["backlog"]) or "none: every memory is embedded"))
    if llm["model"]:
        rows.append(("api base", llm["api_base"] or "provider default"))
        rows.append(("answers", _answers(llm)))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    for problem in found:
        print(f"! {problem}")
