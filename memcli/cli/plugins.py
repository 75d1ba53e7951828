"""`mem plugins`."""

from __future__ import annotations

from memcli.cli import common

app = common.typer_app()


@app.command("plugins")
def plugins(json_: common.JsonFlag = False) -> None:
    """List installed plugins (entry points in the `memcli` group) and the hooks each implements.

    MEM_LOAD_PLUGINS='' starts mem with no plugin; MEM_LOAD_PLUGINS=name1,name2 loads only those.

    Example: mem plugins --json
    """
    from memcli.plugins import describe

    rows = describe()
    if json_:
        common.emit_json(rows)
        return
    if not rows:
        print("No plugins installed.")
        return
    for row in rows:
        version = f" {row['version']}" if row.get("version") else ""
        state = "loaded" if row.get("loaded") else ("failed: " + row["error"] if row.get("error") else "not loaded")
        hooks = ", ".join(row.get("hooks") or []) or "-"
        print(f"{row['name']}{version}  ({state})  hooks: {hooks}")
