"""`mem stats`."""

from __future__ import annotations


from memcli.cli import common

app = common.typer_app()


@app.command("stats")
def stats(json_: common.JsonFlag = False) -> None:
    """Counts by type and source, database size, schema and SQLite/sqlite-vec versions.

    Example: mem stats --json
    """
    from memcli.services.stats import collect

    data = collect(common.store())
    if json_:
        common.emit_json(data)
        return
    out = common.console()
    out.print(f"[bold]{data['records']}[/bold] memories in {data['db']['path']} "
              f"({data['db']['size_bytes'] / 1024:.0f} KiB)")
    for title in ("by_type", "by_source"):
        if data[title]:
            parts = ", ".join(f"{name}: {n}" for name, n in data[title].items())
            out.print(f"  {title.replace('_', ' ')}: {parts}", markup=False)
    db = data["db"]
    vec = db["sqlite_vec_version"] or f"unavailable ({db['sqlite_vec_error']})"
    out.print(f"  schema v{db['schema_version']}, SQLite {db['sqlite_version']} via {db['sqlite_module']}, "
              f"sqlite-vec {vec}", markup=False)
    vec = data["vectors"]
    if vec["model"]:
        waiting = f", {vec['pending']} waiting" if vec["pending"] else ""
        out.print(f"  vectors: {vec['count']} by {vec['model']} ({vec['dim']} dims){waiting}", markup=False)
    llm = data["llm"]
    if llm["calls"]:
        cost = f", ${llm['cost_usd']:.4f}" if llm["cost_usd"] is not None else ""
        out.print(f"  LLM: {llm['calls']} calls ({llm['failed']} failed), {llm['prompt_tokens']} prompt + "
                  f"{llm['completion_tokens']} completion tokens{cost}", markup=False)
