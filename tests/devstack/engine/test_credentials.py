"""Every way a kubeconfig can authenticate, on every API path: watch, logs, snapshot and forwards.

One simulated cluster (demo apps running as pods) is shared by the module. It accepts client
certificates, a static token file and short-lived tokens issued to an exec plugin; its serving
certificate names only `api.devstack.test`, so `tls-server-name` is exercised by every kubeconfig
that reaches it by IP. Real `kubectl` (the independent judge) must accept each kubeconfig too.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_kubeconfigs import (
    CONTEXT,
    KINDS,
    SERVER_NAME,
    plugin_bin,
    plugin_runs,
    token_file,
    write_kubeconfig,
)
from helpers import fast_cluster_options, free_port, render_chart, require, wait_for

from devstack.core.store import Store
from devstack.profile.models import Forward
from devstack.sources.forwarder import ForwardThread
from devstack.sources.kube import ClusterWatch, KubeTarget
from devstack.sources.kubeapi import KubeApi
from devstack_sim.background import BackgroundSimulator
from devstack_sim.connect_proxy import ConnectProxy
from devstack_sim.resources import PODS

KUBECTL = "/usr/bin/kubectl"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def auth_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundSimulator]:
    """The jetscale chart on a simulated cluster with real authentication."""
    folder = tmp_path_factory.mktemp("auth-sim")
    sim = BackgroundSimulator(
        "auth",
        folder / "state",
        folder / "sim-kubeconfig",
        options=fast_cluster_options("auth-control-plane"),
        token_file=token_file(folder),
        server_names=(SERVER_NAME,),
    ).start()
    try:
        sim.apply(render_chart(), "jetscale")
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="module")
def proxy() -> Iterator[ConnectProxy]:
    """A loopback CONNECT proxy that resolves api.devstack.test."""
    started = ConnectProxy().start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def plugin_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`devstack-sim-credential` on PATH (for this process and kubectl)."""
    folder = plugin_bin(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return folder


def get(port: int, path: str, timeout: float = 15) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def running_backend(store: Store) -> str:
    for pod in store.state.pods.values():
        if pod.name.startswith("jetscale-backend-") and pod.phase == "Running":
            return pod.name
    return ""


class Session:
    """Watches and a backend forward on one kubeconfig, as `devstack up` runs them."""

    def __init__(self, target: KubeTarget):
        self.target = target
        self.store = Store()
        self.watch = ClusterWatch(target, self.store.dispatch, interval=0.05)
        self.forward = Forward(
            name="backend", service="jetscale-backend", remote_port=8000, local_port=free_port()
        )
        self.forwarder = ForwardThread(self.store, target, (self.forward,))

    def __enter__(self) -> Session:
        self.watch.start()
        self.forwarder.start()
        wait_for(lambda: running_backend(self.store), timeout=60, what="the backend pod in the watch")
        wait_for(
            lambda: self.store.state.forwards["backend"].status == "ready", timeout=60, what="forward ready"
        )
        return self

    def __exit__(self, *_exc: object) -> None:
        self.forwarder.stop()
        self.watch.stop()


def kubectl(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    require(Path(KUBECTL).exists(), "the real kubectl at /usr/bin/kubectl")
    return subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), "--context", CONTEXT, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "KUBECACHEDIR": str(kubeconfig.parent / "cache")},
    )


@pytest.mark.parametrize("kind", KINDS)
def test_watch_logs_snapshot_and_forward_work_with_each_credential_kind(
    kind: str, auth_stack: BackgroundSimulator, proxy: ConnectProxy, plugin_on_path: Path, tmp_path: Path
) -> None:
    sim = auth_stack.simulator
    tunnels_before = proxy.tunnels
    kubeconfig = write_kubeconfig(kind, sim, tmp_path / "kube", proxy_url=proxy.url)
    target = KubeTarget(CONTEXT, "jetscale", str(kubeconfig))
    with Session(target) as session:
        pod = running_backend(session.store)
        status, body = get(session.forward.local_port, "/healthz")
        assert status == 200 and json.loads(body)["status"] == "ok"
        api = KubeApi(target)
        try:
            assert any("GET /healthz" in line for line in api.logs(pod, "backend", tail=20))
            assert {p.name for p in api.snapshot()["pods"]} >= {pod}
        finally:
            api.close()
    if kind == "proxy-url":
        assert proxy.tunnels > tunnels_before
        assert f"{SERVER_NAME}:{sim.port}" in proxy.targets
    if kind.startswith("exec"):
        assert plugin_runs(tmp_path / "kube") >= 1
    judged = kubectl(kubeconfig, "-n", "jetscale", "get", "pods", "-o", "name")
    assert judged.returncode == 0, judged.stderr
    assert f"pod/{pod}" in judged.stdout


def test_without_tls_server_name_the_certificate_does_not_match(
    auth_stack: BackgroundSimulator, tmp_path: Path
) -> None:
    """The serving certificate names only api.devstack.test: the IP alone must be refused."""
    import yaml

    kubeconfig = write_kubeconfig("token", auth_stack.simulator, tmp_path / "kube")
    config = yaml.safe_load(kubeconfig.read_text())
    del config["clusters"][0]["cluster"]["tls-server-name"]
    kubeconfig.write_text(yaml.safe_dump(config))
    api = KubeApi(KubeTarget(CONTEXT, "jetscale", str(kubeconfig)))
    try:
        with pytest.raises(Exception, match=r"(?i)certificate|hostname"):
            api.server_version(timeout=5)
    finally:
        api.close()
    judged = kubectl(kubeconfig, "get", "pods")
    assert judged.returncode != 0 and "certificate" in judged.stderr


