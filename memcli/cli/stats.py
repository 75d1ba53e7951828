"""`mem stats`."""

from __future__ import annotations


from memcli.cli import common

app = common.typer_app()


@app.command("stats")
def stats(json_: common.JsonFlag = False) -> None:
    """Counts by type and source, database size, schema and SQLite/sqlite-vec versions.

    Example: mem stats --json
    """
    from memcli.services.stats import collect, describe_backlog

    data = collect(common.store())
    if json_:
        common.emit_json(data)
        return
    db = data["db"]
    print(f"{common.plural(data['records'], 'memory')} in {db['path']} ({db['size_bytes'] / 1024:.0f} KiB)")
    for title in ("by_type", "by_source"):
        if data[title]:
            parts = ", ".join(f"{name}: {n:,}" for name, n in data[title].items())
            print(f"  {title.replace('_', ' ')}: {parts}")
    vec = db["sqlite_vec_version"] or f"unavailable ({db['sqlite_vec_error']})"
    print(f"  schema v{db['schema_version']}, SQLite {db['sqlite_version']} via {db['sqlite_module']}, sqlite-vec {vec}")
    vec = data["vectors"]
    if vec["model"]:
        print(f"  vectors: {vec['count']:,} by {vec['model']} ({vec['dim']} dimensions)")
    waiting = describe_backlog(data["backlog"])
    if waiting:
        print(f"  backlog: {waiting}")
    llm = data["llm"]
    if llm["calls"]:
        cost = f", ${llm['cost_usd']:.4f}" if llm["cost_usd"] is not None else ""
        print(f"  LLM: {common.plural(llm['calls'], 'call')} ({llm['failed']} failed), {llm['prompt_tokens']:,} prompt + "
              f"{llm['completion_tokens']:,} completion tokens{cost}")
