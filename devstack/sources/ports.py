"""Local ports: is one free on 127.0.0.1, and if not, which process holds it."""

from __future__ import annotations

import contextlib
import errno
import socket
from dataclasses import dataclass, field
from typing import Any

from devstack.core.redact import redact_command
from devstack.core.shown import printable

COMMAND_CHARS = 1000


@dataclass(frozen=True)
class PortHolder:
    """The process listening on a port (as far as this user can see).

    Attributes:
        pid: Its process id (None when another user's or namespace's process holds the port).
        name: The process name.
        cmdline: Its command line with secrets (`--token=…`, `--password VALUE`) redacted, for display.
        create_time: When the process started (psutil's `create_time`), to tell a reused pid apart.
        argv: The raw arguments, for recognising a `kubectl port-forward`; never shown.
    """

    pid: int | None
    name: str
    cmdline: str
    create_time: float | None = None
    argv: tuple[str, ...] = field(default=(), repr=False)

    def describe(self) -> str:
        """`pid 1234 (python3: python3 -m http.server 8000)`."""
        if self.pid is None:
            return "a process devstack cannot see (another user's, or in another network namespace)"
        command = f": {self.cmdline}" if self.cmdline and self.cmdline != self.name else ""
        return f"pid {self.pid} ({self.name}{command})"


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a listener could bind `host:port` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as err:
            if err.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def free_local_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_holder(port: int) -> PortHolder:
    """The process listening on TCP `port`, found through psutil.

    `psutil.net_connections()` needs root on macOS (and where /proc is restricted); when it is
    refused, each process this user may inspect is asked for its own connections instead.
    """
    import psutil

    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return _scan_processes(port)
    for conn in connections:
        if _listens_on(conn, port) and conn.pid:
            return describe_pid(conn.pid)
    return PortHolder(None, "unknown", "")


def _scan_processes(port: int) -> PortHolder:
    """The holder of `port` among the processes whose connections this user may read."""
    import psutil

    for process in psutil.process_iter():
        try:
            connections = process.net_connections(kind="tcp")
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        if any(_listens_on(conn, port) for conn in connections):
            return describe_pid(process.pid)
    return PortHolder(None, "unknown", "")


def _listens_on(conn: Any, port: int) -> bool:
    import psutil

    return bool(conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port)


def describe_pid(pid: int) -> PortHolder:
    """What devstack can tell about process `pid` (name, redacted command line, start time)."""
    import psutil

    name, created = "unknown", None
    argv: tuple[str, ...] = ()
    with contextlib.suppress(psutil.Error):
        process = psutil.Process(pid)
        name = process.name()
        created = process.create_time()
        argv = tuple(process.cmdline())
    return PortHolder(pid, name, printable(redact_command(argv), COMMAND_CHARS), created, argv)
