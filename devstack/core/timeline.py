"""The dev loop's iteration timeline: what triggered each iteration, and where its seconds went.

An iteration runs from "file saved" (or, for the first one, from the deploy tool's start) to "the
browser sees it": the first HTTP answer through the profile's local ports. Its phases, in order:

| phase | from → to | told by |
|---|---|---|
| detect | the newest change saved → the tool starts the iteration | file times, the tool |
| cache | first cache check → last cache result | the tool |
| build | one per artifact: build start → built | the tool |
| load | `kind load` of the images | the tool's output (Skaffold's event API does not carry it) |
| sync | one per image: files copied into running containers | the tool |
| deploy | manifests applied | the tool |
| rollout | deployed → the watch shows every new pod Ready and no old one | devstack's watch |
| forwards | rolled out → every local forward targets a new pod | devstack's forwarder |
| http | forwards re-targeted → the first expected answer on every local port | devstack's probe |

Pure data and functions: reducers build it from events (`reduce_devloop.py`), views render it.
Any deploy tool's runner feeds the same phases (`LoopPhase` events), so Skaffold and Tilt
iterations read alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from devstack.core.redact import redact_text

MAX_ITERATIONS = 20
PHASES = ("detect", "cache", "build", "load", "sync", "deploy", "rollout", "forwards", "http")
FIRST_DEPLOY = "first deploy"


@dataclass(frozen=True)
class Phase:
    """One phase of an iteration (`end` None while it runs)."""

    kind: str
    start: float
    subject: str = ""
    end: float | None = None
    ok: bool | None = None
    detail: str = ""

    @property
    def name(self) -> str:
        """`build:jetscale-backend`, or the kind alone."""
        return f"{self.kind}:{self.subject}" if self.subject else self.kind

    @property
    def seconds(self) -> float | None:
        """How long it took (None while running)."""
        return None if self.end is None else max(0.0, self.end - self.start)

    @property
    def running(self) -> bool:
        """Started, not ended."""
        return self.end is None


@dataclass(frozen=True)
class Iteration:
    """One build/deploy round of the dev loop.

    Attributes:
        n: Counts devstack's iterations from 1.
        tool_iteration: The deploy tool's own number (Skaffold's `iteration`; 0 for `skaffold run`).
        trigger: `first deploy`, or `files changed: a, b`.
        files: The changed files (relative to the stack), when the trigger was a change.
        started: When the tool began the iteration.
        saved_at: When the change was saved (the newest file time of the change), if known.
        ended: When it ended: the first answer on every local port, or the failure.
        ok: None while running.
        changed: (artifact, its changed files) — which artifact's context each change was in.
        sync_rules: The artifacts that have file sync rules (the others are always rebuilt).
        cache_misses: Artifacts whose cache check missed.
        sync_failures: (image, error) of failed file syncs.
    """

    n: int
    tool_iteration: int
    trigger: str
    started: float
    files: tuple[str, ...] = ()
    saved_at: float | None = None
    phases: tuple[Phase, ...] = ()
    ended: float | None = None
    ok: bool | None = None
    error: str = ""
    changed: tuple[tuple[str, tuple[str, ...]], ...] = ()
    sync_rules: tuple[str, ...] | None = None
    cache_misses: tuple[str, ...] = ()
    sync_failures: tuple[tuple[str, str], ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """Why a cache missed and why an artifact was rebuilt instead of synced, as far as the
        events and the changed files tell it."""
        changed = dict(self.changed)
        first = self.trigger == FIRST_DEPLOY
        notes = []
        for artifact in self.cache_misses:
            files = changed.get(artifact, ())
            if files:
                notes.append(f"{artifact}: cache miss: {_few(files)} changed since its last build")
            elif not first:
                notes.append(
                    f"{artifact}: cache miss with none of its files changed (was the cache cleared?)"
                )
        failed_sync = dict(self.sync_failures)
        for phase in self.phases:
            if first or phase.kind != "build":
                continue
            artifact = phase.subject
            if artifact in failed_sync:
                notes.append(f"{artifact}: rebuilt because the file sync failed: {failed_sync[artifact]}")
            elif self.sync_rules is not None and artifact not in self.sync_rules:
                notes.append(f"{artifact}: rebuilt, not synced: skaffold.yaml has no sync rules for it")
            elif self.sync_rules is not None:
                notes.append(f"{artifact}: rebuilt although it has sync rules: a changed file matched none")
        return tuple(notes)

    @property
    def origin(self) -> float:
        """Where the total starts: the save, else the tool's start of the iteration."""
        return self.saved_at if self.saved_at is not None else self.started

    @property
    def total_seconds(self) -> float | None:
        """From "file saved" to "the browser sees it" (None while running)."""
        return None if self.ended is None else max(0.0, self.ended - self.origin)

    @property
    def running(self) -> bool:
        """Not ended yet."""
        return self.ok is None

    def phase(self, kind: str, subject: str = "") -> Phase | None:
        """The phase of that kind (and subject), if it started."""
        return next((p for p in self.phases if p.kind == kind and p.subject == subject), None)

    @property
    def slowest(self) -> Phase | None:
        """The ended phase that took longest."""
        ended = [p for p in self.phases if p.seconds is not None]
        return max(ended, key=lambda p: p.seconds or 0.0, default=None)

    @property
    def covered_seconds(self) -> float:
        """Seconds of the total inside some phase (phases may overlap: parallel builds)."""
        spans = sorted((p.start, p.end) for p in self.phases if p.end is not None)
        covered, reach = 0.0, float("-inf")
        for start, end in spans:
            if end > reach:
                covered += end - max(start, reach)
                reach = end
        return covered


