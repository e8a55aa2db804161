"""`devstack logs WORKLOAD|POD [-f] [--previous]`: the logs of a Deployment's pods (interleaved in time
order, each line prefixed `[pod/NAME/CONTAINER]`) or of one pod, from the allowed context."""

from __future__ import annotations

import threading

import click

from devstack.cli.common import engine_context
from devstack.cli.options import Options
from devstack.core.loglines import LogLine
from devstack.exitcodes import OK


def run(
    options: Options,
    name: str,
    container: str | None,
    follow: bool,
    previous: bool,
    timestamps: bool,
    tail: int,
) -> int:
    """Print the logs (and keep following new lines and new pods with -f, until Ctrl-C)."""
    from devstack.engine.podlogs import logs_target
    from devstack.sources.kubeapi import KubeApi
    from devstack.sources.workload_logs import WorkloadLogs

    ctx = engine_context(options)
    api = KubeApi(ctx.target)
    try:
        target = logs_target(api, name, container, previous, tail)
        cancel = threading.Event()
        lock = threading.Lock()

        def show(lines: list[LogLine]) -> None:
            with lock:
                for line in lines:
                    click.echo(line.render(timestamps, target.prefix))

        logs = WorkloadLogs(api.client, ctx.target, target.selection, show, cancel)
        if not follow or previous:
            show(logs.read_once())
            return OK
        try:
            logs.follow()
        finally:
            cancel.set()
    finally:
        api.close()
    return OK
