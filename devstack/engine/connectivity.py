"""The forwards and checks steps, shared by `up`, `forward`, `check` and the TUI."""

from __future__ import annotations

import time

from devstack.core.checks import failed_summary
from devstack.engine.context import EngineContext
from devstack.engine.runner import Progress, SkipStep, StepError
from devstack.sources.checks import run_checks
from devstack.sources.forwarder import ForwardThread
from devstack.sources.kubeapi import KubeApi

READY_WAIT = 30.0


def start_forwards(ctx: EngineContext, progress: Progress, take_over: bool = False) -> ForwardThread:
    """Bind every profile port on 127.0.0.1 (refusing busy ones) and wait for ready endpoints."""
    forwards = ctx.profile.forwards
    if not forwards:
        raise SkipStep("the profile has no forwards")
    progress(", ".join(f"127.0.0.1:{f.local_port} → {f.service}:{f.remote_port}" for f in forwards))
    thread = ForwardThread(ctx.store, ctx.target, forwards)
    thread.start(take_over)
    wait = ctx.remaining(READY_WAIT)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and not ctx.cancel.is_set():
        views = ctx.store.state.forwards
        if all(views.get(f.name) is not None and views[f.name].status == "ready" for f in forwards):
            return thread
        time.sleep(0.1)
    waiting = [
        f.name
        for f in forwards
        if ctx.store.state.forwards.get(f.name, None) is None
        or ctx.store.state.forwards[f.name].status != "ready"
    ]
    thread.stop()
    raise StepError(
        f"no ready endpoint for {', '.join(waiting)} within {wait:.0f}s",
        fix="`devstack status` shows why the pods behind those Services are not ready",
    )


def forwards_summary(ctx: EngineContext) -> str:
    """`localhost:3000 → jetscale-frontend-abc (3000), …`."""
    views = ctx.store.state.forwards
    return ", ".join(
        f"localhost:{v.local_port} → {v.pod or v.service}"
        for v in (views[f.name] for f in ctx.profile.forwards)
    )


def run_check_step(ctx: EngineContext, api: KubeApi | None, progress: Progress) -> str:
    """Run every check; fail the step with the first failing step's detail and hint."""
    progress("running checks")
    lookup = api.deployment_env if api is not None else None
    results = run_checks(ctx.profile, ctx.store.dispatch, lookup)
    if not results:
        raise SkipStep("the profile has no checks")
    message, fix = failed_summary(results)
    if message:
        raise StepError(message, fix=fix)
    return f"{len(results)} check(s) passed"
