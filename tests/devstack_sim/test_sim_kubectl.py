"""The real kubectl against the simulator: discovery, get, create/apply (client-side and server-side), delete, watch."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import REPO, require
from sim_helpers import kubectl, kubectl_available, start_kubectl

from devstack_sim.app import Simulator
from devstack_sim.resources import CONFIGMAPS, DEPLOYMENTS, PODS, SECRETS, SERVICES


@pytest.fixture(autouse=True)
def _kubectl_installed() -> None:
    require(kubectl_available(), "kubectl")


def _require_helm() -> None:
    require(shutil.which("helm") is not None, "helm")


CHART = REPO / "charts" / "jetscale"

MANIFEST = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  GREETING: hello
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
stringData:
  TOKEN: s3cret
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: demo/web:1.0
        ports:
        - containerPort: 8000
        env:
        - {name: A, value: "1"}
        - {name: B, value: "2"}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8000}
"""


async def test_get_namespaces_nodes_and_raw_version(sim: Simulator) -> None:
    result = await kubectl(sim, "get", "ns")
    assert result.code == 0, result.err
    names = [line.split()[0] for line in result.out.splitlines()[1:]]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]
    nodes = await kubectl(sim, "get", "nodes", "-o", "jsonpath={.items[*].metadata.name}")
    assert nodes.out == "x-control-plane"
    raw = await kubectl(sim, "get", "--raw", "/version")
    assert json.loads(raw.out)["gitVersion"] == "v1.33.1"
    version = await kubectl(sim, "version", "-o", "json")
    assert json.loads(version.out)["serverVersion"]["minor"] == "33"


async def test_create_then_apply_twice_uses_strategic_merge_patch(sim: Simulator, tmp_path: Path) -> None:
    manifest = tmp_path / "app.yaml"
    manifest.write_text(MANIFEST)
    created = await kubectl(sim, "create", "-f", str(manifest))
    assert created.code == 0, created.err
    assert sorted(created.out.split()) == sorted(
        [
            "configmap/web-config",
            "created",
            "secret/web-secret",
            "created",
            "deployment.apps/web",
            "created",
            "service/web",
            "created",
        ]
    )
    assert sim.store.get(SECRETS, "default", "web-secret")["data"] == {"TOKEN": "czNjcmV0"}

    first = await kubectl(sim, "apply", "-f", str(manifest))
    assert first.code == 0, first.err
    assert "deployment.apps/web configured" in first.out  # adds the last-applied annotation
    changed = MANIFEST.replace('value: "2"', 'value: "3"').replace(
        "containerPort: 8000", "containerPort: 8001"
    )
    manifest.write_text(changed.replace("GREETING: hello", "GREETING: hi"))
    second = await kubectl(sim, "apply", "-f", str(manifest), "-v=6")
    assert second.code == 0, second.err
    assert "deployment.apps/web configured" in second.out and "configmap/web-config configured" in second.out
    assert 'verb="PATCH" url="https://127.0.0.1:' in second.err
    assert "fieldValidation=Strict" in second.err  # kubectl left validation to the server
    assert "/openapi/v2" not in second.err  # the v3 documents were enough
    container = sim.store.get(DEPLOYMENTS, "default", "web")["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]
    assert container["ports"] == [{"containerPort": 8001, "protocol": "TCP"}]
    assert sim.store.get(CONFIGMAPS, "default", "web-config")["data"] == {"GREETING": "hi"}
    third = await kubectl(sim, "apply", "-f", str(manifest))
    assert "deployment.apps/web unchanged" in third.out and "service/web unchanged" in third.out


async def test_server_side_apply_and_server_errors(sim: Simulator, tmp_path: Path) -> None:
    manifest = tmp_path / "app.yaml"
    manifest.write_text(MANIFEST)
    ssa = await kubectl(sim, "apply", "--server-side", "-f", str(manifest))
    assert ssa.code == 0, ssa.err
    assert "deployment.apps/web serverside-applied" in ssa.out
    assert sim.store.get(SERVICES, "default", "web")["spec"]["ports"][0]["targetPort"] == 8000

    typo = (
        MANIFEST.split("---\n")[2]
        .replace("image: demo/web:1.0", "imagee: demo/web:1.0")
        .replace("name: web\n", "name: typo\n", 1)
    )
    (tmp_path / "typo.yaml").write_text(typo)
    bad = await kubectl(sim, "apply", "-f", str(tmp_path / "typo.yaml"))
    assert bad.code == 1
    assert 'strict decoding error: unknown field "spec.template.spec.containers[0].imagee"' in bad.err
    no_selector = MANIFEST.split("---\n")[2].replace("  selector:\n    matchLabels: {app: web}\n", "")
    (tmp_path / "nosel.yaml").write_text(no_selector.replace("name: web\n", "name: nosel\n", 1))
    invalid = await kubectl(sim, "create", "-f", str(tmp_path / "nosel.yaml"))
    assert invalid.code == 1
    assert (
        'The Deployment "nosel" is invalid' in invalid.err and "spec.selector: Required value" in invalid.err
    )


async def test_get_pods_all_namespaces_json_and_delete_pod(sim: Simulator, tmp_path: Path) -> None:
    pods = tmp_path / "pods.yaml"
    pods.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: default}\n"
        "spec: {containers: [{name: c, image: busybox}]}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: kube-system}\n"
        "spec: {nodeName: x-control-plane, containers: [{name: c, image: busybox}]}\n"
    )
    assert (await kubectl(sim, "apply", "-f", str(pods))).code == 0
    listed = await kubectl(sim, "get", "pods", "-A", "-o", "json")
    assert listed.code == 0, listed.err
    found = {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in json.loads(listed.out)["items"]}
    assert found == {("default", "a"), ("kube-system", "b")}
    deleted = await kubectl(sim, "delete", "pod", "a")
    assert deleted.code == 0 and deleted.out.strip() == 'pod "a" deleted'
    assert sim.store.get(PODS, "default", "a") is None
    forced = await kubectl(sim, "delete", "pod", "b", "-n", "kube-system", "--grace-period=0", "--force")
    assert forced.code == 0, forced.err
    assert sim.store.get(PODS, "kube-system", "b") is None
    missing = await kubectl(sim, "delete", "pod", "a")
    assert missing.code == 1 and 'pods "a" not found' in missing.err


