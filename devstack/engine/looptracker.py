"""devstack's part of each dev-loop iteration: what triggered it, and the phases after the deploy.

The deploy tool says when an iteration starts and how its build and deploy went; `LoopTracker`
adds, from devstack's own view (any tool):

- the trigger: the files changed since the previous iteration and when they were saved
  (`sources/stackfiles.py`), which artifact each belongs to, which artifacts have sync rules;
- `rollout`: from the deploy's end until the watch shows every new pod Ready and no old one;
- `forwards`: until every profile forward targets a new pod;
- `http`: until every forward's port answered (the profile's check path and status on that
  forward, else any answer below 500 on `/`), on a fresh connection each time. The iteration
  ends there: "the browser sees it".

A phase that does not end within the profile's `ready` timeout ends the iteration as failed,
naming what it still waited for. The tracker runs in its own thread, woken by the store, and
keeps the timeline in the state folder for `devstack status` and `devstack report`
(`sources/timeline_file.py`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from devstack.core import events as ev
from devstack.core import timeline as tl
from devstack.core.rollout import forwards_waiting, rollout_waiting
from devstack.core.state import State
from devstack.engine.context import EngineContext
from devstack.sources import timeline_file
from devstack.sources.checks import fetch
from devstack.sources.stackfiles import StackFiles

TICK = 0.05


@dataclass(frozen=True)
class Probe:
    """One local port to ask: the path, and the status that counts (None: any below 500)."""

    forward: str
    port: int
    path: str
    expect: int | None

    def answered(self, status: int) -> bool:
        """The answer counts as "the browser sees it"."""
        return status == self.expect if self.expect is not None else 0 < status < 500


def probes_of(ctx: EngineContext) -> list[Probe]:
    """A probe per profile forward."""
    found = []
    for forward in ctx.profile.forwards:
        check = next((c for c in ctx.profile.checks.http if c.forward == forward.name), None)
        if check is not None:
            found.append(Probe(forward.name, forward.local_port, check.path, check.expect_status))
        else:
            found.append(Probe(forward.name, forward.local_port, "/", None))
    return found


class LoopTracker:
    """Follows the store's timeline and adds the trigger and the rollout, forwards and http phases."""

    def __init__(self, ctx: EngineContext, files: StackFiles | None):
        self.ctx = ctx
        self.files = files
        self.probes = probes_of(ctx)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._n = 0
        self._stage = ""
        self._deadline = 0.0
        self._answered: dict[str, int] = {}
        self._thread = threading.Thread(target=self._loop, name="loop-tracker", daemon=True)
        self._unsubscribe = lambda: None
        self._written: object = None
        state_dir = ctx.state_dir
        self.path = (
            timeline_file.timeline_path(state_dir, ctx.profile.name, ctx.context) if state_dir else None
        )

    def start(self) -> LoopTracker:
        """Take the files' baseline and begin following."""
        if self.files is not None:
            self.files.mark()
        self._unsubscribe = self.ctx.store.subscribe(lambda _s, _e: self._wake.set(), latest_only=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop following (the timeline file keeps the last state)."""
        self._stop.set()
        self._wake.set()
        self._unsubscribe()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._record(self.ctx.store.state)

    def _record(self, state: State) -> None:
        """Write the timeline file when the timeline changed."""
        if self.path is None or state.timeline is self._written:
            return
        self._written = state.timeline
        document = tl.document(state.timeline, state.deploy.channel, state.deploy.channel_detail)
        try:
            timeline_file.write(self.path, {"profile": state.profile, "context": state.context, **document})
        except OSError:
            self.path = None  # a read-only state folder: the views in this process still have it

    def _emit(self, event: ev.Event) -> None:
        self.ctx.store.dispatch(event)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(0.25)
            self._wake.clear()
            try:
                self.step(self.ctx.store.state, time.time())
            except Exception as err:  # noqa: BLE001 - the timeline must never take the run down
                self._emit(ev.LoopIterationEnded(False, at=time.time(), error=f"timeline: {err}"))
                self._stage = "done"
            self._record(self.ctx.store.state)

    def step(self, state: State, now: float) -> None:
        """React to the current state (one tick)."""
        current = state.timeline.current
        if current is None:
            return
        if current.n != self._n:
            self._begin(current, now)
        if not current.running or self._stage == "done":
            return
        tags = dict(state.deploy.tags)
        if self._stage == "tool":
            deploy = current.phase("deploy")
            if deploy is not None and deploy.end is not None and deploy.ok:
                self._enter("rollout", deploy.end, now)
        if self._stage == "rollout":
            self._advance(
                rollout_waiting(state.deployments, state.pods, tags),
                "forwards" if self.probes else "",
                now,
            )
        if self._stage == "forwards":
            names = [p.forward for p in self.probes]
            self._advance(forwards_waiting(state.forwards, state.pods, names, tags), "http", now)
        if self._stage == "http":
            self._probe(now)

    def _begin(self, current: tl.Iteration, now: float) -> None:
        self._n, self._stage, self._answered = current.n, "tool", {}
        rules = self.files.sync_rules if self.files is not None and self.files.syncs_known else None
        if current.trigger == tl.FIRST_DEPLOY or self.files is None:
            self._emit(ev.LoopTriggered((), None, (), rules))
            return
        change = self.files.changes(before=current.started)
        self._emit(ev.LoopTriggered(change.files, change.saved_at, change.by_artifact, rules))

    def _enter(self, stage: str, at: float, now: float) -> None:
        self._stage = stage
        self._deadline = now + self.ctx.timeout("ready")
        self._emit(ev.LoopPhase(stage, at=at))

    def _advance(self, waiting: list[str], following: str, now: float) -> None:
        stage = self._stage
        if not waiting:
            self._emit(ev.LoopPhase(stage, at=now, ended=True))
            if following:
                self._enter(following, now, now)
            else:
                self._finish(True, now)
        elif now > self._deadline:
            detail = "; ".join(waiting)
            self._emit(ev.LoopPhase(stage, at=now, ended=True, ok=False, detail=detail))
            self._finish(False, now, f"{stage} not done within {self.ctx.timeout('ready'):.0f}s: {detail}")

    def _probe(self, now: float) -> None:
        for probe in self.probes:
            if probe.forward in self._answered or self._stop.is_set():
                continue
            try:
                status = fetch(f"http://127.0.0.1:{probe.port}{probe.path}", timeout=2).status
            except Exception:  # noqa: BLE001 - refused, reset, a bad answer: not answered yet
                continue
            if probe.answered(status):
                self._answered[probe.forward] = status
        if len(self._answered) == len(self.probes):
            at = time.time()
            detail = ", ".join(f"localhost:{p.port}{p.path} {self._answered[p.forward]}" for p in self.probes)
            self._emit(ev.LoopPhase("http", at=at, ended=True, detail=detail))
            self._finish(True, at)
        elif now > self._deadline:
            silent = ", ".join(
                f"localhost:{p.port}{p.path}" for p in self.probes if p.forward not in self._answered
            )
            self._emit(ev.LoopPhase("http", at=now, ended=True, ok=False, detail=f"no answer from {silent}"))
            self._finish(False, now, f"no answer from {silent} within {self.ctx.timeout('ready'):.0f}s")
        else:
            self._stop.wait(TICK)
            self._wake.set()

    def _finish(self, ok: bool, at: float, error: str = "") -> None:
        self._stage = "done"
        self._emit(ev.LoopIterationEnded(ok, at=at, error=error))
