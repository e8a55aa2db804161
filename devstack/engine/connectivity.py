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


def start_forwards(
    ctx: EngineContext, progress: Progress, take_over: bool = False, wait: float = READY_WAIT
) -> ForwardThread:
    """Bind every profile port on 127.0.0.1 (refusing busy ones) and serve each on its own.

    Each forward serves as soon as its own Service has a ready endpoint; one without (a
    crash-looping backend) waits on its own and never keeps the others from serving. This waits
    up to `wait` seconds for every forward to be ready, then returns anyway: the step's result
    (`forwards_summary`) names those still waiting.
    """
    forwards = ctx.profile.forwards
    if not forwards:
        raise SkipStep("the profile has no forwards")
    progress(", ".join(f"127.0.0.1:{f.local_port} → {f.service}:{f.remote_port}" for f in forwards))
    thread = ForwardThread(ctx.store, ctx.target, forwards, ctx.port_claims)
    thread.start(take_over)
    deadline = time.monotonic() + ctx.remaining(wait)
    while waiting_forwards(ctx) and time.monotonic() < deadline and not ctx.cancel.is_set():
        time.sleep(0.1)
    return thread


def waiting_forwards(ctx: EngineContext) -> list[str]:
    """Names of the profile's forwards without a ready endpoint right now."""
    views = ctx.store.state.forwards
    return [f.name for f in ctx.profile.forwards if f.name not in views or views[f.name].status != "ready"]


def forwards_summary(ctx: EngineContext) -> str:
    """`localhost:3000 → jetscale-frontend-abc, localhost:8000 waiting (no ready endpoint of …)`."""
    views = ctx.store.state.forwards
    parts = []
    for forward in ctx.profile.forwards:
        view = views.get(forward.name)
        if view is not None and view.status == "ready":
            parts.append(f"localhost:{forward.local_port} → {view.pod or view.service}")
        else:
            parts.append(
                f"localhost:{forward.local_port} waiting (no ready endpoint of {forward.service} yet)"
            )
    return ", ".join(parts)


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
