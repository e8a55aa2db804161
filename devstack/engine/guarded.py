"""`up` that can be stopped between steps and at each progress line (for long-lived sessions)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from devstack.core.versions import parse_version
from devstack.engine.context import EngineContext
from devstack.engine.deploy import DeployRunner
from devstack.engine.runner import Progress, Step
from devstack.engine.up import UpRun
from devstack.errors import DevstackError
from devstack.exitcodes import UNHEALTHY
from devstack.sources import processes


class Stopped(DevstackError):
    """The run was stopped by the user (quit, down, profile switch)."""

    def __init__(self) -> None:
        super().__init__("stopped", fix="press u to bring the stack up again", exit_code=UNHEALTHY)


KEEP_RUNNING = "--keep-running-on-failure"
KEEP_RUNNING_SINCE = (2, 1, 0)


class KeepRunningDeploy(DeployRunner):
    """`skaffold dev --keep-running-on-failure` (skaffold >= 2.1, as the doctor found it).

    A failed first deploy then leaves the workloads in the cluster (plain `skaffold dev` exits and
    deletes them), so a long-lived front end can still say why they fail, and the loop redeploys
    once the code is fixed.
    """

    def _run(self, args: list[str], timeout: float | None) -> int:
        if len(args) > 1 and args[1] == "dev" and KEEP_RUNNING not in args and self._supported():
            args = [*args, KEEP_RUNNING]
        return super()._run(args, timeout)

    def _supported(self) -> bool:
        """skaffold >= 2.1: the doctor's finding, else `skaffold version` in the tools' environment."""
        check = next((c for c in self.ctx.store.state.doctor if c.name == "tool:skaffold"), None)
        version = parse_version(check.fact("version") or "") if check is not None else None
        if version is None:
            try:
                found = processes.run(
                    [self.ctx.tools.require("skaffold"), "version"],
                    env=self.ctx.tools.child_env(),
                    timeout=15,
                )
            except (OSError, DevstackError):
                return False
            version = parse_version(found.stdout) if found.returncode == 0 else None
        return version is not None and version >= KEEP_RUNNING_SINCE


class GuardedUp(UpRun):
    """`UpRun` whose steps end with `Stopped` at the next step or progress line once `cancel` is set,
    and whose `skaffold dev` keeps running after a failed first deploy (`KeepRunningDeploy`).

    Progress lines reported from other threads (e.g. kind's output reader) never raise: only the
    thread running the steps (`owner`) does.
    """

    def __init__(
        self, ctx: EngineContext, cancel: threading.Event, owner: threading.Thread, take_over: bool = False
    ):
        super().__init__(ctx, take_over=take_over)
        self.deploy = KeepRunningDeploy(ctx)
        self._cancel_event = cancel
        self._owner = owner

    def steps(self) -> list[Step]:
        """The pipeline, each step guarded."""
        return [Step(step.info, self._guard(step.run)) for step in super().steps()]

    def _guard(self, run: Callable[[Progress], str]) -> Callable[[Progress], str]:
        def guarded(progress: Progress) -> str:
            self._check()

            def report(message: str) -> None:
                if threading.current_thread() is self._owner:
                    self._check()
                progress(message)

            return run(report)

        return guarded

    def _check(self) -> None:
        if self._cancel_event.is_set():
            raise Stopped()


def stop_run(run: UpRun, keep_watches: bool = False) -> None:
    """Stop what an `up` left running: skaffold dev, the forwards and (optionally) the watches.

    Like `UpRun.stop`, but safe for a run that failed before its watches started.
    """
    if run.forwards is not None:
        run.forwards.stop()
        run.forwards = None
    run.deploy.shutdown()
    if keep_watches:
        return
    if run.live.watch.watchers:
        run.live.stop()
    else:
        run.live.api.close()
