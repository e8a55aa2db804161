"""A command run in a container (`kubectl exec`): a real local process with the container's env and folder.

With a tty the process gets a pseudo-terminal (its controlling terminal, in its own session), whose
output is the one stream (`stdout`); without one, stdin/stdout/stderr are pipes. The process never
outlives its container instance or the simulator: it dies with the simulator's loop thread
(`PR_SET_PDEATHSIG`), and `kill()` ends its whole process group when the client goes away or the
container stops — as a real runtime kills an exec session with the container's cgroup.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import signal
import struct
import termios
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .process import die_with_this_thread

_READ_SIZE = 32 * 1024
STDOUT, STDERR = 1, 2


def _controlling_tty(fd: int, then: Callable[[], None] | None) -> Callable[[], None]:
    """A `preexec_fn` making `fd` (the pty's follower side) the new session's controlling terminal.

    It starts the session itself when it is not one's leader yet: CPython's subprocess calls
    `setsid()` before a `preexec_fn`, uvloop calls the `preexec_fn` first (right after the fork,
    before libuv's `setsid()`, which then fails harmlessly), and only a session leader may take
    a controlling terminal (`TIOCSCTTY` fails with EPERM otherwise).
    """

    def preexec() -> None:
        if os.getsid(0) != os.getpid():
            os.setsid()
        fcntl.ioctl(fd, termios.TIOCSCTTY, 0)
        if then is not None:
            then()

    return preexec


class ExecProcess:
    """One exec session's process; `output` yields (stream, bytes) until the process closed its output."""

    def __init__(self, proc: asyncio.subprocess.Process, master: int | None):
        self._proc = proc
        self._master = master
        self._queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        self._readers: list[asyncio.Task[None]] = []
        if master is not None:
            self._readers.append(asyncio.create_task(self._read_pty(master)))
        else:
            for stream, number in ((proc.stdout, STDOUT), (proc.stderr, STDERR)):
                if stream is not None:
                    self._readers.append(asyncio.create_task(self._read_pipe(stream, number)))
        self._open = len(self._readers)
        if not self._open:
            self._queue.put_nowait(None)

    @classmethod
    async def spawn(
        cls,
        argv: Sequence[str],
        cwd: Path,
        env: Mapping[str, str],
        *,
        stdin: bool,
        stdout: bool,
        stderr: bool,
        tty: bool,
    ) -> ExecProcess:
        """Start `argv` in a new session (with a pty when `tty`).

        Raises:
            OSError: the program could not be started (missing, not executable, bad folder).
        """
        pipe, null = asyncio.subprocess.PIPE, asyncio.subprocess.DEVNULL
        if tty:
            master, follower = pty.openpty()
            try:
                proc = await asyncio.create_subprocess_exec(
                    *argv,
                    cwd=str(cwd),
                    env={**env, "TERM": env.get("TERM", "xterm")},
                    stdin=follower,
                    stdout=follower,
                    stderr=follower,
                    start_new_session=True,
                    preexec_fn=_controlling_tty(follower, die_with_this_thread()),
                )
            except OSError:
                os.close(master)
                raise
            finally:
                os.close(follower)
            os.set_blocking(master, False)
            return cls(proc, master)
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=str(cwd),
            env=dict(env),
            stdin=pipe if stdin else null,
            stdout=pipe if stdout else null,
            stderr=pipe if stderr else null,
            start_new_session=True,
            preexec_fn=die_with_this_thread(),
        )
        return cls(proc, None)

    @property
    def pid(self) -> int:
        """The process id (also its process group)."""
        return self._proc.pid

    async def output(self) -> tuple[int, bytes] | None:
        """The next chunk of output as (1 stdout | 2 stderr, bytes); None once every stream closed."""
        return await self._queue.get()

    async def _read_pipe(self, stream: asyncio.StreamReader, number: int) -> None:
        try:
            while chunk := await stream.read(_READ_SIZE):
                await self._queue.put((number, chunk))
        finally:
            self._stream_closed()

    async def _read_pty(self, master: int) -> None:
        loop = asyncio.get_running_loop()
        readable = asyncio.Event()
        loop.add_reader(master, readable.set)
        try:
            while True:
                await readable.wait()
                readable.clear()
                try:
                    chunk = os.read(master, _READ_SIZE)
                except BlockingIOError:
                    continue
                except OSError:  # EIO: every holder of the follower side is gone
                    return
                if not chunk:
                    return
                await self._queue.put((STDOUT, chunk))
        finally:
            loop.remove_reader(master)
            self._stream_closed()

    def _stream_closed(self) -> None:
        self._open -= 1
        if self._open == 0:
            self._queue.put_nowait(None)

    async def write_stdin(self, data: bytes) -> None:
        """Hand bytes to the process's stdin (or its terminal)."""
        if self._master is not None:
            await asyncio.get_running_loop().run_in_executor(None, _write_all, self._master, data)
            return
        writer = self._proc.stdin
        if writer is None or writer.is_closing():
            return
        with contextlib.suppress(ConnectionError):
            writer.write(data)
            await writer.drain()

    def close_stdin(self) -> None:
        """End of input: EOF on the pipe, or the terminal's EOF character (^D) for a tty."""
        if self._master is not None:
            with contextlib.suppress(OSError):
                os.write(self._master, b"\x04")
            return
        writer = self._proc.stdin
        if writer is not None and not writer.is_closing():
            writer.close()

    def resize(self, width: int, height: int) -> None:
        """Set the terminal's size (no-op without a tty)."""
        if self._master is None or width <= 0 or height <= 0:
            return
        with contextlib.suppress(OSError):
            fcntl.ioctl(self._master, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))

    async def wait(self) -> int:
        """The exit code (128+N for a signal, as a container runtime reports it)."""
        code = await self._proc.wait()
        return 128 - code if code < 0 else code

    def kill(self) -> None:
        """SIGKILL the whole process group (ignored once it is gone)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)

    async def close(self) -> None:
        """Kill, reap, stop the readers and release the terminal."""
        self.kill()
        await self._proc.wait()
        for task in self._readers:
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        if self._master is not None:
            with contextlib.suppress(OSError):
                os.close(self._master)
            self._master = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            import select

            select.select([], [fd], [], 1.0)
            continue
        view = view[written:]
