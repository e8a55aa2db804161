"""The demo is sealed: every profile of its stack copy stays on the demo's cluster, ports, tools and
files (also after `p`), its walkthrough shows on its first launch, its doctor names the stand-ins
with their versions, and the command it prints works pasted as it is, from any folder."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO, demo_settings, read_lines_until

from devstack.cli import demo as demo_cli
from devstack.cli.common import tools_for
from devstack.cli.demo import demo_session
from devstack.cli.demo_stack import DemoEnvironment, live_demo
from devstack.cli.options import Options
from devstack.profile import load
from devstack.settings import Settings
from devstack.sources.doctor import check_context
from devstack.sources.janitor import demos_root


@pytest.fixture
def demo_env() -> Iterator[DemoEnvironment]:
    with DemoEnvironment(demo_settings(), "healthy") as env:
        yield env


def test_every_profile_of_the_demo_is_on_its_cluster_and_ports(demo_env: DemoEnvironment) -> None:
    settings = demo_env.settings
    names = sorted(p.stem for p in (demo_env.stack / "profiles").glob("*.yaml"))
    assert names == sorted(p.stem for p in (REPO / "profiles").glob("*.yaml")) and len(names) >= 2
    for name in names:
        loaded = demo_env.load(name)
        profile = loaded.profile
        assert loaded.root == demo_env.stack
        assert profile.cluster.name == demo_env.cluster and demo_env.cluster.startswith("demo-")
        assert list(profile.allowed_contexts) == [f"kind-{demo_env.cluster}"] == [profile.context]
        ports = {f.name: f.local_port for f in profile.forwards}
        assert ports == {"frontend": settings.demo_frontend_port, "backend": settings.demo_backend_port}
    for values in (demo_env.stack / "charts" / "jetscale").glob("values-*.yaml"):
        data = yaml.safe_load(values.read_text())
        assert data["frontend"]["apiBaseUrl"] == f"http://localhost:{settings.demo_backend_port}", values
        assert data["backend"]["allowedOrigins"] == [f"http://localhost:{settings.demo_frontend_port}"]


def test_switching_profile_in_the_demo_keeps_its_cluster_tools_and_state() -> None:
    session = demo_session(Options(None, 0, settings=demo_settings()), "healthy")
    try:
        session.prepare()
        first = session.ctx
        assert first is not None and first.profile.name == "local-kind"
        session.switch_profile("ci-kind")
        ctx = session.ctx
        assert ctx is not None and ctx is not first and ctx.profile.name == "ci-kind"
        assert ctx.profile.cluster.name == first.profile.cluster.name  # the demo's one cluster
        assert ctx.context == first.context
        assert ctx.tools.env["KUBECONFIG"] == first.tools.env["KUBECONFIG"] and ctx.tools.allow_sim
        assert ctx.state_dir == first.state_dir and ctx.state_dir is not None
        home = ctx.loaded.root.parent
        assert ctx.state_dir == home / "state"  # forward markers live (and end) with the demo
        assert session.store.state.profile == "ci-kind"
    finally:
        session.close()
    assert not home.exists()


def test_the_demo_asks_for_its_own_walkthrough_on_the_first_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def run_tui(session: object, **kwargs: Any) -> int:
        seen.update(kwargs)
        return 0

    monkeypatch.setattr("devstack.tui.launch.run_tui", run_tui)
    assert demo_cli._run_tui(Options(None, 0, settings=demo_settings()), "healthy") == 0
    assert seen["tour"] is None  # None: shown on the first launch (True with --tour)
    assert seen["tour_name"] == "demo"  # remembered apart from plain `devstack`'s
    assert demo_cli._run_tui(Options(None, 0, tour=True, settings=demo_settings()), "healthy") == 0
    assert seen["tour"] is True


def test_a_command_on_a_live_demos_profile_runs_in_the_demos_environment(
    demo_env: DemoEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings.from_environ()
    monkeypatch.chdir(tmp_path)  # anywhere
    loaded = load(str(demo_env.loaded.path))
    demo = live_demo(loaded, settings)
    assert demo is not None and demo.home == demo_env.home
    tools, state_dir = tools_for(loaded, settings)
    assert state_dir == demo_env.state_dir
    assert tools.env["KUBECONFIG"] == demo_env.tools.env["KUBECONFIG"] and tools.allow_sim
    assert tools.which("kind") == demo_env.tools.which("kind")
    plain, plain_state = tools_for(load(str(REPO / "profiles" / "local-kind.yaml")), settings)
    assert not plain.allow_sim and plain_state == settings.state_dir  # any other profile: the user's


def test_a_profile_outside_the_state_dir_or_of_an_ended_demo_gets_the_users_tools(tmp_path: Path) -> None:
    settings = demo_settings()
    with DemoEnvironment(settings, "healthy") as env:
        copy = tmp_path / "devstack-demo-copy"
        copy.mkdir()
        (copy / "environment.json").write_text((env.home / "environment.json").read_text())
        import shutil

        shutil.copytree(env.stack, copy / "stack")
        assert live_demo(load(str(copy / "stack" / "profiles" / "local-kind.yaml")), settings) is None
        loaded = env.loaded
    assert live_demo(loaded, settings) is None  # the demo ended
    assert list(demos_root(settings.state_dir).iterdir()) == []


def test_the_demos_doctor_checks_its_kubeconfig_and_names_the_stand_ins(
    demo_env: DemoEnvironment, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVSTACK_")}  # a plain shell
    out = subprocess.run(
        [sys.executable, "-m", "devstack", "doctor", "--json", "-p", str(demo_env.loaded.path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    document = json.loads(out.stdout)
    checks = {c["name"]: c for c in document["checks"]}
    for tool in ("kind", "skaffold"):
        check = checks[f"tool:{tool}"]
        assert check["status"] == "ok", check
        assert "devstack simulator stand-in" in check["detail"] and "Traceback" not in check["detail"]
        assert re.search(r"v\d+\.\d+\.\d+", check["detail"]), check
    assert demo_env.tools.env["KUBECONFIG"] in checks["context"]["detail"]


def test_inside_up_a_context_the_run_creates_is_not_a_warning(demo_env: DemoEnvironment) -> None:
    context = demo_env.loaded.profile.context
    outside = check_context(context, True, demo_env.tools)
    assert outside.status.value == "warn" and outside.fix
    during = check_context(context, True, demo_env.tools, during_up=True)
    assert during.status.value == "ok" and not during.fix and "this run creates" in during.detail


@pytest.mark.slow
def test_the_printed_status_command_works_pasted_from_any_folder(tmp_path: Path) -> None:
    settings = demo_settings()
    env = {**os.environ, **{k: str(v) for k, v in settings.environ.items() if k.startswith("DEVSTACK_DEMO")}}
    demo = subprocess.Popen(
        [sys.executable, "-m", "devstack", "demo", "--headless"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines, ready = read_lines_until(demo.stderr, lambda seen: "holds until Ctrl-C" in seen[-1])
    try:
        assert ready.wait(300), "".join(lines)
        hint = next(line for line in lines if "holds until Ctrl-C" in line)
        command = re.search(r"`(devstack status [^`]+)`", hint)
        assert command is not None, hint
        pasted = [sys.executable, "-m", "devstack", *shlex.split(command.group(1))[1:]]
        plain = {k: v for k, v in os.environ.items() if not k.startswith("DEVSTACK_")}
        out = subprocess.run(pasted, capture_output=True, text=True, env=plain, cwd=tmp_path, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "context kind-demo-" in out.stdout and "jetscale-backend" in out.stdout
        profile = shlex.split(command.group(1))[-1]
        doctor = [sys.executable, "-m", "devstack", "doctor", "--json", "-p", profile]
        out = subprocess.run(doctor, capture_output=True, text=True, env=plain, cwd=tmp_path, timeout=120)
        checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
        for port in (settings.demo_frontend_port, settings.demo_backend_port):
            held = checks[f"port:{port}"]  # the live demo's own forward: fine, and never "stale"
            assert held["status"] == "ok" and "devstack's forward" in held["detail"], held
        assert "stale" not in out.stdout and out.returncode == 0, out.stdout
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=120)