def test_a_missing_token_gets_the_real_401_status(auth_stack: BackgroundSimulator, tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig("token", auth_stack.simulator, tmp_path / "kube")
    kubeconfig.write_text(kubeconfig.read_text().replace("static-token-4f0c9e", "no-such-token"))
    api = KubeApi(KubeTarget(CONTEXT, "jetscale", str(kubeconfig)))
    try:
        with pytest.raises(Exception) as caught:
            api.list_raw("pods")
    finally:
        api.close()
    assert getattr(caught.value, "status", None) == 401
    body = json.loads(caught.value.body)  # type: ignore[attr-defined]
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    judged = kubectl(kubeconfig, "get", "pods")
    assert judged.returncode != 0
    assert "You must be logged in to the server" in judged.stderr  # kubectl's words for a 401


def test_loopback_servers_are_never_proxied_but_named_ones_follow_https_proxy(
    auth_stack: BackgroundSimulator, proxy: ConnectProxy, tmp_path: Path
) -> None:
    """HTTPS_PROXY (from Settings) is used for api.devstack.test, never for 127.0.0.1 (as kubectl)."""
    sim = auth_stack.simulator
    direct = write_kubeconfig("token", sim, tmp_path / "direct")
    named = write_kubeconfig("token", sim, tmp_path / "named", server=f"https://{SERVER_NAME}:{sim.port}")
    before = proxy.tunnels
    api = KubeApi(KubeTarget(CONTEXT, "jetscale", str(direct), https_proxy=proxy.url))
    try:
        assert api.list_raw("pods")
    finally:
        api.close()
    assert proxy.tunnels == before
    api = KubeApi(KubeTarget(CONTEXT, "jetscale", str(named), https_proxy=proxy.url))
    try:
        assert api.list_raw("pods")
    finally:
        api.close()
    assert proxy.tunnels > before


def test_an_expiring_exec_token_loses_no_request_and_no_pod(
    auth_stack: BackgroundSimulator, plugin_on_path: Path, tmp_path: Path
) -> None:
    """Tokens live 4 s; over three lifetimes the forward and the watch go on without a failure."""
    sim = auth_stack.simulator
    folder = tmp_path / "kube"
    kubeconfig = write_kubeconfig("exec-v1", sim, folder, token_seconds=4)
    failures: list[str] = []
    served = 0
    stop = threading.Event()
    created = [f"expiry-pod-{i}" for i in range(6)]
    with Session(KubeTarget(CONTEXT, "jetscale", str(kubeconfig))) as session:
        runs_at_start = plugin_runs(folder)
        refused_at_start = sim.tokens.refused

        def loop() -> None:
            nonlocal served
            while not stop.is_set():
                try:
                    status, _ = get(session.forward.local_port, "/api/hello")
                    if status != 200:
                        failures.append(f"HTTP {status}")
                    served += 1
                except (OSError, http.client.HTTPException) as err:
                    failures.append(repr(err))
                stop.wait(0.05)

        client = threading.Thread(target=loop)
        client.start()
        try:
            for name in created:  # 6 pods, 2 s apart: three token lifetimes
                auth_stack.call(lambda n=name: sim.store.create(PODS, pod_object(n)))
                stop.wait(2.0)
            wait_for(lambda: plugin_runs(folder) >= runs_at_start + 3, timeout=30, what="three renewals")
            wait_for(
                lambda: set(created) <= {p.name for p in session.store.state.pods.values()},
                timeout=30,
                what="every pod created across the expiries in the watch",
            )
        finally:
            stop.set()
            client.join(timeout=30)
            auth_stack.call(lambda: [sim.store.delete(PODS, "jetscale", n, grace=False) for n in created])
    assert failures == []
    assert served > 20
    assert sim.tokens.refused == refused_at_start, "renewed before expiry: no request carried a dead token"
    assert session.store.state.cluster.api == "reachable"


def test_a_revoked_token_is_renewed_once_and_the_request_sent_again(
    auth_stack: BackgroundSimulator, plugin_on_path: Path, tmp_path: Path
) -> None:
    """The server revokes every issued token: the next request gets 401, the plugin runs once more,
    the request succeeds; forwards and watches carry on."""
    sim = auth_stack.simulator
    folder = tmp_path / "kube"
    kubeconfig = write_kubeconfig("exec-v1beta1", sim, folder, token_seconds=3600)
    target = KubeTarget(CONTEXT, "jetscale", str(kubeconfig))
    with Session(target) as session:
        runs = plugin_runs(folder)
        refused = sim.tokens.refused
        assert auth_stack.call(sim.faults.expire_tokens) >= 1
        api = KubeApi(target)
        try:
            assert api.list_raw("pods")
        finally:
            api.close()
        assert sim.tokens.refused > refused  # this request (and any other in flight) got 401
        assert plugin_runs(folder) == runs + 1  # ... and they all shared one renewal
        status, _ = get(session.forward.local_port, "/healthz")
        assert status == 200


def pod_object(name: str) -> dict[str, object]:
    return {
        "metadata": {"name": name, "namespace": "jetscale"},
        "spec": {"containers": [{"name": "c", "image": "sim/noop"}]},
    }
