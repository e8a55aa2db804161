"""`t`: the dev loop's timeline overlay — the current iteration live, the earlier ones with their
totals and the slowest phase highlighted, why a cache missed; escape goes back."""

from __future__ import annotations

from seed import NOW, healthy_store, offline
from tui_helpers import until

from devstack.core import events as ev
from devstack.core.store import Store
from devstack.tui.app import DevstackApp
from devstack.tui.screens.timeline import TimelineScreen, timeline_text

SIZE = (160, 50)
T0 = NOW - 120


def _phase(store: Store, phase: str, start: float, end: float, subject: str = "") -> None:
    store.dispatch(ev.LoopPhase(phase, start, subject))
    store.dispatch(ev.LoopPhase(phase, end, subject, ended=True))


def with_iterations(store: Store) -> Store:
    """Two finished iterations (the second one's build the slowest) and a third one building."""
    store.dispatch(ev.LoopIterationStarted(1, first=True, at=T0))
    _phase(store, "build", T0, T0 + 3, "jetscale-backend")
    _phase(store, "deploy", T0 + 3, T0 + 4)
    _phase(store, "rollout", T0 + 4, T0 + 6)
    store.dispatch(ev.LoopIterationEnded(True, at=T0 + 6.5))
    saved = T0 + 30
    store.dispatch(ev.LoopIterationStarted(2, first=False, at=saved + 0.5))
    store.dispatch(
        ev.LoopTriggered(("backend/app.py",), saved, (("jetscale-backend", ("backend/app.py",)),), ())
    )
    store.dispatch(ev.LoopPhase("cache", saved + 0.5))
    store.dispatch(ev.SkaffoldBuildStep("jetscale-backend", "Cache", "Failed", at=saved + 0.7))
    _phase(store, "build", saved + 0.7, saved + 9.7, "jetscale-backend")
    _phase(store, "deploy", saved + 9.7, saved + 10.7)
    _phase(store, "http", saved + 10.7, saved + 11.2)
    store.dispatch(ev.LoopIterationEnded(True, at=saved + 11.2))
    store.dispatch(ev.LoopIterationStarted(3, first=False, at=NOW - 5))
    store.dispatch(ev.LoopTriggered(("frontend/src/App.tsx",), NOW - 6))
    store.dispatch(ev.LoopPhase("build", NOW - 4, "jetscale-frontend"))
    return store


def test_the_text_marks_the_slowest_phase_and_keeps_the_current_iteration_first() -> None:
    store = with_iterations(Store())
    text = timeline_text(store.state, NOW)
    plain = text.plain
    now_at, earlier_at = plain.index("Now"), plain.index("Earlier")
    assert now_at < plain.index("#3 files changed: frontend/src/App.tsx  6.0s…") < earlier_at
    assert "build:jetscale-frontend 4.0s…" in plain  # running: its seconds so far
    # Earlier, newest first, each with its total from the save to the first answer.
    assert (
        earlier_at
        < plain.index("#2 files changed: backend/app.py  11.2s")
        < plain.index("#1 first deploy  6.5s")
    )
    assert "slowest: build:jetscale-backend 9.0s" in plain
    assert "note: jetscale-backend: cache miss: backend/app.py changed since its last build" in plain
    highlighted = [plain[s.start : s.end] for s in text.spans if "reverse" in str(s.style)]
    assert "build:jetscale-backend 9.0s" in highlighted  # #2's slowest
    assert "build:jetscale-backend 3.0s" in highlighted  # #1's slowest
    assert not any("deploy" in h for h in highlighted)


async def test_t_opens_the_timeline_it_follows_the_state_and_escape_closes_it() -> None:
    store = with_iterations(healthy_store())  # its seeded deploy output began an iteration
    app = DevstackApp(offline(store), interval=0.01)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.main.pane("pods").keys, what="pods")
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TimelineScreen), what="the timeline")
        screen = app.screen
        assert isinstance(screen, TimelineScreen)
        assert "files changed: frontend/src/App.tsx  6.0s…" in screen.text.split("Earlier")[0]
        store.dispatch(ev.LoopPhase("build", NOW - 1, "jetscale-frontend", ended=True))
        store.dispatch(
            ev.LoopIterationEnded(False, at=NOW, error="jetscale-frontend: 0/1 ready, ImagePullBackOff")
        )
        await until(
            pilot, lambda: "jetscale-frontend: 0/1 ready, ImagePullBackOff" in screen.text, what="the end"
        )
        assert "App.tsx  6.0s  slowest: build:jetscale-frontend 3.0s" in screen.text
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, TimelineScreen), what="closed")


def test_an_empty_timeline_says_how_one_starts() -> None:
    assert "No iteration yet" in timeline_text(Store().state, NOW).plain
