"""The one table of states that will not recover (fail fast on them, and only on them), and the
"still waiting for" line a timeout names."""

from __future__ import annotations

import os
import time

import pytest
from helpers import REPO

from devstack.core import events as ev
from devstack.core.final_states import CRASH_LOOP_RESTARTS, FINAL_STATES, all_final, is_final, waiting_for
from devstack.core.kube import ContainerInfo, DeploymentInfo, PodInfo
from devstack.core.pipeline import READY
from devstack.core.store import Store
from devstack.engine.context import EngineContext
from devstack.engine.readiness import wait_ready
from devstack.engine.runner import Deadline, DeadlinePassed, Step, run_steps
from devstack.profile import LoadedProfile, load_profile
from devstack.sources.tools import ToolEnv

BACKEND = DeploymentInfo("jetscale", "jetscale-backend", replicas=1, selector=(("app", "backend"),))


def pods(restarts: int, exit_code: int | None = 1, deleting: bool = False) -> dict[str, PodInfo]:
    container = ContainerInfo(
        "backend",
        "jetscale-backend:dev",
        restart_count=restarts,
        reason="CrashLoopBackOff",
        last_exit_code=exit_code,
    )
    pod = PodInfo("jetscale", "b-1", labels=(("app", "backend"),), containers=(container,), deleting=deleting)
    return {pod.key: pod}


@pytest.mark.parametrize(
    "reason",
    [
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "CreateContainerConfigError",
        "RunContainerError",
    ],
)
def test_an_image_that_cannot_be_pulled_or_a_container_that_cannot_start_is_final_at_once(
    reason: str,
) -> None:
    assert is_final(reason, restarts=0)


def test_a_crash_loop_is_final_only_past_its_threshold() -> None:
    assert not is_final("CrashLoopBackOff", CRASH_LOOP_RESTARTS - 1)
    assert is_final("CrashLoopBackOff", CRASH_LOOP_RESTARTS)
    assert not all_final(pods(restarts=1), [(BACKEND, "CrashLoopBackOff")])
    assert all_final(pods(restarts=CRASH_LOOP_RESTARTS), [(BACKEND, "CrashLoopBackOff")])
    # a terminating pod's restarts do not count
    assert not all_final(pods(restarts=5, deleting=True), [(BACKEND, "CrashLoopBackOff")])


@pytest.mark.parametrize(
    "reason", ["Starting", "ReadinessProbeFailing", "ContainerCreating", "RollingOut", "Pending", "Restarted"]
)
def test_transient_states_never_fail_the_run_early(reason: str) -> None:
    assert reason not in FINAL_STATES
    assert not is_final(reason, restarts=10)


def test_nothing_failing_is_not_settled_and_every_failing_workload_must_be_final() -> None:
    assert not all_final({}, [])
    frontend = DeploymentInfo("jetscale", "jetscale-frontend", selector=(("app", "frontend"),))
    assert not all_final(pods(3), [(BACKEND, "CrashLoopBackOff"), (frontend, "ReadinessProbeFailing")])


def test_a_timeout_names_what_each_workload_still_waits_for() -> None:
    assert (
        waiting_for(pods(3), BACKEND, "CrashLoopBackOff")
        == "jetscale-backend: 0/1 ready, CrashLoopBackOff, exit 1"
    )
    assert waiting_for({}, BACKEND, "ImagePullBackOff") == "jetscale-backend: 0/1 ready, ImagePullBackOff"


def ready_step(restarts: int, deadline: Deadline) -> tuple[Store, object]:
    """The real `ready` step on a store holding a crash-looping backend (`restarts` so far)."""
    path = REPO / "profiles" / "local-kind.yaml"
    store = Store()
    store.dispatch(ev.KubeSynced("pods", tuple(pods(restarts).values())))
    store.dispatch(ev.KubeSynced("deployments", (BACKEND,)))
    ctx = EngineContext(LoadedProfile(load_profile(path), path, REPO), store, ToolEnv(dict(os.environ)))
    step = Step(READY, lambda progress: wait_ready(ctx, progress, 600))
    return store, run_steps([step], store.dispatch, deadline=deadline)


def test_ready_fails_fast_on_a_final_state_naming_it_and_a_deadline_names_what_it_waited_for() -> None:
    store, failure = ready_step(CRASH_LOOP_RESTARTS, Deadline(time.monotonic() + 3600, 3600.0))
    assert failure is not None and not isinstance(failure, DeadlinePassed)
    assert store.state.step("ready").error == (  # type: ignore[union-attr]
        "1 workload(s) will not become ready (error): jetscale-backend: 0/1 ready, CrashLoopBackOff, exit 1"
    )
    # One restart is not a crash loop yet: the step waits, until the run's --timeout cuts it.
    store, failure = ready_step(CRASH_LOOP_RESTARTS - 1, Deadline(time.monotonic() + 0.5, 30.0))
    assert isinstance(failure, DeadlinePassed)
    assert store.state.step("ready").error == (  # type: ignore[union-attr]
        "not done within --timeout 30s (ready was still running): "
        "still waiting for jetscale-backend: 0/1 ready, CrashLoopBackOff, exit 1"
    )
