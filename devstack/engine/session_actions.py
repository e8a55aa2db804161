"""The actions a `Session` offers a front end besides `up`: checks, rollout restart, delete pod,
re-open the forwards, down, follow a pod's log. All block; front ends call them from workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from devstack.errors import DevstackError
from devstack.exitcodes import USAGE

if TYPE_CHECKING:
    from devstack.core.checks import CheckResult
    from devstack.core.loglines import LogLine
    from devstack.core.store import Store
    from devstack.engine.context import EngineContext
    from devstack.engine.inspect import Inspected
    from devstack.engine.podlogs import LogsTarget
    from devstack.engine.up import UpRun
    from devstack.sources.execws import ExecCall
    from devstack.sources.kube import BrowseWatch
    from devstack.sources.kubeapi import KubeApi


class NoEngine(DevstackError):
    """An action on a session that has no engine (a pre-seeded store, e.g. in snapshot tests)."""

    def __init__(self, what: str):
        super().__init__(f"{what}: this session has no engine (a fixed state)", exit_code=USAGE)


class SessionActions:
    """Mixed into `Session`: everything here needs its engine context (`_context`)."""

    _api: KubeApi | None
    _run: UpRun | None
    _browse: BrowseWatch | None
    ctx: EngineContext | None

    @property
    def store(self) -> Store:
        """The session's store."""
        raise NotImplementedError

    def _context(self, what: str) -> EngineContext:
        raise NotImplementedError

    def stop(self, keep_watches: bool = False) -> None:
        """Stop the dev loop, forwards and (unless `keep_watches`) watches."""
        raise NotImplementedError

    def _kube(self, what: str) -> KubeApi:
        ctx = self._context(what)
        if self._api is None:
            from devstack.sources.kubeapi import KubeApi

            self._api = KubeApi(ctx.target)
        return self._api

    def run_checks(self) -> list[CheckResult]:
        """Run the profile's checks now (results go to the store too)."""
        from devstack.sources.checks import run_checks

        ctx = self._context("checks")
        api = self._kube("checks")
        return run_checks(ctx.profile, self.store.dispatch, api.deployment_env)

    def restart_workload(self, deployment: str) -> None:
        """`kubectl rollout restart deployment/<name>`."""
        self._kube("restart").rollout_restart(deployment)

    def delete_pod(self, pod: str) -> None:
        """Delete a pod (its ReplicaSet replaces it)."""
        self._kube("delete pod").delete_pod(pod)

    def restart_forwards(self) -> None:
        """Close the localhost forwards and open them again (same ports)."""
        from devstack.core.events import ForwardsClosed
        from devstack.sources.forwarder import ForwardThread

        ctx = self._context("forwards")
        run = self._run
        if run is None or run.forwards is None:
            raise DevstackError("no forwards are running", fix="press u to bring the stack up")
        run.forwards.stop()
        run.forwards = None
        names = tuple(f.name for f in ctx.profile.forwards)
        self.store.dispatch(ForwardsClosed(names, at=time.time()))
        forwards = ForwardThread(ctx.store, ctx.target, ctx.profile.forwards, ctx.port_claims)
        forwards.start()
        run.forwards = forwards

    def down(self) -> str:
        """Stop the dev loop and forwards, then `skaffold delete` or `tilt down` (the watches keep showing).

        Once the delete succeeded, `StackRemoved` resets what no longer holds (steps, checks).
        """
        from devstack.core.events import StackRemoved
        from devstack.engine.deploy_select import remove_stack

        ctx = self._context("down")
        self.stop(keep_watches=True)
        output = remove_stack(ctx)
        done = output.splitlines()[-1] if output else f"removed the stack from {ctx.context}"
        self.store.dispatch(StackRemoved(at=time.time(), detail=f"removed by down ({ctx.context})"))
        return done

    def stream_logs(
        self, pod: str, container: str, on_lines: Callable[[list[str]], None], cancel: threading.Event
    ) -> None:
        """Follow a container's log until `cancel` is set; batches of lines go to `on_lines`."""
        from devstack.sources.kubeapi import KubeApi
        from devstack.sources.logs import follow_logs

        ctx = self._context("logs")
        api = KubeApi(ctx.target)
        try:
            follow_logs(api.client, ctx.target, pod, container, on_lines, cancel)
        finally:
            api.close()

    # ------------------------------------------------------------------ k9s-style views
    @property
    def namespace(self) -> str:
        """The profile's namespace ("" before the engine is prepared, or without an engine)."""
        return self.ctx.target.namespace if self.ctx is not None else ""

    def inspect(self, plural: str, name: str, namespace: str | None = None) -> Inspected:
        """An object with its Events and related objects (for describe and YAML)."""
        from devstack.core.kinds import BY_PLURAL
        from devstack.engine.inspect import inspect

        return inspect(self._kube("describe"), BY_PLURAL[plural], name, namespace)

    def exec_call(self, pod: str, container: str | None, command: tuple[str, ...]) -> ExecCall:
        """A checked interactive exec (stdin and a tty) of `command` in a pod of the namespace."""
        from devstack.engine.podexec import exec_call

        return exec_call(self._kube("exec"), pod, container, command, stdin=True, tty=True)

    def exec_in_terminal(self, call: ExecCall) -> int:
        """Run an exec on this process's terminal until it ends; the command's exit code."""
        from devstack.engine.podexec import exec_in_terminal
        from devstack.sources.terminal import TerminalIO

        return exec_in_terminal(self._context("exec").target, call, TerminalIO())

    def logs_target(self, name: str, previous: bool = False) -> LogsTarget:
        """What the logs of `deployment/NAME` or `pod/NAME` are (checked against the cluster)."""
        from devstack.engine.podlogs import logs_target

        return logs_target(self._kube("logs"), name, None, previous, tail=200)

    def workload_logs(
        self, target: LogsTarget, on_lines: Callable[[list[LogLine]], None], cancel: threading.Event
    ) -> None:
        """Follow (or, for previous logs, read once) the logs of `target` until `cancel` is set."""
        from devstack.sources.kubeapi import KubeApi
        from devstack.sources.workload_logs import WorkloadLogs

        ctx = self._context("logs")
        api = KubeApi(ctx.target)
        try:
            logs = WorkloadLogs(api.client, ctx.target, target.selection, on_lines, cancel)
            if target.selection.previous:
                on_lines(logs.read_once())
            else:
                logs.follow()
        finally:
            api.close()

    def start_browse(self, kind: str, namespace: str) -> None:
        """The kind browser shows `kind` in `namespace`: a scoped watch replaces the previous one."""
        from devstack.core.events import BrowseStarted
        from devstack.sources.kube import BrowseWatch

        self.stop_browse(announce=False)
        self.store.dispatch(BrowseStarted(kind, namespace))
        watch = BrowseWatch(self._kube("browse").client, kind, namespace, self.store.dispatch)
        self._browse = watch
        watch.start()

    def stop_browse(self, announce: bool = True) -> None:
        """Stop the kind browser's watch (and drop what it listed)."""
        from devstack.core.events import BrowseStopped

        watch, self._browse = self._browse, None
        if watch is not None:
            watch.stop()
        if announce:
            self.store.dispatch(BrowseStopped())
