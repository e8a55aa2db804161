"""`up` end to end against the kind and skaffold (or tilt) stand-ins (a simulated cluster, real Docker nodes).

Each test gets a `DemoEnvironment`: its own DEVSTACK_SIM_HOME, kubeconfig and stack copy with the
scenario's chart values, ports on free local ports; devstack's real engine runs against it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from helpers import demo_settings, read_lines_until

from devstack.cli.demo_stack import DemoEnvironment
from devstack.core.store import Store
from devstack.engine.context import EngineContext
from devstack.engine.up import UpRun
from devstack.exitcodes import OK, UNHEALTHY, USAGE
from devstack_sim.standins.record import read_invocations

EKS = "arn:aws:eks:eu-west-1:123456789012:cluster/prod"


TOOLS = pytest.mark.parametrize("tool", ["skaffold", pytest.param("tilt", marks=pytest.mark.slow)])
"""The tests that hold for every deploy tool: the same assertions with Skaffold and with Tilt."""


@pytest.fixture
def tool() -> str:
    """The deploy tool of the demo's profile (tests parametrised with `TOOLS` override it)."""
    return "skaffold"


@pytest.fixture
def demo_env(request: pytest.FixtureRequest, tool: str) -> Iterator[DemoEnvironment]:
    scenario = getattr(request, "param", "healthy")
    with DemoEnvironment(demo_settings(), scenario, tool=tool) as env:
        yield env


REMOVES = {"skaffold": ("skaffold", "delete"), "tilt": ("tilt", "down")}
DEPLOYS = {"skaffold": ("skaffold", "run"), "tilt": ("tilt", "ci")}


def sim_home(env: DemoEnvironment) -> Path:
    return Path(env.tools.env["DEVSTACK_SIM_HOME"])


def invocations(env: DemoEnvironment, tool: str, *words: str) -> list[list[str]]:
    found = []
    for entry in read_invocations(sim_home(env)):
        if entry["tool"] == tool and all(word in entry["argv"] for word in words):
            found.append(entry["argv"])
    return found


def run_up(env: DemoEnvironment, **context: object) -> tuple[int, EngineContext]:
    ctx = EngineContext(env.loaded, Store(), env.tools, **context)  # type: ignore[arg-type]
    run = UpRun(ctx)
    try:
        return run.run(), ctx
    finally:
        run.stop()


def add_eks_current_context(kubeconfig: Path) -> None:
    config = yaml.safe_load(kubeconfig.read_text()) if kubeconfig.exists() else None
    config = config or {"apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": [], "users": []}
    config["clusters"].append({"name": EKS, "cluster": {"server": "https://127.0.0.2:1"}})
    config["users"].append({"name": EKS, "user": {"token": "not-used"}})
    config["contexts"].append({"name": EKS, "context": {"cluster": EKS, "user": EKS}})
    config["current-context"] = EKS
    kubeconfig.write_text(yaml.safe_dump(config))


def test_fresh_up_creates_deploys_and_is_healthy_and_a_second_up_reuses(demo_env: DemoEnvironment) -> None:
    kubeconfig = Path(demo_env.tools.env["KUBECONFIG"])
    add_eks_current_context(kubeconfig)
    code, ctx = run_up(demo_env)
    state = ctx.store.state
    assert code == OK, [s for s in state.steps if s.error]
    verdicts = dict(ctx.verdicts().named)
    assert set(verdicts) == {"jetscale-backend", "jetscale-frontend"}
    assert all(v.reason == "Ready" for v in verdicts.values())
    assert all(check.ok for check in state.checks)
    assert len(invocations(demo_env, "kind", "create")) == 1
    # kind made kind-jetscale current; put the EKS context back as current: devstack must not care.
    config = yaml.safe_load(kubeconfig.read_text())
    config["current-context"] = EKS
    kubeconfig.write_text(yaml.safe_dump(config))
    code, _ = run_up(demo_env)
    assert code == OK
    assert len(invocations(demo_env, "kind", "create")) == 1, "the second up must not create the cluster"
    context = demo_env.loaded.profile.context
    for argv in invocations(demo_env, "skaffold", "run"):
        assert argv[argv.index("--kube-context") + 1] == context
    assert EKS in [c["name"] for c in yaml.safe_load(kubeconfig.read_text())["contexts"]]


