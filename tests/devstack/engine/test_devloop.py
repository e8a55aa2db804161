"""The dev loop, measured: `up` in dev mode on the simulator follows skaffold's event API, an edit
of a demo app file becomes an iteration timed from the save to the first answer on the local
ports, `devstack status --json` shows it; a skaffold without the API is read from its output."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from helpers import demo_settings, wait_for

from devstack.cli.demo_stack import DemoEnvironment
from devstack.core.store import Store
from devstack.core.timeline import FIRST_DEPLOY, Iteration
from devstack.engine.context import EngineContext
from devstack.engine.up import UpRun
from devstack.exitcodes import OK

pytestmark = pytest.mark.slow
TOOL_PHASES = ("cache", "build", "load", "deploy")
DEVSTACK_PHASES = ("rollout", "forwards", "http")


@pytest.fixture
def demo_env() -> Iterator[DemoEnvironment]:
    with DemoEnvironment(demo_settings(), "healthy") as env:
        yield env


def finished(ctx: EngineContext, n: int) -> Iteration | None:
    current = ctx.store.state.timeline.current
    return current if current is not None and current.n == n and not current.running else None


def edited_during_up(env: DemoEnvironment) -> tuple[EngineContext, Iteration, float]:
    """`up` in dev mode; after its first iteration, an edit of demo/backend/app.py. Returns the
    context (its run stopped), the edit's iteration and when the edit was saved."""
    ctx = EngineContext(env.loaded, Store(), env.tools, interactive=True, state_dir=env.state_dir)
    run = UpRun(ctx)
    try:
        assert run.run() == OK, [s for s in ctx.store.state.steps if s.error]
        assert ctx.store.state.deploy.channel == "events", ctx.store.state.deploy.channel_detail
        wait_for(lambda: finished(ctx, 1), 60, "the first iteration to end")
        first = finished(ctx, 1)
        assert first is not None and first.ok and first.trigger == FIRST_DEPLOY
        app = env.loaded.root / "demo" / "backend" / "app.py"
        with app.open("a", encoding="utf-8") as handle:
            handle.write("\n# saved by the dev-loop test\n")
        saved = app.stat().st_mtime
        wait_for(lambda: finished(ctx, 2), 120, "the iteration of the edit to end")
        second = finished(ctx, 2)
        assert second is not None and second.ok is True, second
    finally:
        run.stop()
    return ctx, second, saved


def test_an_edit_during_up_is_an_iteration_timed_from_the_save_to_the_first_answer(
    demo_env: DemoEnvironment,
) -> None:
    ctx, second, saved = edited_during_up(demo_env)
    assert "event API v2 on 127.0.0.1:" in ctx.store.state.deploy.channel_detail
    assert second.trigger == "files changed: demo/backend/app.py"
    assert second.saved_at == pytest.approx(saved, abs=1e-3)
    phases = sorted(second.phases, key=lambda p: p.start)
    assert [p.name for p in phases] == [
        "detect",
        "cache",
        "build:jetscale-backend",  # the frontend's sources did not change: its image came from the cache
        "load",
        "deploy",
        "rollout",
        "forwards",
        "http",
    ]
    assert all(p.ok and p.seconds is not None for p in phases)
    # From the save to the first answer: the phases follow each other, and with the gaps between
    # them they add up to the total.
    assert phases[0].start == second.saved_at and phases[-1].end == second.ended
    gaps = [later.start - (earlier.end or 0.0) for earlier, later in itertools.pairwise(phases)]
    assert all(gap >= -1e-6 for gap in gaps), gaps
    total = second.total_seconds
    assert total is not None
    assert sum(p.seconds or 0 for p in phases) + sum(gaps) == pytest.approx(total, abs=1e-6)
    assert "jetscale-backend: cache miss: demo/backend/app.py changed since its last build" in second.notes
    assert "jetscale-backend: rebuilt, not synced: skaffold.yaml has no sync rules for it" in second.notes
    # `devstack status --json` (another process) shows the iterations the run recorded.
    out = subprocess.run(
        [sys.executable, "-m", "devstack", "status", "--json"],
        capture_output=True,
        text=True,
        env={**demo_env.tools.env, "DEVSTACK_SIM_TOOLS": "1"},
        cwd=demo_env.loaded.root,
        timeout=120,
        check=False,
    )
    document = json.loads(out.stdout)
    assert document["dev_loop"]["channel"] == "events"
    iterations = document["iterations"]
    assert [i["n"] for i in iterations] == [1, 2]
    shown = iterations[-1]
    assert shown["trigger"] == "files changed: demo/backend/app.py"
    assert shown["total_seconds"] == pytest.approx(total, abs=1e-3)
    for phase in shown["phases"]:
        assert isinstance(phase["name"], str) and isinstance(phase["start"], float)
        assert isinstance(phase["seconds"], float) and phase["ok"] is True
    assert [p["name"] for p in shown["phases"]] == [p.name for p in phases]


def test_a_skaffold_without_the_event_api_is_read_from_its_output_and_the_state_says_so(
    demo_env: DemoEnvironment,
) -> None:
    demo_env.tools.env["DEVSTACK_SIM_SKAFFOLD_EVENTS"] = "v1"  # the stand-in answers 404 for /v2/...
    ctx = EngineContext(demo_env.loaded, Store(), demo_env.tools, state_dir=demo_env.state_dir)
    run = UpRun(ctx)
    try:
        assert run.run() == OK, [s for s in ctx.store.state.steps if s.error]
        wait_for(lambda: finished(ctx, 1), 60, "the iteration to end")
    finally:
        run.stop()
    state = ctx.store.state
    assert state.deploy.channel == "log"
    assert "answered 404 Not Found for /v2/events" in state.deploy.channel_detail
    assert state.deploy.iteration == 1 and state.deploy.exit_code == 0
    assert {name for name, status, _ in state.deploy.rollouts} == {"jetscale-backend", "jetscale-frontend"}
    iteration = finished(ctx, 1)
    assert iteration is not None and iteration.ok
    kinds = [p.kind for p in sorted(iteration.phases, key=lambda p: p.start)]
    assert [k for k in kinds if k in TOOL_PHASES + DEVSTACK_PHASES] == [
        "cache",
        "build",
        "build",
        "load",
        "deploy",
        "rollout",
        "forwards",
        "http",
    ]


def test_with_tilt_an_edit_is_an_iteration_with_tilts_build_and_devstacks_phases() -> None:
    """`tilt up` (dev mode): Tilt rebuilds the resource whose docker_build context changed; its
    build is a phase with Tilt's own times, then devstack's rollout, forwards and http."""
    with DemoEnvironment(demo_settings(), "healthy", tool="tilt") as env:
        ctx, second, saved = edited_during_up(env)
    assert ctx.store.state.deploy.tool == "tilt"
    assert second.trigger == "files changed: demo/backend/app.py"
    assert second.saved_at == pytest.approx(saved, abs=1e-3)
    phases = sorted(second.phases, key=lambda p: p.start)
    assert [p.name for p in phases] == [
        "detect",
        "build:jetscale-backend",  # only the resource whose image context changed
        "deploy",
        *DEVSTACK_PHASES,
    ]
    assert all(p.ok and p.seconds is not None for p in phases)
    assert not any("sync" in note for note in second.notes), "Tilt's live_update is not read: no claim"
    assert ctx.store.state.deploy.phase == "stopped"
