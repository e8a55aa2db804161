"""`devstack exec POD [-c CONTAINER] [-i] [-t] -- COMMAND...`: a command in a pod of the allowed context."""

from __future__ import annotations

from devstack.cli.common import engine_context
from devstack.cli.options import Options
from devstack.errors import DevstackError
from devstack.exitcodes import USAGE


def run(
    options: Options, pod: str, container: str | None, command: tuple[str, ...], stdin: bool, tty: bool
) -> int:
    """Run the command; the exit code is the command's (devstack's own failures use 1 and 2)."""
    from devstack.engine.podexec import exec_call, exec_in_terminal
    from devstack.sources.kubeapi import KubeApi
    from devstack.sources.terminal import TerminalIO

    terminal = TerminalIO()
    if tty and not terminal.is_terminal():
        raise DevstackError(
            "-t/--tty needs a terminal on stdin (run it in a terminal, or drop -t)", exit_code=USAGE
        )
    ctx = engine_context(options)
    api = KubeApi(ctx.target)
    try:
        call = exec_call(api, pod, container, command, stdin=stdin, tty=tty)
    finally:
        api.close()
    return exec_in_terminal(ctx.target, call, terminal)
