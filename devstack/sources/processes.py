"""Child processes: each in its own process group, always reaped, never outliving devstack.

Every child devstack starts is registered here; `reap_all()` (called on exit, Ctrl-C, SIGTERM,
SIGHUP and crashes — see `install_exit_handlers`) stops each group with TERM, waits, then KILL.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

_children: set[subprocess.Popen[bytes]] = set()
_lock = threading.Lock()


@dataclass(frozen=True)
class Completed:
    """Result of a finished command."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False


def spawn(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    stdin: int | None = subprocess.DEVNULL,
    stdout: int | None = subprocess.PIPE,
    stderr: int | None = subprocess.PIPE,
) -> subprocess.Popen[bytes]:
    """Start a registered child in a new process group (session)."""
    process = subprocess.Popen(
        list(args),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
    )
    with _lock:
        _children.add(process)
    return process


def stop(process: subprocess.Popen[bytes], grace: float = 5.0) -> int | None:
    """TERM the child's process group, wait up to `grace` seconds, then KILL it; always reaps."""
    try:
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        else:
            # The leader is gone; its group may still hold children.
            _signal_group(process, signal.SIGKILL)
        return process.returncode
    finally:
        forget(process)


def forget(process: subprocess.Popen[bytes]) -> None:
    """Stop tracking a child that has been reaped."""
    with _lock:
        _children.discard(process)


def run(
    args: Sequence[str],
    *,
    timeout: float = 30.0,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    input_text: str | None = None,
) -> Completed:
    """Run a command to completion and capture its output (text).

    Raises:
        FileNotFoundError: the program is not installed.
    """
    process = spawn(
        args, env=env, cwd=cwd, stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL
    )
    timed_out = False
    try:
        out, err = process.communicate(
            input_text.encode() if input_text is not None else None, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        timed_out = True
        stop(process, grace=1.0)
        out, err = process.communicate()
    finally:
        stop(process, grace=1.0)
    return Completed(
        tuple(args),
        process.returncode,
        out.decode(errors="replace"),
        err.decode(errors="replace"),
        timed_out,
    )


def reap_all(grace: float = 3.0) -> None:
    """Stop every registered child (used on exit and on signals)."""
    with _lock:
        children = list(_children)
    for process in children:
        stop(process, grace=grace)


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


@functools.cache
def install_exit_handlers() -> None:
    """Reap children at interpreter exit, and turn SIGTERM/SIGHUP into a clean exit (code 128+n)."""
    atexit.register(reap_all)

    def _exit_on_signal(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _exit_on_signal)


TIMED_OUT = 124
"""`stream`'s exit code when its `timeout` passed (as `timeout(1)` answers)."""


def stream(
    args: Sequence[str],
    on_line: Callable[[str], None],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    cancel: threading.Event | None = None,
    timeout: float | None = None,
    grace: float = 10.0,
) -> int:
    """Run a command, calling `on_line` for each line of its stdout+stderr; returns the exit code.

    When `cancel` is set or `timeout` passes, the child's group gets TERM (then KILL after `grace`)
    and its remaining output is still delivered. Returns `TIMED_OUT` on timeout.
    """
    process = spawn(args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    reader = threading.Thread(target=_pump, args=(process.stdout, on_line), daemon=True)
    reader.start()
    deadline = None if timeout is None else time.monotonic() + timeout
    timed_out = False
    try:
        while process.poll() is None:
            if cancel is not None and cancel.is_set():
                break
            if deadline is not None and time.monotonic() > deadline:
                timed_out = True
                break
            try:
                process.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                continue
    finally:
        code = stop(process, grace)
        reader.join(timeout=5)
    if timed_out:
        return TIMED_OUT
    return code if code is not None else -1


def _pump(pipe: IO[bytes], on_line: Callable[[str], None]) -> None:
    with pipe:
        for raw in iter(pipe.readline, b""):
            on_line(raw.decode(errors="replace").rstrip("\r\n"))
