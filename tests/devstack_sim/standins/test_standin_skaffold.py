"""The skaffold stand-in against a kind stand-in cluster in real Docker: run, status-check failures,
delete, profiles, flags, and the dev loop (rebuild on change, cleanup on SIGTERM)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

import psutil
import pytest
from helpers import wait_for
from standin_helpers import REPO, Standins, docker_name, http_through_port_forward

from devstack.core.toolout import parse_skaffold_line

pytestmark = pytest.mark.slow
CLUSTER = docker_name("jetscale")
CONTEXT = f"kind-{CLUSTER}"


def devstack_args(command: str, kubeconfig: Path, profile: str = "local-kind") -> list[str]:
    """The command line devstack's engine builds (devstack/engine/deploy.py `skaffold_args`)."""
    args = [command, "-p", profile, "--kube-context", CONTEXT, "--kubeconfig", str(kubeconfig)]
    args += ["--filename", "skaffold.yaml"]
    if command in ("run", "dev"):
        args += ["--port-forward=off", "--status-check=true", "--tail=false"]
    return args


def signals(stdout: str) -> list[tuple[str, str]]:
    """devstack's reading of the output: (kind, subject) per meaningful line."""
    parsed = [parse_skaffold_line(line) for line in stdout.splitlines()]
    return [(s.kind, s.subject) for s in parsed if s is not None]


def deployments(standins: Standins) -> dict[str, dict[str, object]]:
    """name → {ready, image, labels} of the deployments in namespace jetscale (via kubectl)."""
    done = standins.kubectl(CONTEXT, "get", "deploy", "-n", "jetscale", "-o", "json")
    assert done.returncode == 0, done.stderr
    return {
        item["metadata"]["name"]: {
            "ready": f"{item['status'].get('readyReplicas', 0)}/{item['spec']['replicas']}",
            "image": item["spec"]["template"]["spec"]["containers"][0]["image"],
            "labels": item["metadata"]["labels"],
        }
        for item in json.loads(done.stdout)["items"]
    }


def pods(standins: Standins) -> list[str]:
    """Pod names in namespace jetscale."""
    done = standins.kubectl(CONTEXT, "get", "pods", "-n", "jetscale", "-o", "name")
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.fixture
def jetscale(docker_daemon: None, standins: Standins) -> Standins:
    """A kind stand-in cluster named jetscale (node container in Docker)."""
    standins.env["DEVSTACK_SIM_DOCKER"] = "on"
    standins.create(CLUSTER, "--config", str(REPO / "profiles" / "kind" / "jetscale.yaml"), "--wait", "60s")
    return standins


