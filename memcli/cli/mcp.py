"""`mem mcp`."""

from __future__ import annotations

from memcli.cli import common

app = common.typer_app()


@app.command("mcp")
def mcp() -> None:
    """Serve your memory over the Model Context Protocol (stdio), for coding agents and desktop
    assistants: tools remember, recall, recent, show, history, ask, supersede (correct a fact) and
    forget (release only), resource mem://recent. What you released or purged is never shown.

    Register it with your client as the absolute path of mem plus the argument mcp, e.g. in Claude
    Desktop's config: {"mcpServers": {"mem": {"command": "/home/you/.local/mem/bin/mem", "args": ["mcp"]}}}
    (README, section MCP, has Claude Code and Cursor too).

    Example: mem mcp
    """
    try:
        from memcli.mcp_server import serve
    except ImportError as exc:
        from memcli.errors import MemError

        raise MemError(f"the MCP SDK is not installed ({exc.name})", "pip install 'mcp>=2.3'") from None
    serve()
