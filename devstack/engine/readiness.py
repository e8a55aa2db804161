"""Waiting until every workload is ready, failing fast on what will not recover, and giving
failing workloads time to explain themselves. Which states are final: `core/final_states.py`."""

from __future__ import annotations

import time

from devstack.core.final_states import all_final, waiting_for
from devstack.core.health import Explanation, worst
from devstack.core.kube import DeploymentInfo
from devstack.core.model import Level
from devstack.core.verdicts import Verdicts
from devstack.engine.context import EngineContext
from devstack.engine.runner import DeadlinePassed, Progress, StepError


def wait_ready(ctx: EngineContext, progress: Progress, timeout: float) -> str:
    """Until every Deployment is ready; fails at once when every failing one is in a final state,
    and at the deadline naming what each workload was still waiting for."""
    deadline = time.monotonic() + timeout
    while True:
        verdicts = ctx.verdicts()
        not_ready = verdicts.not_ok
        if verdicts.healthy:
            return f"{len(verdicts.workloads)} workload(s) ready: " + ", ".join(n for n, _ in verdicts.named)
        waiting = _waiting(ctx, verdicts)
        if not_ready:
            try:
                progress("; ".join(f"{name}: {v.reason}" for name, v in not_ready))
            except DeadlinePassed as late:  # the run's --timeout: say what was still not ready
                raise DeadlinePassed(late.seconds, late.step, waiting) from None
        timed_out = time.monotonic() > deadline
        if timed_out or settled(ctx, verdicts):
            summary = _summary(ctx, verdicts, timed_out, timeout)
            raise StepError(summary, fix=_fix(not_ready), waiting=waiting)
        time.sleep(0.2)


def _waiting(ctx: EngineContext, verdicts: Verdicts) -> str:
    """`jetscale-backend: 0/1 ready, CrashLoopBackOff, exit 1; ...` for every workload not OK."""
    pods = ctx.store.state.pods
    return "; ".join(waiting_for(pods, d, v.reason) for d, v in verdicts.workloads if v.level is not Level.OK)


def settle(ctx: EngineContext, timeout: float = 15.0) -> None:
    """After a failed deploy: give failing workloads a few seconds to reach a verdict that explains
    them (a container that crashed once is only a crash loop after its next crashes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        verdicts = ctx.verdicts()
        if not verdicts.not_ok or settled(ctx, verdicts, every=True):
            return
        time.sleep(0.2)


def _failing(verdicts: Verdicts, every: bool = False) -> list[tuple[DeploymentInfo, Explanation]]:
    return [
        (d, v) for d, v in verdicts.workloads if v.level is not Level.OK and (every or v.level is Level.ERROR)
    ]


def settled(ctx: EngineContext, verdicts: Verdicts, every: bool = False) -> bool:
    """Every failing workload (with `every`: every one not OK) is in a final state."""
    failing = _failing(verdicts, every)
    return all_final(ctx.store.state.pods, [(d, v.reason) for d, v in failing])


def _summary(ctx: EngineContext, verdicts: Verdicts, timed_out: bool, timeout: float) -> str:
    if not verdicts.workloads:
        return "no Deployment appeared in the namespace"
    waiting = _waiting(ctx, verdicts)
    if timed_out:
        return f"not ready within {timeout:.0f}s, still waiting for {waiting}"
    not_ok = [v for _, v in verdicts.workloads if v.level is not Level.OK]
    return (
        f"{len(not_ok)} workload(s) will not become ready ({worst(v.level for v in not_ok).value}): {waiting}"
    )


def _fix(not_ready: list[tuple[str, Explanation]]) -> str:
    actions = [v.action for _, v in not_ready if v.action]
    return actions[0] if actions else "`devstack status` shows every pod"
