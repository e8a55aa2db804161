"""`CheckRerunner`: the checks run again after a redeploy and after a forward re-targets, debounced,
never while `up` or another round runs (a real store; the clock is the test's)."""

from __future__ import annotations

import threading

from helpers import wait_for

from devstack.core import events as ev
from devstack.core.checks import CheckResult
from devstack.core.portforward import ForwardView
from devstack.core.state import State
from devstack.core.store import Store
from devstack.engine.rechecks import CheckRerunner


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def forward(name: str, pod: str, status: str = "ready") -> ev.ForwardChanged:
    return ev.ForwardChanged(ForwardView(name, 3000 if name == "frontend" else 8000, name, 1, status, pod))


def dev_loop(store: Store) -> None:
    store.dispatch(ev.DeployStarted("skaffold", ("skaffold", "dev"), "dev", at=0.0))
    for line in ("Generating tags...", "Deployments stabilized in 1s", "Watching for changes..."):
        store.dispatch(ev.DeployOutput(line, at=0.0))
    store.dispatch(forward("frontend", "front-1"))
    store.dispatch(forward("backend", "back-1"))


def rerunner(store: Store, clock: Clock) -> tuple[CheckRerunner, list[State]]:
    runs: list[State] = []

    def run_checks() -> None:
        runs.append(store.state)

    return CheckRerunner(store, run_checks, debounce=1.0, settle_max=30.0, clock=clock), runs


def settle(store: Store) -> None:
    assert store.flush()


def test_a_redeploy_runs_the_checks_once_after_the_quiet_time() -> None:
    store, clock = Store(), Clock()
    dev_loop(store)
    checks, runs = rerunner(store, clock)
    try:
        for line in ("Generating tags...", "Deployments stabilized in 1s", "Watching for changes..."):
            store.dispatch(ev.DeployOutput(line, at=1.0))
        settle(store)
        clock.now += 0.5
        store.dispatch(forward("backend", "back-2"))  # the redeploy replaced the pod: one more trigger
        settle(store)
        clock.now += 0.9  # 1.4s after the first trigger, 0.9s after the last: not yet
        assert runs == []
        clock.now += 0.2
        wait_for(lambda: len(runs) == 1, what="one run")
        assert runs[0].deploy.iteration == 2
        clock.now += 5
        store.dispatch(ev.DeployOutput("Watching for changes...", at=2.0))  # same iteration: no trigger
        settle(store)
        assert checks.runs == 1
    finally:
        checks.stop()


def test_a_retarget_runs_them_once_the_forwards_are_ready_and_up_is_not_running() -> None:
    store, clock = Store(), Clock()
    dev_loop(store)
    store.dispatch(ev.SessionStarted("tui", "p", "c", ("checks",)))
    dev_loop(store)
    checks, runs = rerunner(store, clock)
    try:
        store.dispatch(forward("frontend", "", status="waiting"))
        settle(store)
        clock.now += 5
        assert runs == [], "a forward waiting for an endpoint is no re-target"
        store.dispatch(ev.StepStarted("checks", at=1.0))  # `up` itself is running the checks
        store.dispatch(forward("frontend", "front-2"))
        settle(store)
        clock.now += 5
        assert runs == []
        store.dispatch(ev.ChecksStarted(("a",), at=2.0))  # someone pressed `c`: a round is running
        store.dispatch(ev.StepFinished("checks", at=2.0))
        settle(store)
        assert runs == []
        store.dispatch(ev.CheckReported(CheckResult("a", ()), at=3.0))
        wait_for(lambda: len(runs) == 1, what="the run once nothing else runs")
        assert dict(runs[0].forwards)["frontend"].pod == "front-2"
    finally:
        checks.stop()


def test_forwards_opened_again_are_a_retarget_and_a_waiting_forward_stops_waiting_after_settle_max() -> None:
    store, clock = Store(), Clock()
    dev_loop(store)
    checks, runs = rerunner(store, clock)
    try:
        store.dispatch(ev.ForwardsClosed(("frontend", "backend"), at=1.0))
        settle(store)
        store.dispatch(forward("frontend", "front-1"))
        store.dispatch(forward("backend", "back-1", status="waiting"))
        settle(store)
        clock.now += 2
        assert runs == [], "not every forward is ready: no re-target yet"
        store.dispatch(forward("backend", "back-1"))
        settle(store)
        clock.now += 2
        wait_for(lambda: len(runs) == 1, what="a run after re-opening")
        for line in ("Generating tags...", "Deployments stabilized in 1s"):
            store.dispatch(ev.DeployOutput(line, at=3.0))
        store.dispatch(forward("backend", "", status="waiting"))  # the new backend is not ready
        settle(store)
        clock.now += 10
        assert len(runs) == 1, "waits for the forwards to be ready"
        clock.now += 30
        wait_for(lambda: len(runs) == 2, what="a run after settle_max (the checks then say what fails)")
    finally:
        checks.stop()
    assert not [t for t in threading.enumerate() if t.name == "check-rerunner"]
