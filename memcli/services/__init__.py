"""Services: what mem does, independent of how it is asked (CLI, TUI, MCP)."""
