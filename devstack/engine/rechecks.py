"""Checks that follow the stack: re-run after each successful redeploy and when a forward re-targets.

`up` runs the checks once; afterwards the stack keeps changing (`skaffold dev` redeploys on every
code change, pods are replaced and the forwards follow them). A `CheckRerunner` watches the store
and runs the checks again — debounced, once the forwards have settled — so the Checks pane, the
`checks` step and the header always describe the stack as it is now.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from devstack.core.events import Event
from devstack.core.model import StepStatus
from devstack.core.state import State
from devstack.core.store import Store

DEBOUNCE = 1.0
"""Seconds without a new trigger before the checks run (a redeploy replaces pods one by one)."""
SETTLE_MAX = 30.0
"""At most this long the checks wait for every forward to be ready again, then run anyway."""
SETTLED_PHASES = ("deployed", "watching", "done")

Targets = tuple[tuple[str, str], ...]


def deployed_iteration(state: State) -> int:
    """The deploy tool's last iteration that finished deploying (0 while none has)."""
    deploy = state.deploy
    return deploy.iteration if deploy.phase in SETTLED_PHASES else 0


def ready_targets(state: State) -> Targets:
    """(forward, pod) of every ready forward: what the checks' requests go through."""
    return tuple(sorted((name, v.pod) for name, v in state.forwards.items() if v.status == "ready"))


def all_ready(state: State) -> bool:
    """Every forward has a ready endpoint (True without forwards)."""
    return all(v.status == "ready" for v in state.forwards.values())


def busy(state: State) -> bool:
    """`up` is running its steps, or a round of checks is running: not the time to start one."""
    return bool(state.checks_running) or any(s.status is StepStatus.RUNNING for s in state.steps)


class CheckRerunner:
    """Runs `run_checks` again after a redeploy or a forward re-target, on a thread of its own.

    Args:
        store: The run's store (watched; the checks dispatch their results into it).
        run_checks: Runs every check of the profile (blocking).
        debounce: Quiet seconds before a run.
        settle_max: Longest wait for the forwards to be ready before running anyway.
        clock: `time.monotonic` (tests pass their own).
    """

    def __init__(
        self,
        store: Store,
        run_checks: Callable[[], object],
        *,
        debounce: float = DEBOUNCE,
        settle_max: float = SETTLE_MAX,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._store = store
        self._run_checks = run_checks
        self._debounce = debounce
        self._settle_max = settle_max
        self._clock = clock
        self._wake = threading.Condition()
        self._stopped = False
        self._due: float | None = None
        self._first_due: float | None = None
        self.runs = 0
        state = store.state
        self._iteration = deployed_iteration(state)
        self._targets = ready_targets(state)
        self._thread = threading.Thread(target=self._loop, name="check-rerunner", daemon=True)
        self._unsubscribe = store.subscribe(self._on_change, latest_only=True)
        self._thread.start()

    def _on_change(self, state: State, _event: Event) -> None:
        iteration = deployed_iteration(state)
        targets = ready_targets(state)
        redeployed = iteration > self._iteration
        # A forward now reaches another pod, or serves again (re-opened, or ready after waiting).
        retargeted = bool(targets) and targets != self._targets and all_ready(state)
        self._targets = targets
        if not (redeployed or retargeted):
            return
        self._iteration = max(self._iteration, iteration)
        with self._wake:
            now = self._clock()
            self._due = now + self._debounce
            self._first_due = self._first_due or now
            self._wake.notify()

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and not self._ready_to_run():
                    self._wake.wait(0.1)
                if self._stopped:
                    return
                self._due = self._first_due = None
            self.runs += 1
            try:
                self._run_checks()
            except Exception:  # noqa: BLE001 - a failed round leaves the previous results; the next trigger retries
                continue

    def _ready_to_run(self) -> bool:
        if self._due is None or self._clock() < self._due:
            return False
        state = self._store.state
        if busy(state):
            return False
        waited = self._clock() - (self._first_due or self._clock())
        return all_ready(state) or waited >= self._settle_max

    def stop(self) -> None:
        """Stop watching; a round already running finishes on its own."""
        self._unsubscribe()
        with self._wake:
            self._stopped = True
            self._wake.notify()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=1)
