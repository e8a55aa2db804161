"""The step runner: outcomes become Step* events; a cancel stops the run between steps or at a
progress line of the running step (reported from the runner's thread)."""

from __future__ import annotations

import os
import threading
import time

from helpers import REPO

from devstack.core.model import StepStatus
from devstack.core.pipeline import StepInfo
from devstack.core.store import Store
from devstack.engine.context import EngineContext
from devstack.engine.runner import Deadline, DeadlinePassed, SkipStep, Step, StepError, Stopped, run_steps
from devstack.profile import LoadedProfile, load_profile
from devstack.sources.tools import ToolEnv


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


def test_one_deadline_for_the_whole_run_cuts_every_stage_and_names_the_step_it_stopped() -> None:
    """`--timeout` is one deadline: each stage gets what is left of it (never the profile's full
    stage limit), and once it passed, the step then running (or next) fails saying so."""
    path = REPO / "profiles" / "local-kind.yaml"
    loaded = LoadedProfile(load_profile(path), path, REPO)
    ctx = EngineContext(loaded, Store(), ToolEnv(dict(os.environ)), overall_timeout=5)
    assert ctx.timeout("deploy") == 5, "before the run starts: the limit itself"
    ctx.start_deadline()
    assert ctx.deadline is not None
    assert 0 < ctx.timeout("deploy") <= 5 and 0 < ctx.timeout("ready") <= 5  # the profile says 900/300
    ctx.deadline = time.monotonic() - 1  # as if the run had used it up
    assert ctx.timeout("cluster") == 0.01 and ctx.remaining(30) == 0.01

    store = Store()
    passed = Deadline(time.monotonic() - 1, 2.0)

    def cut(progress):  # type: ignore[no-untyped-def]
        raise StepError("skaffold run did not finish within 0s")  # its time was cut

    failure = run_steps([Step(info("deploy"), cut)], store.dispatch, deadline=passed)
    assert isinstance(failure, DeadlinePassed)
    failed = store.state.step("deploy")
    assert failed is not None and failed.status is StepStatus.FAILED
    assert failed.error == "not done within --timeout 2s (deploy was still running)"
    assert "--timeout" in failed.fix
    store = Store()
    failure = run_steps([Step(info("doctor"), lambda p: "ok")], store.dispatch, deadline=passed)
    assert isinstance(failure, DeadlinePassed) and store.state.step("doctor").status is StepStatus.FAILED  # type: ignore[union-attr]
    store = Store()

    def usage(progress):  # type: ignore[no-untyped-def]
        raise StepError("refusing kube context", exit_code=2)

    running = Deadline(time.monotonic() + 3600, 3600.0)
    failure = run_steps([Step(info("context"), usage)], store.dispatch, deadline=running)
    assert failure is not None and not isinstance(failure, DeadlinePassed) and failure.exit_code == 2