def test_up_starts_a_stopped_node_container(docker_daemon: None, demo_env: DemoEnvironment) -> None:
    import docker

    code, _ = run_up(demo_env)
    assert code == OK
    client = docker.from_env()
    try:
        name = demo_env.loaded.profile.cluster.name
        [node] = client.containers.list(filters={"label": f"io.x-k8s.kind.cluster={name}"})
        node.stop(timeout=5)
        code, ctx = run_up(demo_env)
        assert code == OK, [s for s in ctx.store.state.steps if s.error]
        cluster = ctx.store.state.step("cluster")
        assert cluster is not None and "started 1 stopped node" in cluster.message
        node.reload()
        assert node.status == "running"
    finally:
        client.close()


@TOOLS
@pytest.mark.parametrize("demo_env", ["crashloop"], indirect=True)
def test_a_crash_looping_backend_is_explained(demo_env: DemoEnvironment, tool: str) -> None:
    code, ctx = run_up(demo_env, overall_timeout=90)
    assert code == UNHEALTHY
    verdicts = dict(ctx.verdicts().named)
    backend = verdicts["jetscale-backend"]
    assert backend.reason == "CrashLoopBackOff"
    assert "exited with code 1" in backend.summary
    assert any("FATAL: DATABASE_URL is not set" in line for line in backend.evidence)
    failed = ctx.store.state.failed_step
    assert failed is not None and "build" not in failed.error.lower(), "a crash after a good build"


@TOOLS
@pytest.mark.parametrize("demo_env", ["imagepull"], indirect=True)
def test_an_image_typo_is_explained(demo_env: DemoEnvironment, tool: str) -> None:
    code, ctx = run_up(demo_env, overall_timeout=90)
    assert code == UNHEALTHY
    backend = dict(ctx.verdicts().named)["jetscale-backend"]
    assert backend.reason in ("ImagePullBackOff", "ErrImagePull")
    assert "jetscale-backnd" in backend.summary
    known = "built by skaffold" if tool == "skaffold" else "declared by docker_build in the Tiltfile"
    assert f"looks misspelled: jetscale-backnd is not jetscale-backend ({known})" in backend.summary
    assert "kind load" not in backend.action, "loading a misspelled name would not help"


def devstack_cli(env: DemoEnvironment, *args: str) -> subprocess.CompletedProcess[str]:
    child_env = {**env.tools.env, "DEVSTACK_SIM_TOOLS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "devstack", *args],
        capture_output=True,
        text=True,
        env=child_env,
        cwd=env.loaded.root,
        timeout=600,
    )


def test_a_profile_targeting_a_non_allowed_context_is_refused_before_any_tool_runs(
    demo_env: DemoEnvironment,
) -> None:
    profile = yaml.safe_load(demo_env.loaded.path.read_text())
    profile["cluster"] = {"provider": "existing", "context": EKS}
    profile["safety"] = {"allowed_contexts": [demo_env.loaded.profile.context]}
    path = demo_env.loaded.root / "profiles" / "prod.yaml"
    path.write_text(yaml.safe_dump(profile))
    out = devstack_cli(demo_env, "-p", "prod", "up", "--headless")
    assert out.returncode == USAGE, out.stderr
    assert f"refusing kube context {EKS!r}" in out.stderr
    assert "Traceback" not in out.stderr
    assert invocations(demo_env, "skaffold") == []
    assert invocations(demo_env, "kind") == []


