"""Changes of the deploy state and the timeline that several reducers make (pure)."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from devstack.core import timeline as tl
from devstack.core.deploy import MAX_ERRORS, DeployState, upsert
from devstack.core.state import State


def with_deploy(state: State, **changes: object) -> State:
    """The state with these deploy-state fields replaced."""
    return replace(state, deploy=replace(state.deploy, **changes))  # type: ignore[arg-type]


def add_error(deploy: DeployState, message: str) -> DeployState:
    """The deploy state with one more error (the same error twice in a row is kept once)."""
    if not message or (deploy.errors and deploy.errors[-1] == message):
        return deploy
    return replace(deploy, errors=(*deploy.errors, message)[-MAX_ERRORS:])


def begin_iteration(state: State, tool_iteration: int, at: float, first: bool) -> State:
    """A new iteration: counted in the deploy state, opened in the timeline."""
    deploy = replace(
        state.deploy, iteration=state.deploy.iteration + 1, phase="building", rollouts=(), errors=()
    )
    return replace(state, deploy=deploy, timeline=tl.begin(state.timeline, tool_iteration, at, first))


def fail_iteration(state: State, error: str, at: float) -> State:
    """The tool reports the current iteration failed."""
    deploy = add_error(replace(state.deploy, phase="failed"), error)
    return replace(state, deploy=deploy, timeline=tl.ended(state.timeline, at, False, error))


def set_artifact(deploy: DeployState, artifact: str, status: str) -> DeployState:
    """The deploy state with an artifact's status set."""
    rows = upsert(deploy.artifacts, artifact, (artifact, status))
    return replace(deploy, artifacts=cast(tuple[tuple[str, str], ...], rows))
