"""Session without a cluster: offline sessions, cancellation of `up`, close vs prepare, the log
follower's batches, skaffold dev's keep-running loop, and the first-run walkthrough's memory."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from helpers import REPO
from seed import crashloop_store, healthy_store, offline
from tui_helpers import until

from devstack.engine.session import NoEngine, Session
from devstack.settings import Settings
from devstack.sources.kube import KubeTarget
from devstack.sources.logs import END, LogFollower
from devstack.tui.app import DevstackApp
from devstack.tui.screens.walkthrough import WalkthroughScreen
from devstack.tui.tour import tour_file, tour_seen
from devstack_sim.standins import devloop


def _context(store):  # type: ignore[no-untyped-def]
    from devstack.engine.context import EngineContext
    from devstack.profile import LoadedProfile, load_profile
    from devstack.sources.tools import ToolEnv

    path = REPO / "profiles" / "local-kind.yaml"
    return EngineContext(
        LoadedProfile(load_profile(path), path, REPO), store, ToolEnv(dict(os.environ), allow_sim=True)
    )


def test_an_offline_session_has_no_engine_and_says_so() -> None:
    session = offline(healthy_store())
    assert not session.has_engine
    for action in (
        session.run_checks,
        lambda: session.restart_workload("x"),
        lambda: session.delete_pod("x"),
        session.down,
        session.start_up,
        lambda: session.stream_logs("p", "c", lambda lines: None, threading.Event()),
    ):
        with pytest.raises(NoEngine):
            action()
    assert session.dev_loop_running  # the seeded state has skaffold dev running
    session.close()
    session.close()


def test_dev_loop_running_reads_the_state() -> None:
    from devstack.core import events as ev

    store = crashloop_store()
    assert offline(store).dev_loop_running
    store.dispatch(ev.DeployExited(1, at=0.0))
    assert not offline(store).dev_loop_running


def test_close_waits_for_a_prepare_in_progress_and_removes_what_it_set_up() -> None:
    building = threading.Event()
    removed: list[str] = []
    session: Session

    def build(store):  # type: ignore[no-untyped-def]
        building.set()
        time.sleep(0.3)
        session.add_cleanup(lambda: removed.append("demo"))
        return _context(store)

    session = Session(build=build)
    preparing = threading.Thread(target=session.prepare)
    preparing.start()
    building.wait(5)
    session.close()
    preparing.join(5)
    assert removed == ["demo"]
    assert session.start_up() is False  # closed: nothing starts again


def test_the_log_follower_hands_over_batches_and_stops_at_the_end() -> None:
    batches: list[list[str]] = []
    follower = LogFollower(
        None, KubeTarget("c", "ns"), "pod", "c", batches.append, threading.Event(), max_batch=500
    )
    for index in range(1200):
        follower._queue.put(f"line {index}")
    follower._queue.put("── pod/c: log stream ended (container exited?)")
    follower._queue.put(END)
    assert follower._deliver_until_end() is True
    lines = [line for batch in batches for line in batch]
    assert lines[:1200] == [f"line {i}" for i in range(1200)]
    assert all(len(batch) <= 500 for batch in batches) and len(batches) >= 3
    follower._queue.put("── pod/c: log stream ended (container exited?)")
    follower._queue.put(END)
    assert follower._deliver_until_end() is False  # the same notice again is not repeated
    assert lines[-1].startswith("──") and sum(len(b) for b in batches) == 1201


@pytest.mark.parametrize("keep", [False, True])
def test_skaffold_dev_stand_in_keeps_running_after_a_failed_first_deploy_only_when_asked(keep: bool) -> None:
    stop = threading.Event()
    out: list[str] = []
    cleaned: list[bool] = []
    threading.Timer(0.3, stop.set).start()
    result = devloop.run(
        lambda: "1/2 deployment(s) failed",
        [],
        lambda: cleaned.append(True),
        out.append,
        stop,
        poll=0.05,
        keep_running=keep,
    )
    if keep:
        assert result is None
        assert "1/2 deployment(s) failed" in out and "Watching for changes..." in out
    else:
        assert result == "exiting dev mode because first deploy failed: 1/2 deployment(s) failed"
    assert cleaned == [True]  # --cleanup: removed on exit either way


async def test_the_walkthrough_opens_on_the_first_launch_only(isolated_home: Path) -> None:
    state_dir = Settings.from_environ().state_dir
    assert not tour_seen(state_dir)

    async def launch() -> bool:
        session = Session(build=_context, check_cluster=False)
        app = DevstackApp(session, tour=None, state_dir=state_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: session.prepared, what="prepared")
            await pilot.pause(0.2)
            shown = isinstance(app.screen, WalkthroughScreen)
            if shown:
                assert "Check the machine" in app.screen.text
                await pilot.press("escape")
            await pilot.press("q")
        return shown

    assert await launch() is True
    assert tour_seen(state_dir) and tour_file(state_dir).is_relative_to(isolated_home)
    assert await launch() is False


def test_the_app_and_the_cli_path_load_no_engine_before_the_first_frame() -> None:
    """What runs before the first frame imports neither the kubernetes client nor the profile loader."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import devstack.cli, devstack.cli.demo, devstack.tui.launch, devstack.tui.app\n"
        "from devstack.cli.options import Options\n"
        "from devstack.tui.app import DevstackApp\n"
        "DevstackApp(devstack.cli.demo.demo_session(Options(None, 0), 'healthy'))\n"
        "heavy = ('kubernetes', 'yaml', 'pydantic', 'devstack.profile', 'devstack.core.store', 'aiohttp')\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


async def test_the_collector_is_on_again_once_the_first_frame_is_out() -> None:
    """A quick start turns the cyclic collector off until the first frame (`entry.QUICK`); the app
    turns it back on then, whatever it shows next."""
    import gc

    gc.disable()
    try:
        app = DevstackApp(offline(healthy_store()))
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.bridge is not None, what="the first frame")
            assert gc.isenabled()
            await pilot.press("q")
    finally:
        gc.enable()


async def test_p_switches_to_another_profile_of_the_stack() -> None:
    from devstack.tui.screens.profiles import ProfilePicker

    session = Session(build=_context, check_cluster=False)
    app = DevstackApp(session, tour=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: session.prepared and app.main.ready, what="prepared")
        assert session.store.state.profile == "local-kind"
        assert session.profiles() == ["ci-kind", "local-kind", "local-kind-tilt"]
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, ProfilePicker), what="the picker")
        await pilot.press("up", "enter")  # ci-kind is above the current local-kind
        await until(pilot, lambda: session.store.state.profile == "ci-kind", timeout=30, what="the switch")
        assert session.ctx is not None and session.ctx.profile.name == "ci-kind"
        await until(pilot, lambda: not session.running, timeout=60, what="its up to finish")
        await pilot.press("q")
    session.close()
