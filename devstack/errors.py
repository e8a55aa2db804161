"""The one error type that reaches the user: what went wrong, the fix, and the exit code."""

from __future__ import annotations

from devstack.exitcodes import UNHEALTHY


class DevstackError(Exception):
    """A failure the user sees as one line (plus a `fix:` line when there is a fix).

    Attributes:
        message: What went wrong, naming the file, field, port or context involved.
        fix: The command or action that fixes it ("" when there is none).
        exit_code: The process exit code for this failure.
    """

    def __init__(self, message: str, fix: str = "", exit_code: int = UNHEALTHY):
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.exit_code = exit_code

    def lines(self) -> list[str]:
        """The lines to print on stderr."""
        lines = [
            f"devstack: {line}" if index == 0 else line
            for index, line in enumerate(self.message.splitlines())
        ]
        if self.fix:
            lines.append(f"  fix: {self.fix}")
        return lines
