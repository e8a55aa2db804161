"""Nothing outlives devstack, even SIGKILL.

A SIGKILLed `devstack demo` is removed by its reaper (simulator daemon, pod processes, node container,
folder); a demo whose reaper died too is removed by the next devstack start or `down --stale`; the
kubernetes client's credential files never go to `$TMPDIR` and are gone after Ctrl-C, SIGTERM or
(at the next start) SIGKILL.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from helpers import demo_settings, free_port, kind_containers, read_lines_until, wait_for

from devstack.cli.demo_stack import DemoEnvironment
from devstack.core.store import Store
from devstack.engine.context import EngineContext
from devstack.engine.up import UpRun
from devstack.exitcodes import OK
from devstack.settings import Settings
from devstack.sources.credential_files import private_root
from devstack.sources.janitor import DEMO_MARKER, sweep

STAGES = {
    "deploy": "deploy: skaffold run",
    "ready": "holds until Ctrl-C",
    "tilt deploy": "deploy: tilt ci",
}


def state_dir() -> Path:
    return Settings.from_environ().state_dir


def isolated_env(tmp_path: Path) -> dict[str, str]:
    """This test's HOME/XDG/KUBECONFIG, an empty `$TMPDIR` of its own and free demo ports."""
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir(exist_ok=True)
    return {
        **os.environ,
        "TMPDIR": str(tmpdir),
        "DEVSTACK_DEMO_FRONTEND_PORT": str(free_port()),
        "DEVSTACK_DEMO_BACKEND_PORT": str(free_port()),
    }


def devstack(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", *args], env=env, capture_output=True, text=True, timeout=120
    )


def marked(home: str) -> list[psutil.Process]:
    """Running processes that carry the demo's marker in their environment."""
    found = []
    for process in psutil.process_iter(["environ"]):
        if (process.info.get("environ") or {}).get(DEMO_MARKER) == home and running(process):
            found.append(process)
    return found


def command_line(process: psutil.Process) -> str:
    """Its command line ("" once it is gone: processes end while a test looks)."""
    try:
        return " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return ""


def children(process: psutil.Process) -> list[psutil.Process]:
    """Its descendants (none once it is gone)."""
    try:
        return process.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class Demo:
    """`devstack demo --headless` in a subprocess, its stderr collected."""

    def __init__(self, env: dict[str, str], stage: str, tool: str = "skaffold"):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "demo", "--headless", "--tool", tool],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines, self.reached = read_lines_until(self.process.stderr, lambda seen: stage in seen[-1])
        assert self.reached.wait(300), "".join(self.lines)
        found = next(m for line in self.lines if (m := re.search(r"simulated cluster (\S+) in (\S+)", line)))
        self.cluster, self.home = found.group(1), found.group(2)

    def processes(self) -> list[psutil.Process]:
        """Its marked processes and all their children (the pods among them)."""
        own = marked(self.home)
        return own + [child for p in own for child in children(p)]

    def gone(self) -> bool:
        return not marked(self.home) and not Path(self.home).exists() and not kind_containers(self.cluster)


@pytest.fixture
def demos() -> Iterator[list[Demo]]:
    """The demos a test starts; killed after it, and whatever they left removed even if it failed
    half-way (e.g. after killing a reaper), as no later devstack start will use this state dir."""
    started: list[Demo] = []
    yield started
    for demo in started:
        if demo.process.poll() is None:
            demo.process.kill()
        demo.process.wait()
    if started:
        sweep(state_dir())


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["deploy", "ready", "tilt deploy"])
def test_a_sigkilled_demo_leaves_no_process_container_folder_or_key_file(
    stage: str, tmp_path: Path, demos: list[Demo]
) -> None:
    env = isolated_env(tmp_path)
    demo = Demo(env, STAGES[stage], "tilt" if stage.startswith("tilt") else "skaffold")
    demos.append(demo)
    processes = demo.processes()
    cmdlines = [command_line(p) for p in processes if running(p)]
    assert any("devstack_sim serve" in c for c in cmdlines), "the simulator daemon runs, marked"
    if stage == "tilt deploy":
        wait_for(
            lambda: any("standins.tilt ci" in command_line(p) for p in demo.processes() if running(p)),
            30,
            "tilt ci running, marked",
        )
        processes = demo.processes()
    if stage == "ready":
        assert any("demo/backend/app.py" in c for c in cmdlines), "the pods run, as the daemon's children"
    demo.process.send_signal(signal.SIGKILL)
    demo.process.wait()
    wait_for(lambda: demo.gone() and not any(running(p) for p in processes), 60, "the demo's removal")
    assert os.listdir(env["TMPDIR"]) == [], "no credential file went to $TMPDIR"
    assert not any(private_root(state_dir()).iterdir()), "the demo's credential folder is gone too"
    wait_for(lambda: any("removed the devstack demo" in line for line in demo.lines), 10, "the reaper's line")
    said = next(line for line in demo.lines if "removed the devstack demo" in line)
    assert demo.home in said and str(demo.process.pid) in said
    after = devstack(env, "down", "--stale", "--json")
    assert after.returncode == OK, after.stderr
    assert json.loads(after.stdout) == {"ok": True, "removed": []}, "the next start finds nothing stale"


