"""The step runner: outcomes become Step* events; a cancel stops the run between steps or at a
progress line of the running step (reported from the runner's thread)."""

from __future__ import annotations

import threading

from devstack.core.model import StepStatus
from devstack.core.pipeline import StepInfo
from devstack.core.store import Store
from devstack.engine.runner import SkipStep, Step, StepError, Stopped, run_steps


def info(name: str) -> StepInfo:
    return StepInfo(name, name.title(), "")


def test_outcomes_become_events_and_the_first_failure_ends_the_run() -> None:
    store = Store()

    def skip(progress):  # type: ignore[no-untyped-def]
        raise SkipStep("nothing to do")

    def fail(progress):  # type: ignore[no-untyped-def]
        progress("trying")
        raise StepError("broke", fix="mend it")

    failure = run_steps(
        [
            Step(info("a"), lambda p: "fine"),
            Step(info("b"), skip),
            Step(info("c"), fail),
            Step(info("d"), lambda p: "x"),
        ],
        store.dispatch,
    )
    assert failure is not None and failure.message == "broke"
    statuses = {s.name: s.status for s in store.state.steps}
    assert statuses == {"a": StepStatus.OK, "b": StepStatus.SKIPPED, "c": StepStatus.FAILED}
    assert store.state.step("c").fix == "mend it"  # type: ignore[union-attr]


def test_cancel_stops_at_the_next_progress_line_of_the_runner_thread_only() -> None:
    cancel = threading.Event()
    store = Store()
    reached: list[str] = []

    def work(progress):  # type: ignore[no-untyped-def]
        progress("one")
        cancel.set()
        other = threading.Thread(target=progress, args=("from a reader thread",))
        other.start()
        other.join()
        progress("two")  # the runner's thread: stops here
        reached.append("after two")
        return "never"

    failure = run_steps([Step(info("a"), work), Step(info("b"), lambda p: "not run")], store.dispatch, cancel)
    assert isinstance(failure, Stopped)
    assert reached == []
    assert store.state.step("a").status is StepStatus.FAILED  # type: ignore[union-attr]
    assert store.state.step("b") is None
    assert store.state.step("a").error == "stopped"  # type: ignore[union-attr]


def test_a_cancelled_run_starts_no_further_step() -> None:
    cancel = threading.Event()
    cancel.set()
    store = Store()
    failure = run_steps([Step(info("a"), lambda p: "not run")], store.dispatch, cancel)
    assert isinstance(failure, Stopped)
    assert store.state.steps == ()