@TOOLS
def test_cli_up_json_document(demo_env: DemoEnvironment, tool: str) -> None:
    profile = demo_env.loaded.profile.name
    out = devstack_cli(demo_env, "-p", profile, "up", "--headless", "--json")
    assert out.returncode == OK, out.stdout + out.stderr
    document = json.loads(out.stdout)
    assert document["ok"] is True and document["context"] == demo_env.loaded.profile.context
    assert [s["name"] for s in document["steps"]] == [
        "doctor",
        "cluster",
        "context",
        "deploy",
        "ready",
        "forwards",
        "checks",
    ]
    assert all(s["ok"] and isinstance(s["seconds"], float) for s in document["steps"])
    workloads = {w["name"]: w for w in document["workloads"]}
    assert set(workloads) == {"jetscale-backend", "jetscale-frontend"}
    assert all(w["kind"] == "Deployment" and w["ready"] and w["level"] == "ok" for w in workloads.values())
    assert document["deploy"]["tool"] == tool
    if tool == "tilt":  # Tilt's resources and session targets, as read while it ran
        tilt = document["deploy"]["tilt"]
        assert {"jetscale-backend", "jetscale-frontend"} <= {r["name"] for r in tilt["resources"]}
        assert "jetscale-backend:update" in {t["name"] for t in tilt["targets"]}
    forwards = {f["name"]: f for f in document["forwards"]}
    for forward in demo_env.loaded.profile.forwards:
        assert forwards[forward.name]["local"] == f"127.0.0.1:{forward.local_port}"
        assert forwards[forward.name]["status"] == "ready"
    assert document["checks"] and all(c["ok"] for c in document["checks"])
    assert invocations(demo_env, *DEPLOYS[tool])
    status = devstack_cli(demo_env, "-p", profile, "status", "--json")
    assert status.returncode == OK, status.stderr
    assert {p["status"] for p in json.loads(status.stdout)["pods"]} == {"Ready"}
    report = devstack_cli(demo_env, "-p", profile, "report")
    assert report.returncode == OK, report.stderr
    assert "## Logs" in report.stdout and "## Warning events" in report.stdout
    assert "sqlite:///tmp/dev.db" not in report.stdout  # the local Secret's value
    assert "DATABASE_URL=<redacted>" in report.stdout
    kubeconfig = Path(demo_env.tools.env["KUBECONFIG"])
    add_eks_current_context(kubeconfig)
    down = devstack_cli(demo_env, "-p", profile, "down", "--delete-cluster")
    assert down.returncode == OK, down.stderr
    [removal] = invocations(demo_env, *REMOVES[tool])
    assert (
        removal[removal.index("--context" if tool == "tilt" else "--kube-context") + 1]
        == demo_env.loaded.profile.context
    )
    assert invocations(demo_env, "kind", "delete")
    contexts = [c["name"] for c in yaml.safe_load(kubeconfig.read_text())["contexts"]]
    assert contexts == [EKS], "only the kind cluster's own entries go"


def test_a_cluster_that_differs_from_the_kind_config_is_shown_and_kept_unless_recreate(
    docker_daemon: None, demo_env: DemoEnvironment
) -> None:
    code, _ = run_up(demo_env)
    assert code == OK
    config_path = demo_env.loaded.resolve(str(demo_env.loaded.profile.cluster.kind_config))
    config = yaml.safe_load(config_path.read_text())
    config["nodes"] = [
        {"role": "control-plane", "extraPortMappings": [{"containerPort": 30080, "hostPort": 30080}]}
    ]
    config_path.write_text(yaml.safe_dump(config))
    code, ctx = run_up(demo_env)
    assert code == USAGE
    failed = ctx.store.state.failed_step
    assert failed is not None and failed.name == "cluster"
    assert "extraPortMappings" in failed.error and "--recreate" in failed.fix
    assert invocations(demo_env, "kind", "delete") == [], "never delete without being asked"
    code, ctx = run_up(demo_env, recreate=True)
    assert code == OK, [s for s in ctx.store.state.steps if s.error]
    assert len(invocations(demo_env, "kind", "delete")) == 1
    assert len(invocations(demo_env, "kind", "create")) == 2