@pytest.mark.slow
def test_a_demo_whose_reaper_died_too_is_removed_and_named_by_down_stale(
    tmp_path: Path, demos: list[Demo]
) -> None:
    env = isolated_env(tmp_path)
    demo = Demo(env, STAGES["ready"])
    demos.append(demo)
    reaper = next(
        p
        for p in psutil.Process(demo.process.pid).children()
        if "devstack.sources.janitor" in " ".join(p.cmdline())
    )
    reaper.kill()
    wait_for(lambda: not running(reaper), 10, "the reaper's end")
    demo.process.send_signal(signal.SIGKILL)
    demo.process.wait()
    daemon = next(p for p in marked(demo.home) if "devstack_sim serve" in " ".join(p.cmdline()))
    pods = [p for p in daemon.children(recursive=True) if "demo/" in " ".join(p.cmdline())]
    assert pods and Path(demo.home).is_dir(), "without its reaper the demo is left behind"
    out = devstack(env, "down", "--stale", "--json")
    assert out.returncode == OK, out.stderr
    removed = {item["purpose"]: item for item in json.loads(out.stdout)["removed"]}
    assert removed["devstack demo"]["folder"] == demo.home
    assert removed["devstack demo"]["owner_pid"] == demo.process.pid
    assert any(entry.startswith(f"{daemon.pid} ") for entry in removed["devstack demo"]["processes"])
    expected = [f"{demo.cluster}-control-plane"] if removed["devstack demo"]["containers"] else []
    assert removed["devstack demo"]["containers"] == expected
    assert removed["kubernetes client credential files"]["owner_pid"] == demo.process.pid
    assert demo.gone() and not any(running(p) for p in [daemon, *pods])
    again = devstack(env, "status", "--help")
    assert again.returncode == OK and "removed" not in again.stderr


@pytest.fixture
def demo_env() -> Iterator[DemoEnvironment]:
    with DemoEnvironment(demo_settings(), "healthy") as env:
        yield env


def private_folders() -> list[Path]:
    root = private_root(state_dir())
    return sorted(root.iterdir()) if root.is_dir() else []


@pytest.mark.slow
def test_forward_and_up_hold_keep_credential_files_private_and_leave_none(
    demo_env: DemoEnvironment, tmp_path: Path
) -> None:
    ctx = EngineContext(demo_env.loaded, Store(), demo_env.tools)
    run = UpRun(ctx)
    try:
        assert run.run() == OK
    finally:
        run.stop()
    before = private_folders()  # this test process's own client folder
    cases = [(["forward"], signal.SIGINT), (["up", "--hold", "--headless"], signal.SIGTERM)]
    cases.append((["forward"], signal.SIGKILL))
    for args, sig in cases:
        env = {**demo_env.tools.env, "DEVSTACK_SIM_TOOLS": "1", "TMPDIR": str(tmp_path / "tmpdir")}
        os.makedirs(env["TMPDIR"], exist_ok=True)
        child = subprocess.Popen(
            [sys.executable, "-m", "devstack", *args],
            env=env,
            cwd=demo_env.loaded.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines, serving = read_lines_until(
            child.stdout,
            lambda seen: "holding the forwards" in seen[-1] or (sum(" ready " in line for line in seen) >= 2),
        )
        try:
            assert serving.wait(120), "".join(lines)
            assert os.listdir(env["TMPDIR"]) == [], f"{args}: no credential file in $TMPDIR"
            (folder,) = [f for f in private_folders() if f not in before]
            assert json.loads((folder / "owner.json").read_text())["pid"] == child.pid
            assert folder.stat().st_mode & 0o777 == 0o700
            files = [f for f in folder.iterdir() if f.name != "owner.json"]
            assert len(files) >= 2, f"{args}: the client's CA, certificate and key are here"
            assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)
            child.send_signal(sig)
            child.wait(60)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        if sig == signal.SIGKILL:
            assert folder.exists(), "SIGKILL leaves the folder to the next start"
            start = devstack(env, "status", "--help")
            assert f"removed the kubernetes client credential files left by pid {child.pid}" in start.stderr
        assert private_folders() == before, f"{args} after {signal.Signals(sig).name}"
        assert os.listdir(env["TMPDIR"]) == []
