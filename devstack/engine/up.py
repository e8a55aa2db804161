"""`up`: doctor → cluster → context → deploy → ready → forwards → checks, as one engine run."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from devstack.core import pipeline
from devstack.core.events import ForwardsClosed, SessionStarted
from devstack.engine.cluster import run_cluster
from devstack.engine.connectivity import READY_WAIT, forwards_summary, run_check_step, start_forwards
from devstack.engine.context import EngineContext, guard_context
from devstack.engine.deploy_select import runner_for
from devstack.engine.deploy_tool import DeployTool
from devstack.engine.feed import ClusterFeed, start_feed
from devstack.engine.looptracker import LoopTracker
from devstack.engine.readiness import settle, wait_ready
from devstack.engine.rechecks import CheckRerunner
from devstack.engine.runner import Deadline, Progress, Step, StepError, Stopped, run_steps
from devstack.exitcodes import MISSING_PREREQUISITE, OK, UNHEALTHY
from devstack.sources.checks import run_checks
from devstack.sources.doctor import doctor_plan, run_doctor
from devstack.sources.forwarder import ForwardThread

SETTLE_SECONDS = 15.0
"""After a failed deploy/ready step: how long failing workloads get to explain themselves."""
AFTER_FAILURE_WAIT = 2.0
"""After a failed deploy/ready the endpoints are known: no point waiting for the failed workload."""


@dataclass
class UpRun:
    """One `up`: the steps, and what keeps running after them (watches, skaffold dev)."""

    ctx: EngineContext
    take_over: bool = False
    feed: ClusterFeed = field(init=False)
    deploy: DeployTool = field(init=False)
    forwards: ForwardThread | None = None
    failure: StepError | None = None
    rechecks: CheckRerunner | None = None
    tracker: LoopTracker | None = None

    def __post_init__(self) -> None:
        self.feed = ClusterFeed(self.ctx)
        self.deploy = runner_for(self.ctx)

    def steps(self) -> list[Step]:
        """The pipeline, each step bound to this run."""
        return [
            Step(pipeline.DOCTOR, self._doctor),
            Step(pipeline.CLUSTER, lambda p: run_cluster(self.ctx, p)),
            Step(pipeline.GUARD, lambda p: start_feed(self.ctx, self.feed, p)),
            Step(pipeline.DEPLOY, self._deploy),
            Step(pipeline.READY, lambda p: wait_ready(self.ctx, p, self.ctx.timeout("ready"))),
            Step(pipeline.FORWARDS, self._forwards),
            Step(pipeline.CHECKS, lambda p: run_check_step(self.ctx, self.feed.api, p)),
        ]

    def run(self) -> int:
        """Run the pipeline; returns the exit code (0 only when every workload is healthy).

        `--timeout` (`ctx.overall_timeout`) is one deadline for the whole pipeline: each stage
        gets what is left of it, and when it passes the running step is stopped.
        """
        guard_context(self.ctx.loaded)
        profile = self.ctx.profile
        steps = pipeline.step_names(pipeline.UP_STEPS)
        self.ctx.store.dispatch(SessionStarted("up", profile.name, self.ctx.context, steps, self.ctx.plan))
        deadline = self._deadline()
        timer = None
        if deadline is not None:
            timer = threading.Timer(max(0.0, deadline.at - time.monotonic()), self.ctx.cancel.set)
            timer.daemon = True
            timer.start()
        try:
            self.failure = run_steps(self.steps(), self.ctx.store.dispatch, self.ctx.cancel, deadline)
        finally:
            if timer is not None:
                timer.cancel()
        if self.failure is not None:
            failed = self.ctx.store.state.failed_step
            if failed is not None and failed.name in (pipeline.DEPLOY.name, pipeline.READY.name):
                settle(self.ctx, self.ctx.remaining(SETTLE_SECONDS))
                self._forward_the_rest()
        if self.ctx.interactive:
            self.follow_checks()
        if self.failure is not None:
            return self.failure.exit_code
        return OK if self.healthy() else UNHEALTHY

    def _forward_the_rest(self) -> None:
        """After a failed deploy or ready step, forward anyway: every workload that is ready is
        served on its port, the others' forwards wait for them (a red backend never takes the
        frontend's port down). The run keeps the failure's exit code."""
        if isinstance(self.failure, Stopped) or self.ctx.cancel.is_set():
            return
        step = Step(pipeline.FORWARDS, lambda p: self._forwards(p, wait=AFTER_FAILURE_WAIT))
        run_steps([step], self.ctx.store.dispatch, self.ctx.cancel)

    def follow_checks(self) -> None:
        """From now on, re-run the checks after each redeploy and forward re-target (until `stop`)."""
        if self.rechecks is not None or isinstance(self.failure, Stopped):
            return
        ctx, api = self.ctx, self.feed.api
        self.rechecks = CheckRerunner(
            ctx.store, lambda: run_checks(ctx.profile, ctx.store.dispatch, api.deployment_env)
        )

    def _deadline(self) -> Deadline | None:
        at = self.ctx.start_deadline()
        if at is None or self.ctx.overall_timeout is None:
            return None
        return Deadline(at, self.ctx.overall_timeout)

    def healthy(self) -> bool:
        """Every workload OK."""
        return self.ctx.verdicts().healthy

    def stop(self, keep_watches: bool = False) -> None:
        """Stop the check re-runs, the watches (unless `keep_watches`), the forwards and skaffold dev.

        The watches stop before the forwards, so no kube event reaches a forwarder whose event
        loop is closing; closed forwards leave the state (`ForwardsClosed`).
        """
        if self.rechecks is not None:
            self.rechecks.stop()
            self.rechecks = None
        if not keep_watches:
            self.feed.stop()
        if self.forwards is not None:
            self.forwards.stop()
            self.forwards = None
            names = tuple(f.name for f in self.ctx.profile.forwards)
            self.ctx.store.dispatch(ForwardsClosed(names, at=time.time()))
        self.deploy.shutdown()
        if self.tracker is not None:
            self.tracker.stop()
            self.tracker = None

    def _forwards(self, progress: Progress, wait: float = READY_WAIT) -> str:
        self.forwards = start_forwards(self.ctx, progress, self.take_over, wait)
        return forwards_summary(self.ctx)

    def _doctor(self, progress: Progress) -> str:
        progress("checking Docker, tools and ports")
        tools = self.ctx.tools
        plan = doctor_plan(
            self.ctx.profile,
            tools,
            self.ctx.loaded.root / self.ctx.profile.deploy.skaffold_file,
            state_dir=self.ctx.state_dir,
            take_over=self.take_over,
            binding=True,
        )
        run_doctor(plan, self.ctx.store.dispatch)
        state = self.ctx.store.state
        missing = state.missing_prerequisites
        if missing:
            first = missing[0]
            fix = first.fix
            if not first.name.startswith("port:") and not tools.allow_sim:  # not already the demo
                fix += " — or `devstack demo` to try everything on a simulated cluster"
            raise StepError(
                "missing: " + ", ".join(f"{c.name} ({c.detail})" for c in missing),
                fix=fix,
                exit_code=MISSING_PREREQUISITE,
            )
        warnings = [c for c in state.doctor if c.status.value != "ok"]
        return f"{len(state.doctor)} checks, {len(warnings)} warning(s)"

    def _deploy(self, progress: Progress) -> str:
        if self.tracker is None:
            self.tracker = LoopTracker(self.ctx, self.deploy.watched_files()).start()
        if self.ctx.interactive and self.ctx.profile.deploy.mode == "dev":
            return self.deploy.start_dev(progress)
        return self.deploy.run_once(progress)
