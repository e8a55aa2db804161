"""Waiting until every workload is ready, and giving failing ones time to explain themselves."""

from __future__ import annotations

import time
from collections.abc import Iterable

from devstack.core.health import Explanation, worst
from devstack.core.model import Level
from devstack.engine.context import EngineContext
from devstack.engine.runner import Progress, StepError

# Failures that will not heal by waiting (crash loops, bad images, missing config).
SETTLED_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "OOMKilled",
        "InvalidImageName",
        "CreateContainerConfigError",
        "ProgressDeadlineExceeded",
        "Unschedulable",
    }
)


def wait_ready(ctx: EngineContext, progress: Progress, timeout: float) -> str:
    """Until every Deployment is ready; on timeout, fail with the explanations."""
    deadline = time.monotonic() + timeout
    while True:
        verdicts = ctx.verdicts()
        not_ready = verdicts.not_ok
        if verdicts.healthy:
            return f"{len(verdicts.workloads)} workload(s) ready: " + ", ".join(n for n, _ in verdicts.named)
        if not_ready:
            progress("; ".join(f"{name}: {v.reason}" for name, v in not_ready))
        failing = [(n, v) for n, v in not_ready if v.level is Level.ERROR]
        if time.monotonic() > deadline or (failing and _settled(failing)):
            raise StepError(_summary(not_ready, bool(verdicts.workloads)), fix=_fix(not_ready))
        time.sleep(0.2)


def settle(ctx: EngineContext, timeout: float = 15.0) -> None:
    """After a failed deploy: give failing workloads a few seconds to reach a verdict that explains
    them (a container that crashed once is only `CrashLoopBackOff` after its next crash)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        not_ok = ctx.verdicts().not_ok
        if not not_ok or _settled(not_ok):
            return
        time.sleep(0.2)


def _settled(failing: Iterable[tuple[str, Explanation]]) -> bool:
    return all(v.reason in SETTLED_REASONS for _, v in failing)


def _summary(not_ready: list[tuple[str, Explanation]], any_workload: bool) -> str:
    if not any_workload:
        return "no Deployment appeared in the namespace"
    level = worst(v.level for _, v in not_ready)
    return f"{len(not_ready)} workload(s) not ready ({level.value}): " + "; ".join(
        f"{name}: {v.reason}" for name, v in not_ready
    )


def _fix(not_ready: list[tuple[str, Explanation]]) -> str:
    actions = [v.action for _, v in not_ready if v.action]
    return actions[0] if actions else "`devstack status` shows every pod"
