"""This process's terminal as the two ends of an exec: raw mode, input, output and size.

`TerminalIO` reads stdin with a short `select` timeout (so the reader thread notices the end of
the session), writes stdout/stderr unbuffered, reports the terminal size, and `raw()` puts the
input terminal in raw mode for a tty session (every key goes to the remote shell, Ctrl-C
included) and always restores it.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
from collections.abc import Iterator

from devstack.sources.execws import ExecIO

READ_SIZE = 4096
POLL_SECONDS = 0.1


class TerminalIO:
    """File descriptors of this process as an exec's stdin, stdout and stderr."""

    def __init__(self, fd_in: int = 0, fd_out: int = 1, fd_err: int = 2):
        self.fd_in = fd_in
        self.fd_out = fd_out
        self.fd_err = fd_err

    def io(self) -> ExecIO:
        """The `ExecIO` reading and writing these descriptors."""
        return ExecIO(
            write_stdout=lambda data: _write_all(self.fd_out, data),
            write_stderr=lambda data: _write_all(self.fd_err, data),
            read_stdin=self.read,
            terminal_size=self.size,
        )

    def read(self, stop: threading.Event) -> bytes | None:
        """Input that arrived within `POLL_SECONDS` (None: nothing; b"": end of input)."""
        if stop.is_set():
            return b""
        try:
            ready, _, _ = select.select([self.fd_in], [], [], POLL_SECONDS)
        except (OSError, ValueError):
            return b""
        if not ready:
            return None
        try:
            return os.read(self.fd_in, READ_SIZE)
        except OSError:
            return b""

    def size(self) -> tuple[int, int] | None:
        """(columns, rows) of the output terminal, or None when it is not a terminal."""
        for fd in (self.fd_out, self.fd_in):
            with contextlib.suppress(OSError):
                columns, rows = os.get_terminal_size(fd)
                return columns, rows
        return None

    def is_terminal(self) -> bool:
        """Whether stdin is a terminal (a tty session needs one)."""
        return os.isatty(self.fd_in)

    @contextlib.contextmanager
    def raw(self) -> Iterator[None]:
        """Raw mode on the input terminal for the duration (restored however the block ends)."""
        import termios
        import tty

        if not os.isatty(self.fd_in):
            yield
            return
        saved = termios.tcgetattr(self.fd_in)
        try:
            tty.setraw(self.fd_in)
            yield
        finally:
            termios.tcsetattr(self.fd_in, termios.TCSADRAIN, saved)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [], 1.0)
            continue
        except (BrokenPipeError, OSError):
            return
        view = view[written:]
