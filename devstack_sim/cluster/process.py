"""One run of a container: a real local process in its own process group, or no process at all.

A container's process never outlives the simulator that started it: on Linux it is started with
`PR_SET_PDEATHSIG` = SIGKILL (`prctl(2)`, through ctypes), so the kernel kills it when the simulator's
event-loop thread ends, however it ends (a SIGKILLed daemon included). Elsewhere the simulator's
own stop, and whoever stops the simulator (`kind delete cluster`, devstack's janitor), end them.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import os
import secrets
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .logbuffer import LogBuffer
from .meta import now_rfc3339

_READ_DRAIN_SECONDS = 2.0
_PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's `prctl`, on Linux (None elsewhere, or when libc cannot be loaded)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_this_thread() -> Callable[[], None] | None:
    """A `preexec_fn` for children that must die with the thread starting them (None off Linux).

    The child asks for SIGKILL when its parent thread ends, then checks that the parent did not end
    before the request (the child would have been re-parented already): then it ends itself.
    """
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


@dataclass(frozen=True)
class ExitInfo:
    """How an instance ended, as the runtime reports it."""

    exit_code: int
    reason: str  # Completed | Error | OOMKilled | StartError
    started_at: str
    finished_at: str
    container_id: str
    message: str = ""

    def terminated(self) -> dict[str, object]:
        """The `state.terminated` block of a container status."""
        block: dict[str, object] = {
            "exitCode": self.exit_code,
            "reason": self.reason,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "containerID": self.container_id,
        }
        if self.message:
            block["message"] = self.message
        return block


def new_container_id() -> str:
    """A containerd-style container id."""
    return "containerd://" + secrets.token_hex(32)


class Instance:
    """A started container instance; `wait()` gives its exit, `signal()` delivers signals."""

    def __init__(self, log: LogBuffer | None = None):
        self.container_id = new_container_id()
        self.started_at = now_rfc3339()
        self.log = log or LogBuffer()
        self._override: tuple[int, str] | None = None
        self._exit: asyncio.Future[ExitInfo] = asyncio.get_running_loop().create_future()

    @property
    def pid(self) -> int | None:
        """The process id, or None for a processless instance."""
        return None

    @property
    def done(self) -> bool:
        """True once the instance has exited."""
        return self._exit.done()

    async def wait(self) -> ExitInfo:
        """Wait for the exit (many callers may wait)."""
        return await asyncio.shield(self._exit)

    def signal(self, signum: int) -> None:
        """Deliver a signal to the instance."""
        raise NotImplementedError

    def force_exit(self, exit_code: int, reason: str) -> None:
        """Kill the instance with SIGKILL and report `exit_code`/`reason` for it (OOM, faults)."""
        if not self.done:
            self._override = (exit_code, reason)
            self.signal(signal.SIGKILL)

    async def stop(self, grace: float) -> ExitInfo:
        """SIGTERM, wait up to `grace` seconds, then SIGKILL; always returns the reaped exit."""
        if not self.done:
            self.signal(signal.SIGTERM)
            try:
                return await asyncio.wait_for(self.wait(), timeout=max(grace, 0.0))
            except TimeoutError:
                self.signal(signal.SIGKILL)
        return await self.wait()

    def _finish(self, returncode: int, message: str = "") -> None:
        if self.done:
            return
        code = 128 - returncode if returncode < 0 else returncode
        reason = "Completed" if code == 0 else "Error"
        if self._override is not None:
            code, reason = self._override
        self.log.close()
        self._exit.set_result(
            ExitInfo(code, reason, self.started_at, now_rfc3339(), self.container_id, message)
        )


class NoopInstance(Instance):
    """A container that is running without any process (like `pause`): ends on a signal."""

    def signal(self, signum: int) -> None:
        """SIGTERM/SIGKILL/SIGINT end it at once, with the matching 128+N exit code."""
        if signum in (signal.SIGTERM, signal.SIGKILL, signal.SIGINT):
            self._finish(-signum)


class ProcessInstance(Instance):
    """A real process: its own session and process group, stdout+stderr captured line by line."""

    def __init__(self, proc: asyncio.subprocess.Process):
        super().__init__()
        self._proc = proc
        self._reader = asyncio.create_task(self._read(), name=f"sim-log-{proc.pid}")
        self._reaper = asyncio.create_task(self._reap(), name=f"sim-reap-{proc.pid}")

    @classmethod
    async def spawn(cls, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> ProcessInstance:
        """Start `argv` in a new session with stdout and stderr piped together.

        Raises:
            OSError: the program could not be started (missing file, permissions, bad cwd).
        """
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=str(cwd),
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_this_thread(),
        )
        return cls(proc)

    @property
    def pid(self) -> int | None:
        """The process id (also the process group id)."""
        return self._proc.pid

    def signal(self, signum: int) -> None:
        """Signal the whole process group (ignored once the process is gone)."""
        if self._proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signum)

    async def _read(self) -> None:
        stream = self._proc.stdout
        if stream is None:
            return
        while True:
            try:
                line = await stream.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:
                if exc.partial:
                    self.log.append(exc.partial)
                return
            except asyncio.LimitOverrunError as exc:
                self.log.append(await stream.read(exc.consumed))
                continue
            self.log.append(line[:-1])

    async def _reap(self) -> None:
        returncode = await self._proc.wait()
        # Like a container whose PID 1 died: whatever else is left in the group dies with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), _READ_DRAIN_SECONDS)
        except TimeoutError:
            self._reader.cancel()
        self._finish(returncode)
