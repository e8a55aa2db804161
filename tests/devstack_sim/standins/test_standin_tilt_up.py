"""`tilt up` BY HAND (the stand-in, no devstack) against one shared simulated kind cluster: it deploys
the repo's Tiltfile, reports UIResources and the Session as TILT.md §4 says, forwards the Tiltfile's
ports (HTTP reaches the frontend and the backend), leaves them unbound with `-- --no-port-forwards`,
stops on SIGTERM (exit 0) or on a second SIGINT (exit 1); `tilt down` deletes what `up` applied;
`tilt ci` ends 0 on a healthy stack and 1 on a failed build, a crash loop or an image that cannot
be pulled.

The Tiltfile forwards localhost:3000 and :8000, ports another run on this machine may hold, so the
tests run a copy of it whose `port_forward(3000, 3000, ...)` / `port_forward(8000, 8000, ...)` have
free local ports (the container ports stay), in a folder where `charts` and `demo` link to the repo.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO, free_port, wait_for
from tilt_helpers import Running, run, stack, start, tilt_env

pytestmark = pytest.mark.slow
CLUSTER = "tiltsim"
CONTEXT = f"kind-{CLUSTER}"


def wait_ready(env: dict[str, str], resource: str) -> subprocess.CompletedProcess[str]:
    """`tilt wait --for=condition=Ready uiresource/<resource>` once the resource exists: the session
    is served before the Tiltfile's resources, and `tilt wait` (kubectl's) answers NotFound for a
    resource not there yet, as real Tilt does."""
    wait_for(lambda: run(env, "get", "session", "Tiltfile").returncode == 0, 30, "the API server")
    wait_for(lambda: run(env, "get", "uiresource", resource).returncode == 0, 60, f"uiresource {resource}")
    return run(env, "wait", "--for=condition=Ready", f"uiresource/{resource}", "--timeout=90s", timeout=120)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One simulated kind cluster (no node container) shared by this module's tests; deleted after."""
    tmp = tmp_path_factory.mktemp("tilt")
    env = tilt_env(tmp)
    done = subprocess.run(
        [
            "kind",
            "create",
            "cluster",
            "--name",
            CLUSTER,
            "--config",
            str(REPO / "profiles/kind/jetscale.yaml"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    try:
        yield env
    finally:
        gone = subprocess.run(
            ["kind", "delete", "cluster", "--name", CLUSTER],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert gone.returncode == 0, gone.stderr


def remapped(backend: int, frontend: int, extra: str = "") -> str:
    text = (REPO / "Tiltfile").read_text()
    text = text.replace("port_forward(8000, 8000,", f"port_forward({backend}, 8000,")
    text = text.replace("port_forward(3000, 3000,", f"port_forward({frontend}, 3000,")
    assert f"port_forward({backend}, 8000," in text and f"port_forward({frontend}, 3000," in text
    return text.replace(
        "values=['charts/jetscale/values-local.yaml']", f"values=['charts/jetscale/values-local.yaml'{extra}]"
    )


def kubectl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["kubectl", "--context", CONTEXT, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def get_json(env: dict[str, str], *args: str) -> Any:
    done = run(env, "get", *args, "-o", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def http(port: int, path: str) -> tuple[int, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        return response.status, response.read().decode()


def refused(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture
def up(cluster: dict[str, str], tmp_path: Path) -> Iterator[tuple[dict[str, str], Running, dict[str, int]]]:
    """`tilt up --context kind-tiltsim` by hand on a free web port, Tiltfile ports remapped."""
    ports = {"web": free_port(), "backend": free_port(), "frontend": free_port()}
    env = {**cluster, "TILT_PORT": str(ports["web"])}
    folder = stack(tmp_path, remapped(ports["backend"], ports["frontend"]))
    running = start(env, "up", "--context", CONTEXT, cwd=folder, log=tmp_path / "up.log")
    try:
        yield env, running, ports
    finally:
        running.stop()


def test_up_by_hand_deploys_reports_and_forwards(up: tuple[dict[str, str], Running, dict[str, int]]) -> None:
    env, running, ports = up
    done = wait_ready(env, "jetscale-frontend")
    assert done.returncode == 0, done.stderr + running.output
    assert done.stdout == "uiresource.tilt.dev/jetscale-frontend condition met\n"
    lines = running.output.splitlines()
    assert lines[:2] == [f"Tilt started on http://localhost:{ports['web']}/", "v0.37.6, built 2026-07-28"]
    assert "jetscale-bac… │ STEP 1/3 — Building Dockerfile: [jetscale-backend]" in lines

    listing = get_json(env, "uiresources")
    assert (listing["apiVersion"], listing["kind"], listing["metadata"]) == (
        "v1",
        "List",
        {"resourceVersion": ""},
    )
    items = {i["metadata"]["name"]: i for i in listing["items"]}
    assert list(items) == ["(Tiltfile)", "jetscale-backend", "jetscale-frontend", "uncategorized"]
    backend = items["jetscale-backend"]
    assert backend["apiVersion"] == "tilt.dev/v1alpha1" and backend["kind"] == "UIResource"
    assert backend["metadata"]["annotations"] == {"tilt.dev/resource": "jetscale-backend"}
    assert backend["metadata"]["labels"] == {"jetscale": "jetscale"}
    status = backend["status"]
    assert (status["updateStatus"], status["runtimeStatus"]) == ("ok", "ok")
    assert {c["type"]: c["status"] for c in status["conditions"]} == {"Ready": "True", "UpToDate": "True"}
    info = status["k8sResourceInfo"]
    assert info["podName"].startswith("jetscale-backend-") and info["podStatus"] == "Running"
    assert info["allContainersReady"] is True and info["podRestarts"] == 0
    assert "error" not in status["buildHistory"][0]
    assert {link["url"] for link in status["endpointLinks"]} == {
        f"http://127.0.0.1:{ports['backend']}/",
        "http://localhost:8000/healthz",
    }
    assert items["(Tiltfile)"]["status"]["runtimeStatus"] == "not_applicable"
    session = get_json(env, "session", "Tiltfile")
    assert session["kind"] == "Session" and session["spec"]["exitCondition"] == "manual"
    names = [t["name"] for t in session["status"]["targets"]]
    assert names == sorted(names) and "tiltfile:update" in names and "jetscale-backend:runtime" in names

    labelled = run(env, "get", "uiresources", "-l", "jetscale", "-o", "name")
    assert labelled.stdout.split() == [
        "uiresource.tilt.dev/jetscale-backend",
        "uiresource.tilt.dev/jetscale-frontend",
    ]
    nameless = run(env, "wait", "--for=condition=Ready", "uiresource")
    assert nameless.stderr == "error: resource(s) were provided, but no name was specified\n"
    missing = run(env, "get", "uiresource", "nope")
    assert (missing.returncode, missing.stderr) == (
        1,
        'Error from server (NotFound): uiresources.tilt.dev "nope" not found\n',
    )

    # Tilt's forwards reach the apps (through the API server's port-forward)
    assert http(ports["backend"], "/healthz")[0] == 200
    status_code, page = http(ports["frontend"], "/")
    assert status_code == 200 and "<html" in page.lower()

    # the chart's objects (as skaffold deploys them) are in the namespace, plus nothing else
    rendered = subprocess.run(
        ["helm", "template", "jetscale", "charts/jetscale", "--namespace", "jetscale", "--values",
         "charts/jetscale/values-local.yaml"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    expected = sorted(
        f"{d['kind'].lower()}/{d['metadata']['name']}" for d in yaml.safe_load_all(rendered) if d
    )
    live = kubectl(env, "get", "deploy,svc,secret", "-n", "jetscale", "-o", "name").stdout.split()
    assert (
        sorted(n.replace("deployment.apps/", "deployment/").replace("service/", "service/") for n in live)
        == expected
    )

    # the deployed objects carry Tilt's label and the built image
    deploy = json.loads(
        kubectl(env, "get", "deploy", "-n", "jetscale", "jetscale-backend", "-o", "json").stdout
    )
    assert deploy["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "tilt"
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"].startswith("jetscale-backend:tilt-")

    assert running.stop(signal.SIGTERM, timeout=5) == 0
    config = yaml.safe_load((Path(env["TILT_DEV_DIR"]) / "config").read_text())
    assert [c["name"] for c in config.get("contexts") or []] == []
    assert refused(ports["backend"]) and refused(ports["frontend"])


def test_no_port_forwards_leaves_the_ports_alone_and_down_deletes(
    cluster: dict[str, str], tmp_path: Path
) -> None:
    ports = {"web": free_port(), "backend": free_port(), "frontend": free_port()}
    env = {**cluster, "TILT_PORT": str(ports["web"])}
    folder = stack(tmp_path, remapped(ports["backend"], ports["frontend"]))
    running = start(
        env, "up", "--context", CONTEXT, "--", "--no-port-forwards", cwd=folder, log=tmp_path / "up.log"
    )
    try:
        done = wait_ready(env, "jetscale-frontend")
        assert done.returncode == 0, done.stderr + running.output
        items = {i["metadata"]["name"]: i for i in get_json(env, "uiresources")["items"]}
        assert [link["url"] for link in items["jetscale-backend"]["status"]["endpointLinks"]] == [
            "http://localhost:8000/healthz"
        ]
        assert refused(ports["backend"]) and refused(ports["frontend"])
        # a client that hangs holds up the shutdown; a second SIGINT then ends Tilt with exit 1
        with socket.create_connection(("127.0.0.1", ports["web"])) as hung:
            hung.sendall(b"GET /api/view HTTP/1.1\r\n")
            running.process.send_signal(signal.SIGINT)
            wait_for(lambda: refused(ports["web"]), 5, "the web port to close")
            assert running.stop(signal.SIGINT, timeout=5) == 1
    finally:
        running.stop()
    down = run(cluster, "down", "--context", CONTEXT, "--", "--no-port-forwards", cwd=folder)
    assert down.returncode == 0, down.stderr
    assert "Deleting kubernetes objects:" in down.stdout
    assert "→ Deployment/jetscale-backend" in down.stdout
    assert "Not deleting namespaces: jetscale" in down.stdout
    wait_for(
        lambda: kubectl(cluster, "get", "deploy,svc", "-n", "jetscale", "-o", "name").stdout.strip() == "",
        30,
        "the deployments and services to go",
    )
    assert kubectl(cluster, "get", "namespace", "jetscale").returncode == 0


def ci(
    cluster: dict[str, str], tmp_path: Path, tiltfile: str, copy: tuple[str, ...] = ()
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    return run_ci(cluster, stack(tmp_path, tiltfile, copy), tmp_path / "snapshot.json")


def run_ci(
    cluster: dict[str, str], folder: Path, snapshot: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """`tilt ci` in `folder` with Tilt's forwards off; its exit and its UIResources by name."""
    args = [
        "ci",
        "--port",
        "0",
        "--context",
        CONTEXT,
        "--timeout",
        "120s",
        "--output-snapshot-on-exit",
        str(snapshot),
    ]
    done = run(cluster, *args, "--", "--no-port-forwards", cwd=folder, timeout=180)
    view = json.loads(snapshot.read_text())["view"]
    return done, {r["metadata"]["name"]: r for r in view["uiResources"]}


def test_ci_succeeds_on_the_healthy_stack(cluster: dict[str, str], tmp_path: Path) -> None:
    done, _ = ci(cluster, tmp_path, remapped(free_port(), free_port()))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "SUCCESS. All workloads are healthy."
    assert done.stderr == ""


def test_ci_fails_on_a_failed_build(cluster: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "stack" / "demo" / "backend" / "Dockerfile"
    # the copy of demo/ gets a build step that fails
    folder = stack(tmp_path, remapped(free_port(), free_port()), copy=("demo",))
    broken.write_text(broken.read_text().replace("COPY app.py ./", "COPY app.py ./\nRUN exit 3"))
    done, resources = run_ci(cluster, folder, tmp_path / "snapshot.json")
    failure = 'failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3'
    assert done.returncode == 1
    assert done.stderr == f"Error: {failure}\n"
    assert resources["jetscale-backend"]["status"]["buildHistory"][0]["error"] == failure
    assert resources["jetscale-backend"]["status"]["updateStatus"] == "error"
    waiting = resources["jetscale-frontend"]["status"]["waiting"]
    assert waiting["reason"] == "waiting-for-dep" and [o["name"] for o in waiting["on"]] == [
        "jetscale-backend"
    ]


@pytest.mark.parametrize(
    ("values", "reasons"),
    [
        ({"backend": {"env": {"DEMO_CRASH_ON_START": "1"}}}, ("CrashLoopBackOff", "Error")),
        (
            {"backend": {"image": {"repository": "jetscale-backnd", "tag": "dev"}}},
            ("ErrImagePull", "ImagePullBackOff"),
        ),
    ],
    ids=["crashloop", "imagepull"],
)
def test_ci_fails_on_a_pod_in_error(
    cluster: dict[str, str], tmp_path: Path, values: dict[str, Any], reasons: tuple[str, ...]
) -> None:
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "scenario.yaml").write_text(yaml.safe_dump(values))
    done, resources = ci(cluster, tmp_path, remapped(free_port(), free_port(), ", 'scenario.yaml'"))
    assert done.returncode == 1, done.stdout
    backend = resources["jetscale-backend"]["status"]
    pod = backend["k8sResourceInfo"]
    assert (
        done.stderr
        == f"Error: Pod {pod['podName']} in error state due to container backend: {pod['podStatus']}\n"
    )
    assert pod["podStatus"] in reasons
    assert backend["runtimeStatus"] == "error"
    assert {c["type"]: c.get("reason") for c in backend["conditions"]}["Ready"] == "RuntimeError"


def test_up_rebuilds_on_a_source_change_a_trigger_and_new_args(
    cluster: dict[str, str], tmp_path: Path
) -> None:
    """Tilt's dev loop: saving a file of a docker_build context rebuilds and redeploys that resource
    (a new image, a new pod); `tilt trigger` updates a resource again; `tilt args` reloads the
    Tiltfile with new args (here: the forwards go away)."""
    ports = {"web": free_port(), "backend": free_port(), "frontend": free_port()}
    env = {**cluster, "TILT_PORT": str(ports["web"])}
    folder = stack(tmp_path, remapped(ports["backend"], ports["frontend"]), copy=("demo",))
    running = start(env, "up", "--context", CONTEXT, cwd=folder, log=tmp_path / "up.log")

    def backend() -> dict[str, Any]:
        return get_json(env, "uiresource", "jetscale-backend")["status"]

    try:
        done = wait_ready(env, "jetscale-frontend")
        assert done.returncode == 0, done.stderr + running.output
        first_pod = backend()["k8sResourceInfo"]["podName"]
        app = folder / "demo" / "backend" / "app.py"
        app.write_text(app.read_text() + "\n# saved again\n")
        wait_for(lambda: len(backend()["buildHistory"]) == 2, 30, "the rebuild")
        wait_for(
            lambda: (
                backend()["k8sResourceInfo"]["podName"] not in ("", first_pod)
                and backend()["runtimeStatus"] == "ok"
            ),
            60,
            "the new pod",
        )
        assert "jetscale-bac… │ 1 File Changed: [demo/backend/app.py]" in running.output.splitlines()
        assert http(ports["backend"], "/healthz")[0] == 200

        trigger = run(env, "trigger", "jetscale-frontend")
        assert (trigger.returncode, trigger.stdout) == (
            0,
            'Successfully triggered update for resource: "jetscale-frontend"\n',
        )
        wait_for(
            lambda: len(get_json(env, "uiresource", "jetscale-frontend")["status"]["buildHistory"]) == 2,
            30,
            "the triggered update",
        )
        changed = run(env, "args", "--", "--no-port-forwards")
        assert changed.returncode == 0
        assert (
            changed.stderr
            == f"Changed config args for Tilt running at localhost:{ports['web']} to [--no-port-forwards]\n"
        )
        wait_for(lambda: refused(ports["backend"]) and refused(ports["frontend"]), 30, "the forwards to go")
        same = run(env, "args", "--", "--no-port-forwards")
        assert same.stderr == "Tilt is already running with those args -- no action taken\n"

        # disabling a resource deletes its objects; enabling it deploys it again
        assert run(env, "disable", "jetscale-frontend").returncode == 0
        wait_for(
            lambda: (
                kubectl(env, "get", "deploy", "-n", "jetscale", "-o", "name").stdout.split()
                == ["deployment.apps/jetscale-backend"]
            ),
            30,
            "the frontend to be deleted",
        )
        frontend = get_json(env, "uiresource", "jetscale-frontend")["status"]
        assert (frontend["disableStatus"]["state"], frontend["runtimeStatus"]) == ("Disabled", "none")
        refusal = run(env, "disable", "(Tiltfile)")
        assert (refusal.returncode, refusal.stderr) == (
            1,
            "Error: (Tiltfile) cannot be enabled or disabled\n",
        )
        assert run(env, "enable", "jetscale-frontend").returncode == 0
        done = run(
            env, "wait", "--for=condition=Ready", "uiresource/jetscale-frontend", "--timeout=60s", timeout=90
        )
        assert done.returncode == 0, done.stderr
    finally:
        assert running.stop() == 0
