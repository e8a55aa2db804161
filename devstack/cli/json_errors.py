"""`--json` commands print one JSON document on every exit path, failures included.

`devstack.cli.main` is the one place that prints the error document: for any command run with
`--json` that ends in an error (a bad flag, a bad profile, an unreachable cluster, Ctrl-C, a crash)
before printing a document of its own. Commands print only their success documents.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO


def wants_json(args: Sequence[str]) -> bool:
    """`--json` is among the options (before a `--` that ends them)."""
    options = args[: list(args).index("--")] if "--" in args else args
    return "--json" in options


def error_document(message: str, fix: str, exit_code: int, problems: Sequence[str] = ()) -> dict[str, Any]:
    """`{"ok": false, "error": {"message", "fix", "exit_code"}, "problems", "exit_code"}`.

    `problems` lists every problem when there were several (a profile's `file:line` lines),
    else the message alone; `exit_code` is repeated at the top for scripts that only look there.
    """
    return {
        "ok": False,
        "error": {"message": message, "fix": fix, "exit_code": exit_code},
        "problems": list(problems) or [message],
        "exit_code": exit_code,
    }


class _WatchedStdout:
    """`sys.stdout` that notes whether anything was written (then the command's document is out)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.written = False

    def write(self, text: str) -> int:
        self.written = self.written or bool(text)
        return self.stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class JsonErrorPath:
    """Prints the error document of a failed `--json` command, unless it printed its own."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._stdout: _WatchedStdout | None = None

    @contextmanager
    def watching(self) -> Iterator[None]:
        """While the command runs, note whether it writes to stdout."""
        if not self.enabled:
            yield
            return
        original = sys.stdout
        self._stdout = _WatchedStdout(original)
        sys.stdout = self._stdout
        try:
            yield
        finally:
            sys.stdout = original

    def failed(self, message: str, fix: str, exit_code: int, problems: Sequence[str] = ()) -> None:
        """The command failed: print its error document if it has printed nothing on stdout."""
        if not self.enabled or (self._stdout is not None and self._stdout.written):
            return
        document = error_document(message, fix, exit_code, problems)
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        sys.stdout.flush()
