"""`up` and the forwards, per workload: a crash-looping backend never takes the frontend's port down,
and a busy forward port stops `up` at the doctor, before any cluster work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import demo_settings, http_status
from portholders import end, listener

from devstack.cli.demo_stack import DemoEnvironment
from devstack.core.model import StepStatus
from devstack.core.store import Store
from devstack.engine.context import EngineContext
from devstack.engine.up import UpRun
from devstack.exitcodes import MISSING_PREREQUISITE, UNHEALTHY
from devstack_sim.standins.record import read_invocations

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_env(request: pytest.FixtureRequest) -> Iterator[DemoEnvironment]:
    with DemoEnvironment(demo_settings(), getattr(request, "param", "healthy")) as env:
        yield env


def context_of(env: DemoEnvironment, tmp_path: Path) -> EngineContext:
    return EngineContext(env.loaded, Store(), env.tools, overall_timeout=90, state_dir=tmp_path / "state")


@pytest.mark.parametrize("demo_env", ["crashloop"], indirect=True)
def test_with_the_backend_crash_looping_the_frontend_port_serves_and_the_backend_forward_waits(
    demo_env: DemoEnvironment, tmp_path: Path
) -> None:
    ctx = context_of(demo_env, tmp_path)
    run = UpRun(ctx)
    try:
        code = run.run()
        assert code == UNHEALTHY
        state = ctx.store.state
        failed = state.failed_step
        assert failed is not None and failed.name in ("deploy", "ready"), failed
        forwards = state.step("forwards")
        assert forwards is not None and forwards.status is StepStatus.OK, forwards
        frontend, backend = ctx.profile.forwards
        assert f"localhost:{backend.local_port} waiting" in forwards.message
        assert http_status(frontend.local_port, "/") == 200
        views = ctx.store.state.forwards
        assert views["frontend"].status == "ready" and views["frontend"].pod.startswith("jetscale-frontend-")
        assert views["backend"].status == "waiting"
        assert run.forwards is not None, "the session's `r` re-opens these forwards"
    finally:
        run.stop()


def test_a_foreign_holder_of_a_forward_port_fails_up_at_the_doctor_before_any_cluster_work(
    demo_env: DemoEnvironment, tmp_path: Path
) -> None:
    backend = demo_env.loaded.profile.forwards[1]
    holder = listener(backend.local_port, "--token=abc123secret")
    ctx = context_of(demo_env, tmp_path)
    run = UpRun(ctx)
    try:
        code = run.run()
    finally:
        run.stop()
        end(holder)
    assert code == MISSING_PREREQUISITE
    failed = ctx.store.state.failed_step
    assert failed is not None and failed.name == "doctor"
    assert f"pid {holder.pid}" in failed.error and "abc123secret" not in failed.error
    assert f"kill {holder.pid}" in failed.fix
    cluster = ctx.store.state.step("cluster")
    assert cluster is None or cluster.status is StepStatus.PENDING
    home = Path(demo_env.tools.env["DEVSTACK_SIM_HOME"])
    ran = [e["argv"] for e in read_invocations(home) if e["tool"] in ("kind", "skaffold")]
    assert all(argv == ["version"] for argv in ran), "only version probes ran"


@pytest.mark.parametrize("demo_env", ["crashloop"], indirect=True)
def test_in_the_terminal_apps_session_r_reopens_the_forwards_of_a_crash_looping_stack(
    demo_env: DemoEnvironment, tmp_path: Path
) -> None:
    from helpers import wait_for

    from devstack.engine.session import Session

    def build(store: Store) -> EngineContext:
        return EngineContext(
            demo_env.loaded, store, demo_env.tools, interactive=True, overall_timeout=90, state_dir=tmp_path
        )

    session = Session(build=build, check_cluster=False)
    try:
        assert session.start_up()
        wait_for(lambda: not session.running, timeout=180, what="up to finish its steps")
        frontend = session.ctx.profile.forwards[0] if session.ctx else None
        assert frontend is not None and session.last_exit_code == UNHEALTHY
        assert http_status(frontend.local_port, "/") == 200
        session.restart_forwards()
        wait_for(lambda: session.store.state.forwards["frontend"].status == "ready", what="frontend ready")
        assert http_status(frontend.local_port, "/") == 200
        assert session.store.state.forwards["backend"].status == "waiting"
    finally:
        session.close()
