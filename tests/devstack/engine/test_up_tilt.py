"""`up` with Tilt end to end (the tilt stand-in on a simulated cluster): what only Tilt has.

The assertions Skaffold and Tilt share (the `up --json` document, crash loop and image typo
explanations) are the parametrised tests of test_up.py. Here: the forwards stay devstack's
(0 failed requests across a pod replacement), Tilt's private settings dir goes with it, a
Tiltfile syntax error and a failed docker_build are explained with their Tiltfile line, and
`tilt up` (dev) stops on devstack's stop as a normal stop.
"""

from __future__ import annotations

import http.client
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import demo_settings, pods_answering

from devstack.cli.ci_report import write_report_dir
from devstack.cli.demo_stack import DemoEnvironment
from devstack.core.store import Store
from devstack.engine.context import EngineContext
from devstack.engine.up import UpRun
from devstack.exitcodes import OK, UNHEALTHY, USAGE
from devstack.sources.confine import private_folder
from devstack_sim.standins.record import read_invocations

pytestmark = pytest.mark.slow


@pytest.fixture
def tilt_env() -> Iterator[DemoEnvironment]:
    with DemoEnvironment(demo_settings(), "healthy", tool="tilt") as env:
        yield env


def tilt_invocations(env: DemoEnvironment, *words: str) -> list[list[str]]:
    home = Path(env.tools.env["DEVSTACK_SIM_HOME"])
    return [
        e["argv"]
        for e in read_invocations(home)
        if e["tool"] == "tilt" and all(w in e["argv"] for w in words)
    ]


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def kubectl(env: DemoEnvironment, *args: str) -> subprocess.CompletedProcess[str]:
    context = env.loaded.profile.context
    kubeconfig = env.tools.env["KUBECONFIG"]
    command = ["kubectl", "--kubeconfig", kubeconfig, "--context", context, "-n", "jetscale", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_forwards_are_devstacks_and_survive_a_pod_replacement(tilt_env: DemoEnvironment) -> None:
    ctx = EngineContext(tilt_env.loaded, Store(), tilt_env.tools)
    run = UpRun(ctx)
    try:
        code = run.run()
        state = ctx.store.state
        assert code == OK, [s for s in state.steps if s.error]
        # `uncategorized` holds the objects of no workload (the Namespace), as in Tilt
        assert {"jetscale-backend", "jetscale-frontend"} <= {r.name for r in state.tilt.workloads}
        [ci] = tilt_invocations(tilt_env, "ci")  # as the stand-in received it
        assert ci[ci.index("--context") + 1] == tilt_env.loaded.profile.context
        assert ci[ci.index("--host") + 1] == "127.0.0.1" and ci[-2:] == ["--", "--no-port-forwards"]
        backend = next(f for f in tilt_env.loaded.profile.forwards if f.name == "backend")

        def replace(pod: str) -> None:
            deleted = kubectl(tilt_env, "delete", "pod", pod, "--wait=false")
            assert deleted.returncode == 0, deleted.stderr

        pods, failures = pods_answering(backend.local_port, replace)
        assert len(set(pods)) >= 2, "a new pod served after the replacement"
        assert failures == []
    finally:
        run.stop()
    assert not list(private_folder().glob("devstack-tilt-*")), "Tilt's private TILT_DEV_DIR went with it"


def test_tilt_up_stops_as_a_normal_stop_and_leaves_no_process(tilt_env: DemoEnvironment) -> None:
    ctx = EngineContext(tilt_env.loaded, Store(), tilt_env.tools, interactive=True)
    run = UpRun(ctx)
    try:
        run.run()
        assert ctx.store.state.deploy.phase in ("deployed", "watching"), ctx.store.state.deploy
    finally:
        run.stop()
    deploy = ctx.store.state.deploy
    assert deploy.phase == "stopped" and deploy.exit_code in (0, 1)
    timeline = ctx.store.state.timeline
    assert timeline.iterations and timeline.iterations[0].phase("build", "jetscale-backend") is not None
    assert tilt_processes(tilt_env) == []


def tilt_processes(env: DemoEnvironment) -> list[str]:
    """Tilt processes still running in the demo's stack folder."""
    import psutil

    found = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        argv = process.info["cmdline"] or []
        if process.info["cwd"] == str(env.stack) and "--no-port-forwards" in argv:
            found.append(" ".join(argv))
    return found


def break_file(path: Path, old: str, new: str) -> int:
    """Replace `old` by `new` in `path`; the 1-based line of the change."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def failed_deploy(env: DemoEnvironment) -> tuple[int, str, str, EngineContext]:
    ctx = EngineContext(env.loaded, Store(), env.tools, overall_timeout=120)
    run = UpRun(ctx)
    try:
        code = run.run()
    finally:
        run.stop()
    step = ctx.store.state.failed_step
    assert step is not None and step.name == "deploy", ctx.store.state.steps
    return code, step.error, step.fix, ctx


def test_a_tiltfile_syntax_error_is_explained_with_its_line(
    tilt_env: DemoEnvironment, tmp_path: Path
) -> None:
    line = break_file(
        tilt_env.stack / "Tiltfile",
        "k8s_resource(\n    'jetscale-backend',",
        "k8s_resource((\n    'jetscale-backend',",
    )
    code, error, fix, ctx = failed_deploy(tilt_env)
    assert code == UNHEALTHY
    assert "The Tiltfile does not load at Tiltfile:" in error, error
    assert any(f"Tiltfile:{n}" in error for n in (line, line + 1, line + 2)), (line, error)
    assert fix.startswith("fix Tiltfile:")
    # the CI report says the same (summary.txt names the failed step with its Tiltfile line)
    written = write_report_dir(ctx, tmp_path / "report", code, "deploy failed")
    assert "summary.txt" in written and "Tiltfile:" in (tmp_path / "report" / "summary.txt").read_text()


def test_a_failed_docker_build_is_explained_with_its_tiltfile_line(tilt_env: DemoEnvironment) -> None:
    tiltfile = (tilt_env.stack / "Tiltfile").read_text().splitlines()
    declared = next(
        n for n, text in enumerate(tiltfile, 1) if text.startswith("docker_build('jetscale-backend'")
    )
    break_file(tilt_env.stack / "demo" / "backend" / "Dockerfile", "WORKDIR /app", "RUNN true\nWORKDIR /app")
    code, error, fix, _ctx = failed_deploy(tilt_env)
    assert code == UNHEALTHY
    assert f"Tilt's build of jetscale-backend failed (docker_build at Tiltfile:{declared})" in error, error
    assert "RUNN" in error or "unknown instruction" in error.lower(), error
    assert "tilt trigger jetscale-backend" in fix


def test_a_tiltfile_without_the_forward_switch_is_refused_before_tilt_runs(
    tilt_env: DemoEnvironment,
) -> None:
    tiltfile = tilt_env.stack / "Tiltfile"
    text = tiltfile.read_text(encoding="utf-8")
    tiltfile.write_text(
        text.replace("config.define_bool('no-port-forwards'", "config.define_bool('no-forwards'")
    )
    code, error, fix, _ctx = failed_deploy(tilt_env)
    assert code == USAGE
    assert error == "cannot run Tiltfile with Tilt's forwards off"
    assert "config.define_bool('no-port-forwards')" in fix
    assert tilt_invocations(tilt_env, "ci") == [] and tilt_invocations(tilt_env, "up") == []


def test_a_web_port_taken_before_tilt_binds_it_is_retried_on_another(
    tilt_env: DemoEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tilt refuses a busy web port (TILT.md §1.4); devstack starts it again on another port."""
    import socket

    from devstack.engine import deploy_tilt
    from devstack.sources.ports import free_local_port

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    busy = holder.getsockname()[1]
    ports = iter([busy])
    monkeypatch.setattr(deploy_tilt, "free_local_port", lambda: next(ports, None) or free_local_port())
    try:
        ctx = EngineContext(tilt_env.loaded, Store(), tilt_env.tools)
        run = UpRun(ctx)
        try:
            assert run.run() == OK, [s for s in ctx.store.state.steps if s.error]
        finally:
            run.stop()
    finally:
        holder.close()
    first, second = tilt_invocations(tilt_env, "ci")
    assert first[first.index("--port") + 1] == str(busy)
    assert second[second.index("--port") + 1] != str(busy)
