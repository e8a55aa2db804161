"""What still holds after an event: the rules that keep steps, forwards and checks true to the facts.

A step of `up` is a record of the run only while nothing has changed what it says: `down` removes
the deploy, a redeploy replaces it, a re-run of the checks replaces their verdict, a deleted pod is
no longer a forward's target. The reducers call these pure functions so that every view (the TUI,
`--json`, headless lines) reads a state that says what is true now, never what was true once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace

from devstack.core.checks import failed_summary
from devstack.core.model import StepStatus
from devstack.core.pipeline import CHECKS, DEPLOY, FORWARDS, READY
from devstack.core.state import State

STACK_STEPS = (DEPLOY.name, READY.name, FORWARDS.name, CHECKS.name)
"""The steps whose result lives in the cluster or on local ports (what `down` takes away)."""


def with_step(state: State, name: str, **changes: object) -> State:
    """The state with step `name` changed (unchanged when the run has no such step)."""
    index = next((i for i, s in enumerate(state.steps) if s.name == name), None)
    if index is None:
        return state
    steps = list(state.steps)
    steps[index] = replace(steps[index], **changes)  # type: ignore[arg-type]
    return replace(state, steps=tuple(steps))


def reset_steps(state: State, names: Iterable[str], message: str) -> State:
    """Those steps back to pending (their result no longer holds), saying why."""
    for name in names:
        step = state.step(name)
        if step is not None and step.status is not StepStatus.PENDING:
            state = with_step(state, name, **_pending(message))
    return state


def _pending(message: str) -> dict[str, object]:
    return {"status": StepStatus.PENDING, "message": message, "error": "", "fix": "", "finished_at": None}


def checks_step(state: State, at: float) -> State:
    """The `checks` step from the latest results, once no check is running.

    Whoever ran the checks (`up`, `c`, a re-run after a redeploy), the step and the header say
    what the last round found.
    """
    if state.step(CHECKS.name) is None or state.checks_running or not state.checks:
        return state
    message, fix = failed_summary(state.checks)
    if message:
        return with_step(state, CHECKS.name, status=StepStatus.FAILED, error=message, fix=fix, finished_at=at)
    detail = f"{len(state.checks)} check(s) passed"
    return with_step(
        state, CHECKS.name, status=StepStatus.OK, message=detail, error="", fix="", finished_at=at
    )


def close_forwards(state: State, names: Collection[str]) -> State:
    """Closed forwards leave the state, and the checks that went through them no longer hold."""
    forwards = {name: view for name, view in state.forwards.items() if name not in names}
    if len(forwards) == len(state.forwards):
        return state
    state = replace(state, forwards=forwards, checks=(), checks_running=())
    state = reset_steps(state, (FORWARDS.name,), "forwards closed")
    return reset_steps(state, (CHECKS.name,), "not run since the forwards closed")


def retarget_gone(state: State, gone: Collection[str]) -> State:
    """A forward whose target pod is gone (deleted or terminating) waits for a new endpoint."""
    if not gone:
        return state
    stale = {
        name: replace(view, status="waiting", pod="", target_port=0)
        for name, view in state.forwards.items()
        if view.status == "ready" and view.pod in gone
    }
    if not stale:
        return state
    return replace(state, forwards={**state.forwards, **stale})


def stack_removed(state: State, detail: str) -> State:
    """After `down`: no forward, no check result, and the deploy, ready, forwards and checks steps
    pending again (the cluster, its context and the doctor's findings still hold)."""
    message = detail or "removed by down"
    state = replace(state, forwards={}, checks=(), checks_running=())
    state = reset_steps(state, STACK_STEPS, message)
    return replace(state, deploy=replace(state.deploy, phase="removed"))


def redeploy_steps(state: State, previous_phase: str) -> State:
    """`skaffold dev` or `tilt up` redeploys (iteration 2 and later): the deploy and ready steps follow it.

    A new iteration puts the deploy step back to running; a stabilised one makes deploy and
    ready OK again; a failed one fails the deploy step with skaffold's errors.
    """
    deploy = state.deploy
    if not deploy.dev_loop or deploy.iteration < 2 or deploy.phase == previous_phase:
        return state
    iteration = f"iteration {deploy.iteration}"
    if deploy.phase == "building":
        return with_step(
            state, DEPLOY.name, **{**_pending(f"{iteration}: building"), "status": StepStatus.RUNNING}
        )
    if deploy.phase in ("deployed", "watching") and previous_phase not in ("deployed", "watching"):
        state = with_step(
            state, DEPLOY.name, status=StepStatus.OK, message=f"redeployed ({iteration})", error="", fix=""
        )
        ready = [name for name, status, _ in deploy.rollouts if status == "ready"]
        detail = f"{len(ready)} workload(s) ready ({iteration})" if ready else f"ready ({iteration})"
        return with_step(state, READY.name, status=StepStatus.OK, message=detail, error="", fix="")
    if deploy.phase == "failed":
        error = " | ".join(deploy.errors[-3:]) or "skaffold reported a failure"
        return with_step(
            state,
            DEPLOY.name,
            status=StepStatus.FAILED,
            error=f"{iteration} failed: {error}",
            fix="fix the error; skaffold dev redeploys on the next change",
        )
    return state