async def test_get_pods_watch_prints_changes(sim: Simulator) -> None:
    proc = await start_kubectl(sim, "get", "pods", "-w")
    try:
        assert proc.stdout is not None
        sim.store.create(PODS, {"metadata": {"name": "before", "namespace": "default"}, "spec": {}})
        first = await asyncio.wait_for(proc.stdout.readline(), 15)
        assert first.split()[0] in (b"NAME", b"before")
        await asyncio.sleep(0.5)  # kubectl is now watching
        sim.store.create(PODS, {"metadata": {"name": "watched-pod", "namespace": "default"}, "spec": {}})
        seen = b""
        while b"watched-pod" not in seen:
            seen += await asyncio.wait_for(proc.stdout.readline(), 15)
    finally:
        proc.kill()
        await proc.wait()


async def test_helm_template_output_applies_twice(sim: Simulator) -> None:
    _require_helm()
    rendered = subprocess.run(
        ["helm", "template", "jetscale", str(CHART)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    first = await kubectl(sim, "apply", "-f", "-", stdin=rendered)
    assert first.code == 0, first.err
    assert first.out.count(" created") == rendered.count("\nkind: ")
    second = await kubectl(sim, "apply", "-f", "-", stdin=rendered)
    assert second.code == 0, second.err
    assert second.out.count(" unchanged") == rendered.count("\nkind: ")


async def test_imperative_create_commands_send_protobuf(sim: Simulator) -> None:
    steps = [
        ("create", "namespace", "demo"),
        ("create", "configmap", "cm1", "--from-literal=a=b", "-n", "demo"),
        ("create", "secret", "generic", "s1", "--from-literal=token=xyz", "-n", "demo"),
        ("create", "deployment", "d1", "--image=web:1", "--port=8000", "--replicas=0", "-n", "demo"),
        ("create", "serviceaccount", "robot", "-n", "demo"),
        ("create", "service", "clusterip", "svc1", "--tcp=80:8000", "-n", "demo"),
    ]
    for args in steps:
        result = await kubectl(sim, *args, "-v=8")
        assert result.code == 0, result.err
        assert "application/vnd.kubernetes.protobuf" in result.err  # the typed client really sent protobuf
    assert sim.store.get(CONFIGMAPS, "demo", "cm1")["data"] == {"a": "b"}
    assert sim.store.get(SECRETS, "demo", "s1")["data"] == {"token": "eHl6"}
    deployment = sim.store.get(DEPLOYMENTS, "demo", "d1")
    assert deployment["spec"]["replicas"] == 0  # an explicit zero survives decoding
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "d1"}}
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "web:1" and container["ports"] == [
        {"containerPort": 8000, "protocol": "TCP"}
    ]
    service = sim.store.get(SERVICES, "demo", "svc1")
    assert service["spec"]["ports"] == [
        {"name": "80-8000", "port": 80, "protocol": "TCP", "targetPort": 8000}
    ]
    duplicate = await kubectl(sim, "create", "namespace", "demo")
    assert duplicate.code == 1 and 'namespaces "demo" already exists' in duplicate.err


async def test_helm_install_upgrade_uninstall(sim: Simulator) -> None:
    _require_helm()
    assert sim.kubeconfig is not None

    async def helm(*args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            "helm",
            "--kubeconfig",
            str(sim.kubeconfig),
            "--kube-context",
            sim.context,
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 120)
        return proc.returncode or 0, out.decode()

    code, out = await helm(
        "upgrade", "--install", "jetscale", str(CHART), "-n", "jetscale", "--create-namespace"
    )
    assert code == 0, out
    assert sim.store.get(SECRETS, "jetscale", "sh.helm.release.v1.jetscale.v1") is not None
    assert sim.store.get(DEPLOYMENTS, "jetscale", "jetscale-backend") is not None
    code, out = await helm("upgrade", "jetscale", str(CHART), "-n", "jetscale", "--set", "backend.replicas=3")
    assert code == 0, out
    assert sim.store.get(DEPLOYMENTS, "jetscale", "jetscale-backend")["spec"]["replicas"] == 3
    code, out = await helm("list", "-n", "jetscale", "-o", "json")
    assert json.loads(out)[0]["revision"] == "2"
    code, out = await helm("uninstall", "jetscale", "-n", "jetscale")
    assert code == 0, out
    assert sim.store.get(DEPLOYMENTS, "jetscale", "jetscale-backend") is None
    assert sim.store.list(SECRETS, "jetscale") == []
