"""The contract between the simulated API server and the simulated nodes (kubelet + controllers).

The HTTP layer (`devstack_sim.server`) serves logs and port-forwards through a `PodRuntime`; the
cluster (`devstack_sim.cluster`) implements it by running real local processes for containers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class LogRequest:
    """The query of `GET /api/v1/namespaces/NS/pods/NAME/log`."""

    namespace: str
    pod: str
    container: str | None = None
    follow: bool = False
    tail_lines: int | None = None
    timestamps: bool = False
    previous: bool = False


@dataclass(frozen=True)
class ExecRequest:
    """The query of `/api/v1/namespaces/NS/pods/NAME/exec`."""

    namespace: str
    pod: str
    container: str | None
    command: tuple[str, ...]
    stdin: bool = False
    stdout: bool = True
    stderr: bool = True
    tty: bool = False


class ExecSession(Protocol):
    """A command running in a container (the process side of an exec stream)."""

    async def output(self) -> tuple[int, bytes] | None:
        """The next output chunk as (1 stdout | 2 stderr, bytes); None when the output ended."""
        ...

    async def write_stdin(self, data: bytes) -> None:
        """Hand bytes to the command's stdin."""
        ...

    def close_stdin(self) -> None:
        """End of the command's input."""
        ...

    def resize(self, width: int, height: int) -> None:
        """Set the terminal size (tty sessions)."""
        ...

    async def wait(self) -> int:
        """The command's exit code."""
        ...

    async def close(self) -> None:
        """Kill what is left of the command and release it."""
        ...


@dataclass(frozen=True)
class ClusterOptions:
    """Timings of the simulated kubelet and controllers, shortened so tests run fast.

    Real clusters use 10 s back-off base and 300 s cap; the simulator's defaults keep the same
    shape (doubling up to a cap) on a shorter scale.
    """

    node_name: str = "sim-control-plane"
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 8.0
    image_pull_seconds: float = 0.2
    container_create_seconds: float = 0.1
    probe_period_cap_seconds: float = 1.0
    termination_grace_cap_seconds: float = 2.0
    image_pull_backoff_seconds: float = 2.0


class PodRuntime(Protocol):
    """What the API server needs from the node side."""

    def logs(self, request: LogRequest) -> AsyncIterator[bytes]:
        """Yield the log as bytes (complete lines); follows when asked, until the container ends.

        Raises:
            ApiError: 404 for an unknown pod/container, 400 when `previous` has no previous
                instance or the container never started (the real server's messages).
        """
        ...

    async def open_port(
        self, namespace: str, pod: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Connect to `port` of a running pod (the container port, mapped to the real process port).

        Raises:
            ApiError: when the pod is unknown or not running, or nothing listens on that port.
        """
        ...

    def exec_target(self, request: ExecRequest) -> str:
        """Check the pod and container of an exec before the stream is upgraded; returns the container.

        Raises:
            ApiError: 404 unknown pod, 400 a bad or ambiguous container, a pod without a node or a
                completed pod (the API server's checks).
        """
        ...

    async def exec(self, request: ExecRequest) -> ExecSession:
        """Start `request.command` in the running container (with its env and working folder).

        Raises:
            ExecStartError: the container is not running, or the command could not be started.
        """
        ...


class ExecStartError(Exception):
    """An exec the node refused after the upgrade: `message` as the runtime words it.

    `exit_code` is set when the runtime reports the failure as the command's exit (126 for a
    program that cannot be started, as runc does), with `message` on the command's output.
    """

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
