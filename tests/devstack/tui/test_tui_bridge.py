"""The store → UI bridge coalesces: one notice in flight, at most one repaint per interval, and the
last state is always painted; the view model explains only what changed, and agrees with core."""

from __future__ import annotations

import threading

from msgspec.structs import replace
from seed import BACKEND, NS, crashloop_store, healthy_store, offline
from tui_helpers import until

from devstack.core import events as ev
from devstack.core.health import explain_deployment, explain_pod
from devstack.core.kube import ContainerInfo, PodInfo
from devstack.core.state import State
from devstack.core.store import Store
from devstack.tui.app import DevstackApp
from devstack.tui.frames import FrameBuilder

LABELS = (("app.kubernetes.io/name", "backend"),)


def _pods(count: int, bad_every: int = 0) -> list[PodInfo]:
    pods = []
    for index in range(count):
        crashing = bool(bad_every) and index % bad_every == 0
        container = ContainerInfo(
            "backend",
            "jetscale-backend:dev",
            ready=not crashing,
            state="waiting" if crashing else "running",
            reason="CrashLoopBackOff" if crashing else "",
            restart_count=3 if crashing else 0,
            last_exit_code=1 if crashing else None,
        )
        pods.append(
            PodInfo(
                NS,
                f"jetscale-backend-{index:05d}",
                phase="Running",
                ready=not crashing,
                containers=(container,),
                labels=LABELS,
                created="2025-12-31T23:50:00Z",
            )
        )
    return pods


async def test_a_burst_costs_one_notice_and_no_repaint_before_the_interval() -> None:
    store = healthy_store()
    app = DevstackApp(offline(store), interval=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.main.ready and app.main.pane("pods").keys, what="first paint")
        repaints, notices, events = app.bridge.repaints, app.bridge.notices, app.bridge.events
        burst = [ev.KubeChanged("pods", "ADDED", pod) for pod in _pods(1000)]
        sender = threading.Thread(target=lambda: [store.dispatch(e) for e in burst])
        sender.start()
        await until(pilot, lambda: not sender.is_alive(), what="the burst")
        await pilot.pause(0.2)
        assert app.bridge.events - events == 1000
        assert app.bridge.notices - notices <= 1
        assert app.bridge.repaints == repaints  # the interval has not passed: a timer waits
        assert len(app.main.pane("pods").keys) == 2
        app.bridge.interval = 0.0
        app.bridge.poke()
        app.bridge.flush()
        await until(pilot, lambda: len(app.main.pane("pods").keys) == 1002, what="the trailing repaint")
        assert app.bridge.repaints == repaints + 1


async def test_the_last_change_of_a_burst_is_always_painted() -> None:
    store = healthy_store()
    app = DevstackApp(offline(store), interval=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.main.ready and app.main.pane("pods").keys, what="first paint")
        pods = _pods(300)
        for pod in pods:
            store.dispatch(ev.KubeChanged("pods", "ADDED", pod))
        last = replace(pods[-1], containers=(replace(pods[-1].containers[0], restart_count=7),))
        store.dispatch(ev.KubeChanged("pods", "MODIFIED", last))
        pane = app.main.pane("pods")

        def restarts() -> str:
            cells = pane.cells(last.key)
            return getattr(cells[4], "plain", "") if cells else ""

        await until(pilot, lambda: restarts() == "7", what="the last change")
        assert app.bridge.repaints < app.bridge.events


def test_cached_verdicts_agree_with_the_core_explanations() -> None:
    for store in (healthy_store(), crashloop_store(), _store_with(_pods(60, bad_every=7))):
        state = store.state
        frame = FrameBuilder("jetscale").frame(state, 0.0)
        for key, pod in state.pods.items():
            assert frame.pods[key] == explain_pod(state, pod, "jetscale")
        for deployment, verdict in frame.workloads:
            assert verdict == explain_deployment(state, deployment, "jetscale")


def test_cached_verdicts_explain_only_what_changed() -> None:
    store = _store_with(_pods(500, bad_every=50))
    model = FrameBuilder()
    model.frame(store.state, 0.0)
    assert model.verdicts.explained == 500
    model.frame(store.state, 1.0)
    assert model.verdicts.explained == 500
    pod = next(iter(store.state.pods.values()))
    store.dispatch(ev.KubeChanged("pods", "MODIFIED", replace(pod, resource_version="2")))
    model.frame(store.state, 2.0)
    assert model.verdicts.explained == 501
    store.dispatch(ev.PodLogsFetched(f"{NS}/{BACKEND}", "backend", True, ("x",)))
    model.frame(store.state, 3.0)
    assert model.verdicts.explained == 501  # a log of a pod that is not there changes nothing


def _store_with(pods: list[PodInfo]) -> Store:
    from devstack.core.kube import DeploymentInfo

    store = Store(State())
    store.dispatch(ev.KubeSynced("pods", tuple(pods)))
    deployment = DeploymentInfo(
        NS,
        "jetscale-backend",
        replicas=len(pods),
        ready_replicas=len(pods) - 1,
        selector=LABELS,
        generation=1,
        observed_generation=1,
    )
    store.dispatch(ev.KubeSynced("deployments", (deployment,)))
    return store


def _mixed_pods(count: int) -> list[PodInfo]:
    """Pods of every level, in an order where the worst is not first, some of them deleting."""
    pods = []
    for index in range(count):
        kind = index % 6
        container = ContainerInfo(
            "backend",
            "jetscale-backend:dev",
            ready=kind in (2, 5),
            state="waiting" if kind in (3, 4) else "running",
            reason="CrashLoopBackOff" if kind in (3, 4) else "",
            restart_count=2 if kind in (2, 3, 4) else 0,
            last_exit_code=1 if kind in (2, 3, 4) else None,
        )
        pods.append(
            PodInfo(
                NS,
                f"mixed-{index:04d}",
                phase="Running",
                ready=kind in (2, 5),
                containers=(container,),
                labels=LABELS,
                deleting=kind == 4,
            )
        )
    return pods


def test_view_model_agrees_with_the_core_on_mixed_and_stuck_rollouts() -> None:
    from devstack.core.kube import Condition

    for count in (1, 2, 3, 5, 7, 40):
        store = _store_with(_mixed_pods(count))
        states = [store.state]
        deployment = next(iter(store.state.deployments.values()))
        stuck = replace(
            deployment, conditions=(Condition("Progressing", "False", "ProgressDeadlineExceeded", "x"),)
        )
        store.dispatch(ev.KubeSynced("deployments", (stuck,)))
        states.append(store.state)
        for state in states:
            frame = FrameBuilder().frame(state, 0.0)
            for deployment_info, verdict in frame.workloads:
                assert verdict == explain_deployment(state, deployment_info), count
