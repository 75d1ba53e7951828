"""The one error type every layer raises for bad input or an unusable environment.

The CLI turns it into a single line on stderr and exit code 2; nothing else should need to
know how errors are shown.
"""

from __future__ import annotations


class MemError(Exception):
    """A problem the user can fix: `message` names it, `hint` says how."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message