def test_an_existing_cluster_profile_uses_its_named_context(demo_env: DemoEnvironment) -> None:
    code, _ = run_up(demo_env)
    assert code == OK
    context = demo_env.loaded.profile.context
    profile = yaml.safe_load(demo_env.loaded.path.read_text())
    profile["cluster"] = {"provider": "existing", "context": context}
    profile["safety"] = {"allowed_contexts": [context]}
    (demo_env.loaded.root / "profiles" / "shared-dev.yaml").write_text(yaml.safe_dump(profile))
    out = devstack_cli(demo_env, "-p", "shared-dev", "up", "--headless", "--json")
    assert out.returncode == OK, out.stdout + out.stderr
    cluster_step = next(s for s in json.loads(out.stdout)["steps"] if s["name"] == "cluster")
    assert cluster_step["detail"].startswith(f"using existing cluster {context}")
    assert len(invocations(demo_env, "kind", "create")) == 1
    assert not [argv for argv in invocations(demo_env, "kind") if "create" in argv or "delete" in argv][1:]


def test_devstack_forward_prints_status_lines_serves_and_stops_on_ctrl_c(demo_env: DemoEnvironment) -> None:
    import http.client
    import signal

    from devstack.sources.ports import port_is_free

    code, _ = run_up(demo_env)
    assert code == OK
    forward = subprocess.Popen(
        [sys.executable, "-m", "devstack", "forward"],
        env={**demo_env.tools.env, "DEVSTACK_SIM_TOOLS": "1"},
        cwd=demo_env.loaded.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines, both_ready = read_lines_until(
        forward.stdout, lambda seen: sum(" ready " in line for line in seen) >= 2
    )
    ports = [f.local_port for f in demo_env.loaded.profile.forwards]
    try:
        assert both_ready.wait(60), "".join(lines)
        conn = http.client.HTTPConnection("127.0.0.1", ports[1], timeout=10)
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
        forward.send_signal(signal.SIGINT)
        assert forward.wait(timeout=30) == 130
        assert forward.stderr is not None
        stderr = forward.stderr.read()
        assert "Traceback" not in stderr and "Event loop is closed" not in stderr, stderr
        assert stderr.strip().endswith("devstack: interrupted")
    finally:
        if forward.poll() is None:
            forward.kill()
            forward.wait()
    assert all(port_is_free(port) for port in ports)


def test_up_timeout_is_one_deadline_for_the_whole_run(demo_env: DemoEnvironment) -> None:
    out = devstack_cli(demo_env, "up", "--headless", "--json", "--timeout", "1")
    assert out.returncode == UNHEALTHY, out.stdout + out.stderr
    steps = json.loads(out.stdout)["steps"]
    failed = [s for s in steps if s["status"] == "failed"]
    assert len(failed) == 1, steps
    assert failed[0]["error"] == f"not done within --timeout 1s ({failed[0]['name']} was still running)"
    after = steps[[s["name"] for s in steps].index(failed[0]["name"]) + 1 :]
    assert all(s["status"] == "pending" for s in after), "no stage gets its own full time after the deadline"


@pytest.mark.parametrize("demo_env", ["healthy", "bad-api-url"], indirect=True)
def test_devstack_check_json_after_up(demo_env: DemoEnvironment) -> None:
    run_up(demo_env)
    out = devstack_cli(demo_env, "check", "--json")
    document = json.loads(out.stdout)
    assert document["note"] == "started temporary forwards"
    checks = {c["name"]: c for c in document["checks"]}
    api = checks["api-base-url"]
    if demo_env.scenario == "healthy":
        assert out.returncode == OK and document["ok"] is True
        assert all(step["ok"] for step in api["steps"])
    else:
        assert out.returncode == UNHEALTHY and document["ok"] is False
        failing = next(step for step in api["steps"] if not step["ok"])
        assert failing["name"] == "browser can resolve it"
        assert "cluster-internal" in failing["detail"] and "http://localhost:" in failing["hint"]
