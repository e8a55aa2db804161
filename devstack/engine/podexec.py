"""`exec` as the CLI and the terminal app use it: find the pod and container, then run the command on
this process's terminal through the `exec` WebSocket (`sources/execws.py`).

Like kubectl, the pod is read first, so a wrong name, a wrong container or a finished pod is
refused with a clear line before any stream is opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from devstack.errors import DevstackError
from devstack.exitcodes import UNHEALTHY, USAGE
from devstack.sources.execws import ExecCall, default_container

if TYPE_CHECKING:
    from devstack.sources.kube import KubeTarget
    from devstack.sources.kubeapi import KubeApi
    from devstack.sources.terminal import TerminalIO

SHELL = ("sh", "-c", "command -v bash >/dev/null 2>&1 && exec bash || exec sh")
"""What a shell in a pod runs: bash when the image has it, else sh (as k9s does)."""


def read_pod(api: KubeApi, pod: str) -> dict[str, Any]:
    """The pod as a dict, or a clear failure naming the namespace and context."""
    raw = api.read_raw("pods", pod)
    if raw is None:
        target = api.target
        raise DevstackError(
            f'pod "{pod}" not found in namespace {target.namespace} (context {target.context})',
            fix="devstack status lists the pods",
            exit_code=USAGE,
        )
    return raw


def exec_call(
    api: KubeApi, pod: str, container: str | None, command: Sequence[str], *, stdin: bool, tty: bool
) -> ExecCall:
    """The checked exec: the pod exists and runs, the container is one of its own.

    Raises:
        DevstackError: unknown pod or container (exit 2), a pod that is not running (exit 1).
    """
    if not command:
        raise DevstackError("no command to run: devstack exec POD -- COMMAND [ARGS...]", exit_code=USAGE)
    raw = read_pod(api, pod)
    try:
        name = default_container(raw, container)
    except ValueError as err:
        raise DevstackError(str(err), exit_code=USAGE) from None
    phase = str((raw.get("status") or {}).get("phase") or "Pending")
    if phase in ("Succeeded", "Failed"):
        raise DevstackError(
            f"cannot exec into pod {pod}: it has completed (phase {phase})", exit_code=UNHEALTHY
        )
    return ExecCall(pod, name, tuple(command), stdin=stdin, tty=tty)


def exec_in_terminal(target: KubeTarget, call: ExecCall, terminal: TerminalIO) -> int:
    """Run the exec on `terminal` (raw mode for a tty session); returns the command's exit code.

    Raises:
        DevstackError: the stream could not be opened, or the server ended it without an exit
            code (its message).
    """
    from devstack.sources.execws import run_exec
    from devstack.sources.tunnel import TunnelFailed

    try:
        if call.tty:
            with terminal.raw():
                outcome = run_exec(target, call, terminal.io())
        else:
            outcome = run_exec(target, call, terminal.io())
    except TunnelFailed as err:
        raise DevstackError(str(err), exit_code=UNHEALTHY) from None
    if outcome.exit_code is None:
        raise DevstackError(
            f"exec in pod {call.pod} [{call.container}]: {outcome.error}", exit_code=UNHEALTHY
        )
    return outcome.exit_code