@dataclass(frozen=True)
class Timeline:
    """The last `MAX_ITERATIONS` iterations, oldest first."""

    iterations: tuple[Iteration, ...] = ()

    @property
    def current(self) -> Iteration | None:
        """The newest iteration."""
        return self.iterations[-1] if self.iterations else None


# ----------------------------------------------------------------------------- changes
def _with_current(timeline: Timeline, iteration: Iteration) -> Timeline:
    return replace(timeline, iterations=(*timeline.iterations[:-1], iteration))


def begin(timeline: Timeline, tool_iteration: int, at: float, first: bool) -> Timeline:
    """A new iteration; one still running is ended as interrupted by it."""
    current = timeline.current
    iterations = timeline.iterations
    if current is not None and current.running:
        iterations = (*iterations[:-1], _finish(current, at, False, "interrupted by the next change"))
    n = current.n + 1 if current is not None else 1
    trigger = FIRST_DEPLOY if first else "files changed"
    fresh = Iteration(n=n, tool_iteration=tool_iteration, trigger=trigger, started=at)
    return Timeline((*iterations, fresh)[-MAX_ITERATIONS:])


def _few(files: Sequence[str]) -> str:
    return ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")


def triggered(
    timeline: Timeline,
    files: Sequence[str],
    saved_at: float | None,
    changed: Sequence[tuple[str, tuple[str, ...]]] = (),
    sync_rules: Sequence[str] | None = None,
) -> Timeline:
    """What the current iteration is about: the changed files (and which artifact each belongs
    to), the artifacts with sync rules, and for a change `detect` from the save on."""
    current = timeline.current
    if current is None:
        return timeline
    rules = tuple(sync_rules) if sync_rules is not None else None
    if current.trigger == FIRST_DEPLOY:
        return _with_current(timeline, replace(current, sync_rules=rules))
    trigger = f"files changed: {_few(files)}" if files else "files changed"
    updated = replace(current, trigger=trigger, files=tuple(files), changed=tuple(changed), sync_rules=rules)
    if saved_at is not None and saved_at <= current.started:
        detect = Phase("detect", saved_at, end=current.started, ok=True)
        updated = replace(updated, saved_at=saved_at, phases=(detect, *updated.phases))
    return _with_current(timeline, updated)


def phase_started(timeline: Timeline, kind: str, subject: str, at: float) -> Timeline:
    """A phase of the current iteration began (a phase started again keeps its first start)."""
    current = timeline.current
    if current is None or not current.running:
        return timeline
    found = current.phase(kind, subject)
    if found is not None:
        # Started again (the next artifact's cache check): the phase goes on from its first start.
        reopened = replace(found, end=None, ok=None)
        return _with_current(
            timeline, replace(current, phases=tuple(reopened if p is found else p for p in current.phases))
        )
    return _with_current(timeline, replace(current, phases=(*current.phases, Phase(kind, at, subject))))