def test_run_deploys_the_chart_then_delete_removes_it(jetscale: Standins) -> None:
    from kubernetes import client

    started = time.monotonic()
    done = jetscale.run("skaffold", *devstack_args("run", jetscale.kubeconfig))
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[-1] == "You can also run [skaffold run --tail] to get the logs"
    seen = signals(done.stdout)
    for expected in [
        ("tags", ""),
        ("cache", "jetscale-backend"),
        ("build-start", "jetscale-backend"),
        ("build-done", "jetscale-backend"),
        ("build-done", "jetscale-frontend"),
        ("deploy-start", ""),
        ("image-load", ""),
        ("stabilizing", ""),
        ("rollout-ready", "jetscale-backend"),
        ("rollout-ready", "jetscale-frontend"),
        ("stabilized", ""),
    ]:
        assert expected in seen, (expected, done.stdout)
    assert not [s for s in seen if s[0] in ("error", "rollout-failed", "status-failed")]
    assert " - jetscale-backend: Not found. Building" in lines
    assert any(
        line.startswith(" - jetscale:deployment/jetscale-") and line.endswith(" is ready.") for line in lines
    )
    tags = dict(line[3:].split(" -> ") for line in lines[lines.index("Tags used in deployment:") + 1 :][:2])
    assert tags["jetscale-backend"].startswith("jetscale-backend:")

    live = deployments(jetscale)
    assert {name: d["ready"] for name, d in live.items()} == {
        "jetscale-backend": "1/1",
        "jetscale-frontend": "1/1",
    }
    assert live["jetscale-backend"]["image"] == tags["jetscale-backend"]
    assert live["jetscale-backend"]["labels"]["app.kubernetes.io/managed-by"] == "skaffold"
    assert live["jetscale-backend"]["labels"]["skaffold.dev/run-id"]

    # skaffold loaded the images with `kind load docker-image --name jetscale TAG`
    loads = [i["argv"] for i in jetscale.invocations() if i["tool"] == "kind" and i["argv"][:1] == ["load"]]
    assert sorted(loads) == sorted(["load", "docker-image", "--name", CLUSTER, tag] for tag in tags.values())

    # the demo apps answer through the API server's port-forward
    api = jetscale.api_client(CONTEXT)
    core = client.CoreV1Api(api)
    pods = {
        p.metadata.labels["app.kubernetes.io/name"]: p.metadata.name
        for p in core.list_namespaced_pod("jetscale").items
    }
    status, body = http_through_port_forward(api, "jetscale", pods["frontend"], 3000, "/")
    assert status == 200 and "<html" in body.lower()
    status, body = http_through_port_forward(api, "jetscale", pods["backend"], 8000, "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"

    # a second run: same sources, so the cache and the nodes already have the images
    second = jetscale.run("skaffold", *devstack_args("run", jetscale.kubeconfig))
    assert second.returncode == 0, second.stdout + second.stderr
    assert " - jetscale-backend: Found Locally" in second.stdout.splitlines()
    assert f" - {tags['jetscale-backend']} -> Found" in second.stdout.splitlines()
    assert "REVISION: 2" in second.stdout.splitlines()

    removed = jetscale.run("skaffold", *devstack_args("delete", jetscale.kubeconfig))
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.splitlines() == ["Cleaning up...", 'release "jetscale" uninstalled']
    assert deployments(jetscale) == {}
    empty = jetscale.kubectl(CONTEXT, "get", "deploy", "-n", "jetscale")
    assert (empty.stdout, empty.stderr) == ("", "No resources found in jetscale namespace.\n")
    again = jetscale.run("skaffold", *devstack_args("delete", jetscale.kubeconfig))
    assert again.returncode == 0
    assert [i for i in jetscale.invocations() if i["tool"] == "kind" and i["argv"][:1] == ["delete"]] == []
    print(f"skaffold run took {took:.1f}s")


FAILING_PROFILES = """\
  - name: broken-image
    patches:
      - op: replace
        path: /deploy/helm/releases/0/setValueTemplates/backend.image.repository
        value: registry.invalid/nope
  - name: crashing
    patches:
      - op: replace
        path: /deploy/helm/releases/0/setValueTemplates/backend.image.repository
        value: crashy
  - name: never-ready
    deploy:
      statusCheckDeadlineSeconds: 3
    patches:
      - op: replace
        path: /deploy/helm/releases/0/setValueTemplates/backend.image.repository
        value: sleepy
"""
IMAGE_TABLE = """\
images:
  jetscale-frontend:
    command: ["{python}", "demo/frontend/server.py"]
    cwd: %(repo)s
  jetscale-backend:
    command: ["{python}", "demo/backend/app.py"]
    cwd: %(repo)s
  crashy:
    command: ["{python}", "-c", "import sys; print('db unreachable', flush=True); sys.exit(3)"]
  sleepy:
    command: ["{python}", "-c", "import time; time.sleep(600)"]
"""


def test_status_check_failures(
    docker_daemon: None, standins: Standins, stack_copy: Path, tmp_path: Path
) -> None:
    table = tmp_path / "images.yaml"
    table.write_text(IMAGE_TABLE % {"repo": REPO}, encoding="utf-8")
    standins.env.update(DEVSTACK_SIM_DOCKER="on", DEVSTACK_SIM_IMAGES=str(table))
    standins.create(CLUSTER)
    skaffold_yaml = stack_copy / "skaffold.yaml"
    skaffold_yaml.write_text(skaffold_yaml.read_text(encoding="utf-8") + FAILING_PROFILES, encoding="utf-8")

    def run(profile: str) -> tuple[subprocess.CompletedProcess[str], float, str]:
        started = time.monotonic()
        args = devstack_args("run", standins.kubeconfig, profile=f"local-kind,{profile}")
        done = standins.run("skaffold", *args, cwd=stack_copy)
        tag = next(
            l.split(":")[-1] for l in done.stdout.splitlines() if l.startswith(" - jetscale-backend -> ")
        )
        assert done.returncode == 1, done.stdout
        assert done.stderr == "1/2 deployment(s) failed\n"
        assert ("rollout-failed", "jetscale-backend") in signals(done.stdout)
        took = time.monotonic() - started
        # skaffold delete also cleans up after a failed run; the next run starts without old pods
        removed = standins.run("skaffold", *devstack_args("delete", standins.kubeconfig), cwd=stack_copy)
        assert removed.stdout.splitlines() == ["Cleaning up...", 'release "jetscale" uninstalled']
        wait_for(lambda: not pods(standins), 30, "the pods of the failed run to go")
        return done, took, tag

    done, _, tag = run("broken-image")
    assert "jetscale-backend" in done.stdout
    assert (
        " - jetscale:deployment/jetscale-backend failed. Error: container backend is waiting to start: "
        f"registry.invalid/nope:{tag} can't be pulled."
    ) in done.stdout.splitlines()

    done, _, _ = run("crashing")
    assert (
        " - jetscale:deployment/jetscale-backend failed. Error: container backend is backing off waiting to restart."
        in done.stdout.splitlines()
    )

    done, took, _ = run("never-ready")
    failed = [
        l for l in done.stdout.splitlines() if l.startswith(" - jetscale:deployment/jetscale-backend failed.")
    ]
    # past the 3s deadline, skaffold reports the pod's latest problem (its failing readiness probe)
    assert len(failed) == 1 and "Readiness probe failed" in failed[0], done.stdout
    assert 3 <= took < 30


def test_profiles_and_flags(standins: Standins) -> None:
    unknown = standins.run("skaffold", "run", "-p", "nope", "--kube-context", "kind-jetscale")
    assert unknown.returncode == 1
    assert unknown.stderr == (
        'profile selection ["nope"] did not match those defined in any configurations. Check that values '
        'specified in the "--profile" or "-p" flags are valid profile names.\n'
    )
    bad = standins.run("skaffold", "run", "--port-forward=sideways")
    assert bad.returncode == 127
    assert 'unknown port-forward option "sideways": expected: user, services, pods, debug, off' in bad.stderr
    render_ctx = standins.run("skaffold", "render", "--kube-context", "kind-jetscale")
    assert (render_ctx.returncode, render_ctx.stderr) == (127, "unknown flag: --kube-context\n")
    assert standins.run("skaffold", "version").stdout == "v2.19.0\n"
    assert standins.run("skaffold", "frobnicate").returncode == 127
    missing = standins.run("skaffold", "run", "--filename", "nope.yaml", "--kube-context", "kind-jetscale")
    assert missing.returncode == 1 and "skaffold config file nope.yaml not found" in missing.stderr


def test_render_uses_the_profiles_and_real_helm(standins: Standins) -> None:
    done = standins.run("skaffold", "render", "-p", "ci-kind", "--namespace", "jetscale")
    assert done.returncode == 0, done.stderr
    import yaml

    objects = [d for d in yaml.safe_load_all(done.stdout) if d]
    kinds = sorted(f"{o['kind']}/{o['metadata']['name']}" for o in objects)
    assert "Deployment/jetscale-backend" in kinds and "Service/jetscale-frontend" in kinds
    backend = next(
        o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "jetscale-backend"
    )
    image = backend["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.startswith("jetscale-backend:") and len(image.split(":")[1]) == 12


def _reader(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line.rstrip("\n"))


def _start_skaffold(
    standins: Standins, args: list[str], cwd: Path
) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    """The skaffold stand-in in its own session; its output lines arrive on the queue."""
    process = subprocess.Popen(
        [standins.which("skaffold"), *args],
        cwd=cwd,
        env=standins.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_reader, args=(process, lines), daemon=True).start()
    return process, lines


def test_dev_rebuilds_on_change_and_cleans_up_on_sigterm(jetscale: Standins, stack_copy: Path) -> None:
    args = devstack_args("dev", jetscale.kubeconfig)
    process, lines = _start_skaffold(jetscale, args, stack_copy)
    seen: list[str] = []

    def until(predicate: str, count: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while seen.count(predicate) < count:
            remaining = deadline - time.monotonic()
            assert remaining > 0 and process.poll() is None, f"waiting for {predicate!r} x{count}: {seen}"
            try:
                seen.append(lines.get(timeout=min(remaining, 1.0)))
            except queue.Empty:
                continue

    tree: list[psutil.Process] = []
    try:
        until("Watching for changes...")
        assert "Press Ctrl+C to exit" in seen
        first = deployments(jetscale)["jetscale-backend"]["image"]
        tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
        with (stack_copy / "demo" / "backend" / "app.py").open("a", encoding="utf-8") as handle:
            handle.write("\n# touched by the dev-loop test\n")
        until("Generating tags...", 2)
        until("Watching for changes...", 2)
        second = deployments(jetscale)["jetscale-backend"]
        assert second["image"] != first and second["ready"] == "1/1"
        assert deployments(jetscale)["jetscale-frontend"]["ready"] == "1/1"
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (not seen or seen[-1] != 'release "jetscale" uninstalled'):
        try:
            seen.append(lines.get(timeout=0.5))
        except queue.Empty:
            continue
    assert seen[-2:] == ["Cleaning up...", 'release "jetscale" uninstalled'], seen[-5:]
    assert [s.kind for s in map(parse_skaffold_line, seen) if s is not None].count("tags") == 2
    assert deployments(jetscale) == {}
    _, alive = psutil.wait_procs(tree, timeout=5)
    assert not alive, f"skaffold dev left processes: {alive}"
    children = [p for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE]
    assert not children, f"processes left under the test process: {children}"


def test_run_with_port_forward_moves_off_a_busy_port(standins: Standins, stack_copy: Path) -> None:
    import socket
    import urllib.request

    import yaml

    standins.env["DEVSTACK_SIM_DOCKER"] = "off"
    standins.create(CLUSTER)
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    busy = holder.getsockname()[1]
    config_path = stack_copy / "skaffold.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["portForward"] = [config["portForward"][0] | {"localPort": busy}]
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    args = [*devstack_args("run", standins.kubeconfig)[:-3], "--port-forward=user"]
    process, lines = _start_skaffold(standins, args, stack_copy)
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while "Press Ctrl+C to exit" not in seen:
            assert time.monotonic() < deadline and process.poll() is None, seen
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                continue
        forwarded = [parse_skaffold_line(line) for line in seen if line.startswith("Port forwarding ")]
        assert [(s.kind, s.subject) for s in forwarded if s] == [
            ("port-forward", "service/jetscale-frontend")
        ]
        local = int(forwarded[0].detail) if forwarded[0] else 0
        assert busy < local <= busy + 10
        with urllib.request.urlopen(f"http://127.0.0.1:{local}/healthz", timeout=10) as response:
            assert response.status == 200
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        holder.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
