"""The store applies events in order, from any thread, and the reducer is pure."""

from __future__ import annotations

import threading

from devstack.core import events as ev
from devstack.core.model import CheckStatus, DoctorCheck, StepStatus
from devstack.core.pipeline import UP_STEPS, step_names
from devstack.core.reducer import reduce
from devstack.core.state import State
from devstack.core.store import Store


def test_steps_move_through_their_lifecycle() -> None:
    store = Store()
    store.dispatch(ev.SessionStarted("up", "local-kind", "kind-jetscale", step_names(UP_STEPS)))
    assert [s.status for s in store.state.steps] == [StepStatus.PENDING] * len(UP_STEPS)
    store.dispatch(ev.StepStarted("cluster", at=10.0))
    store.dispatch(ev.StepProgress("cluster", "Preparing nodes", at=11.0))
    assert store.state.step("cluster").status is StepStatus.RUNNING
    assert store.state.step("cluster").message == "Preparing nodes"
    store.dispatch(ev.StepFinished("cluster", at=12.5))
    assert store.state.step("cluster").seconds == 2.5
    store.dispatch(ev.StepStarted("deploy", at=13.0))
    store.dispatch(ev.StepFailed("deploy", "skaffold exited 1", at=14.0, fix="devstack report"))
    failed = store.state.failed_step
    assert failed is not None and failed.name == "deploy" and failed.fix == "devstack report"


def test_reduce_does_not_mutate_its_input() -> None:
    before = State()
    after = reduce(before, ev.DoctorChecked(DoctorCheck("docker", CheckStatus.OK, "fine")))
    assert before.doctor == ()
    assert after.doctor[0].name == "docker"


def test_doctor_results_replace_by_name() -> None:
    state = State()
    state = reduce(state, ev.DoctorChecked(DoctorCheck("port:3000", CheckStatus.OK, "free")))
    state = reduce(state, ev.DoctorChecked(DoctorCheck("port:3000", CheckStatus.FAIL, "busy", required=True)))
    assert [c.detail for c in state.doctor] == ["busy"]
    assert state.missing_prerequisites[0].name == "port:3000"


def test_events_from_many_threads_are_all_applied_in_a_consistent_order() -> None:
    store = Store()
    seen: list[str] = []
    store.subscribe(lambda state, event: seen.append(event.message))  # type: ignore[attr-defined]
    threads = [
        threading.Thread(
            target=lambda n=n: [store.dispatch(ev.StepProgress("s", f"{n}-{i}", at=0)) for i in range(200)]
        )
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.flush()
    assert len(seen) == 1600
    assert store.state.step("s").message == seen[-1]
    for n in range(8):
        mine = [int(m.split("-")[1]) for m in seen if m.startswith(f"{n}-")]
        assert mine == sorted(mine)


def test_a_subscriber_may_dispatch_and_the_event_is_applied_next() -> None:
    store = Store()
    order: list[str] = []

    def chain(state: State, event: ev.Event) -> None:
        order.append(type(event).__name__)
        if isinstance(event, ev.StepStarted):
            store.dispatch(ev.StepFinished(event.step, at=1.0))

    store.subscribe(chain)
    store.dispatch(ev.StepStarted("x", at=0.0))
    assert store.flush()
    assert order == ["StepStarted", "StepFinished"]
    assert store.state.step("x").status is StepStatus.OK


def test_unsubscribe() -> None:
    store = Store()
    calls: list[int] = []
    stop = store.subscribe(lambda s, e: calls.append(1))
    store.dispatch(ev.StepStarted("x", at=0))
    assert store.flush()
    stop()
    store.dispatch(ev.StepStarted("y", at=0))
    assert store.flush()
    assert calls == [1]


def test_subscribers_run_off_the_dispatching_thread_and_a_slow_one_holds_up_nobody() -> None:
    store = Store()
    release = threading.Event()
    threads: set[str] = set()
    fast: list[str] = []

    def slow(state: State, event: ev.Event) -> None:
        threads.add(threading.current_thread().name)
        release.wait(10)

    store.subscribe(slow)
    store.subscribe(lambda state, event: fast.append(event.message))  # type: ignore[attr-defined]
    for i in range(50):
        store.dispatch(ev.StepProgress("s", str(i), at=0))  # returns although `slow` is blocked
    assert store.state.step("s").message == "49"
    assert not store.flush(timeout=0.2)  # the slow subscriber has not seen everything yet
    release.set()
    assert store.flush()
    assert len(fast) == 50
    assert threading.current_thread().name not in threads


def test_a_latest_only_subscriber_sees_the_newest_state() -> None:
    store = Store()
    release = threading.Event()
    seen: list[str] = []

    def look(state: State, event: ev.Event) -> None:
        release.wait(10)
        seen.append(state.step("s").message)

    store.subscribe(look, latest_only=True)
    for i in range(100):
        store.dispatch(ev.StepProgress("s", str(i), at=0))
    release.set()
    assert store.flush()
    assert seen[-1] == "99" and len(seen) < 100