def phase_ended(
    timeline: Timeline, kind: str, subject: str, at: float, ok: bool = True, detail: str = ""
) -> Timeline:
    """A phase of the current iteration ended (one that never said it started lasts no time)."""
    current = timeline.current
    if current is None or not current.running:
        return timeline
    found = current.phase(kind, subject)
    ended = Phase(
        kind,
        found.start if found else at,
        subject,
        end=at,
        ok=ok,
        detail=detail or (found.detail if found else ""),
    )
    phases = tuple(ended if p is found else p for p in current.phases) if found else (*current.phases, ended)
    return _with_current(timeline, replace(current, phases=phases))


def phase_restarted(timeline: Timeline, kind: str, subject: str, start: float) -> Timeline:
    """Move a running phase's start (the deploy phase of a log-read tool starts after the image load)."""
    current = timeline.current
    found = current.phase(kind, subject) if current is not None else None
    if current is None or found is None or not found.running or start <= found.start:
        return timeline
    phases = tuple(replace(p, start=start) if p is found else p for p in current.phases)
    return _with_current(timeline, replace(current, phases=phases))


def cache_missed(timeline: Timeline, artifact: str) -> Timeline:
    """An artifact's cache check missed in the current iteration."""
    current = timeline.current
    if current is None or artifact in current.cache_misses:
        return timeline
    return _with_current(timeline, replace(current, cache_misses=(*current.cache_misses, artifact)))


def sync_failed(timeline: Timeline, image: str, error: str) -> Timeline:
    """A file sync into an image's containers failed in the current iteration."""
    current = timeline.current
    if current is None:
        return timeline
    return _with_current(timeline, replace(current, sync_failures=(*current.sync_failures, (image, error))))


def _finish(iteration: Iteration, at: float, ok: bool, error: str) -> Iteration:
    phases = tuple(
        replace(p, end=at, ok=False, detail=p.detail or error) if p.running else p for p in iteration.phases
    )
    return replace(iteration, ended=at, ok=ok, error=error, phases=phases)


def ended(timeline: Timeline, at: float, ok: bool, error: str = "") -> Timeline:
    """The current iteration ended (ok: the browser sees it; else the failure)."""
    current = timeline.current
    if current is None or not current.running:
        return timeline
    return _with_current(timeline, _finish(current, at, ok, error))


# ----------------------------------------------------------------------------- views' shapes
def as_json(iteration: Iteration) -> dict[str, Any]:
    """`{n, trigger, phases: [{name, start, seconds, ok}], total_seconds, ...}` (`status --json`)."""
    slowest = iteration.slowest
    return {
        "n": iteration.n,
        "trigger": iteration.trigger,
        "files": list(iteration.files),
        "started": iteration.started,
        "saved_at": iteration.saved_at,
        "phases": [
            {
                "name": p.name,
                "start": p.start,
                "seconds": None if p.seconds is None else round(p.seconds, 3),
                "ok": p.ok,
                "detail": p.detail,
            }
            for p in sorted(iteration.phases, key=lambda p: p.start)
        ],
        "total_seconds": None if iteration.total_seconds is None else round(iteration.total_seconds, 3),
        "ok": iteration.ok,
        "error": iteration.error,
        "slowest": slowest.name if slowest is not None else None,
        "notes": list(iteration.notes),
        "tool_iteration": iteration.tool_iteration,
    }


def document(timeline: Timeline, channel: str = "", channel_detail: str = "") -> dict[str, Any]:
    """The timeline as `status --json`, the report and the timeline file show it (texts redacted)."""
    iterations = []
    for iteration in timeline.iterations:
        shown = as_json(iteration)
        shown["error"] = redact_text(shown["error"])
        shown["notes"] = [redact_text(n) for n in shown["notes"]]
        for phase in shown["phases"]:
            phase["detail"] = redact_text(phase["detail"])
        iterations.append(shown)
    return {"channel": channel, "channel_detail": redact_text(channel_detail), "iterations": iterations}
