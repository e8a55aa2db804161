"""The simulated API server over HTTPS: discovery, CRUD verbs, errors as Status, auth, faults."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import aiohttp
from sim_helpers import Api, anonymous_ssl

from devstack_sim.app import Simulator
from devstack_sim.resources import CONFIGMAPS, DEPLOYMENTS, PODS, REPLICASETS

AGGREGATED = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
)
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"


def deployment(name: str = "web", labels: dict[str, str] | None = None) -> dict[str, Any]:
    labels = labels or {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "web:1"}]},
            },
        },
    }


def pod(name: str, labels: dict[str, str] | None = None, node: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox"}]}
    if node:
        spec["nodeName"] = node
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": spec,
    }


def assert_status(body: Any, code: int, reason: str) -> None:
    assert isinstance(body, dict), body
    assert body["kind"] == "Status" and body["apiVersion"] == "v1" and body["status"] == "Failure", body
    assert body["code"] == code and body["reason"] == reason, body


async def test_version_health_and_discovery(api: Api) -> None:
    status, version = await api.call("GET", "/version")
    assert status == 200 and version["gitVersion"] == "v1.33.1" and version["minor"] == "33"
    for path in ("/healthz", "/livez", "/readyz"):
        assert await api.call("GET", path) == (200, "ok")
    status, core = await api.call("GET", "/api", headers={"Accept": AGGREGATED})
    assert status == 200 and core["kind"] == "APIVersions" and core["versions"] == ["v1"]
    status, groups = await api.call("GET", "/apis", headers={"Accept": AGGREGATED})
    assert {g["name"] for g in groups["groups"]} == {"apps", "batch", "discovery.k8s.io", "networking.k8s.io"}
    status, v1 = await api.call("GET", "/api/v1")
    by_name = {r["name"]: r for r in v1["resources"]}
    assert by_name["pods"]["shortNames"] == ["po"] and by_name["pods"]["namespaced"] is True
    assert "watch" in by_name["pods"]["verbs"] and by_name["pods"]["singularName"] == "pod"
    assert by_name["pods/log"]["verbs"] == ["get"]
    assert by_name["pods/portforward"]["kind"] == "PodPortForwardOptions"
    assert by_name["pods/exec"]["kind"] == "PodExecOptions" and by_name["pods/exec"]["verbs"] == [
        "create",
        "get",
    ]
    assert {"endpoints", "persistentvolumeclaims"} <= by_name.keys()
    assert by_name["pods/status"]["verbs"] == ["get", "patch", "update"]
    assert by_name["namespaces"]["namespaced"] is False
    status, apps = await api.call("GET", "/apis/apps/v1")
    assert apps["groupVersion"] == "apps/v1"
    assert {r["name"] for r in apps["resources"]} >= {"deployments", "deployments/scale", "replicasets"}
    status, batch = await api.call("GET", "/apis/batch/v1")
    assert {r["name"] for r in batch["resources"]} >= {"jobs", "cronjobs", "jobs/status"}
    status, missing = await api.call("GET", "/apis/autoscaling/v2")
    assert_status(missing, 404, "NotFound")


async def test_requests_without_client_certificate_get_401(sim: Simulator) -> None:
    connector = aiohttp.TCPConnector(ssl=anonymous_ssl(sim))
    async with aiohttp.ClientSession(connector=connector) as session:
        for method, path in (("GET", "/version"), ("GET", "/api/v1/pods"), ("POST", "/admin/faults")):
            async with session.request(method, sim.server.url + path) as resp:
                assert resp.status == 401
                assert resp.content_type == "application/json"
                assert_status(await resp.json(), 401, "Unauthorized")


async def test_list_get_and_selectors(api: Api, sim: Simulator) -> None:
    await api.call("POST", "/api/v1/namespaces", {"metadata": {"name": "other"}})
    for name, ns, labels in (
        ("a", "default", {"app": "x"}),
        ("b", "default", {"app": "y"}),
        ("c", "other", {"app": "x"}),
    ):
        status, _ = await api.call("POST", f"/api/v1/namespaces/{ns}/pods", pod(name, labels))
        assert status == 201
    status, listed = await api.call(
        "GET", "/api/v1/namespaces/default/pods", headers={"Accept": "application/json"}, limit="500"
    )
    assert status == 200 and listed["kind"] == "PodList" and listed["apiVersion"] == "v1"
    assert listed["metadata"]["resourceVersion"] == str(sim.store.resource_version)
    assert [p["metadata"]["name"] for p in listed["items"]] == ["a", "b"]
    assert all("kind" not in p and "apiVersion" not in p for p in listed["items"])
    _, everywhere = await api.call("GET", "/api/v1/pods", labelSelector="app=x")
    assert sorted(p["metadata"]["name"] for p in everywhere["items"]) == ["a", "c"]
    _, by_field = await api.call("GET", "/api/v1/pods", fieldSelector="metadata.namespace=other")
    assert [p["metadata"]["name"] for p in by_field["items"]] == ["c"]
    status, one = await api.call("GET", "/api/v1/namespaces/default/pods/a")
    assert status == 200 and one["kind"] == "Pod" and one["apiVersion"] == "v1"
    assert one["status"]["phase"] == "Pending" and one["spec"]["restartPolicy"] == "Always"
    status, body = await api.call("GET", "/api/v1/namespaces/default/pods/zzz")
    assert_status(body, 404, "NotFound")
    assert body["message"] == 'pods "zzz" not found'


async def test_create_errors(api: Api) -> None:
    status, created = await api.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment())
    assert status == 201 and created["metadata"]["generation"] == 1 and created["spec"]["strategy"]["type"]
    status, body = await api.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment())
    assert_status(body, 409, "AlreadyExists")
    status, body = await api.call("POST", "/apis/apps/v1/namespaces/nope/deployments", deployment())
    assert_status(body, 404, "NotFound")
    assert body["message"] == 'namespaces "nope" not found'
    no_selector = deployment("nosel")
    del no_selector["spec"]["selector"]
    status, body = await api.call("POST", "/apis/apps/v1/namespaces/default/deployments", no_selector)
    assert_status(body, 422, "Invalid")
    assert body["details"]["causes"][0]["field"] == "spec.selector"
    status, body = await api.call(
        "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "Bad_Name"}}
    )
    assert_status(body, 422, "Invalid")
    status, body = await api.call("POST", "/api/v1/namespaces/default/configmaps", deployment())
    assert_status(body, 400, "BadRequest")
    status, body = await api.call("POST", "/api/v1/namespaces/default/configmaps", b"{not json")
    assert_status(body, 400, "BadRequest")
    status, body = await api.call(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        b"\x6b\x38\x73\x00",
        "application/vnd.kubernetes.protobuf",
    )
    assert_status(body, 415, "UnsupportedMediaType")


async def test_dry_run_and_field_validation(api: Api, sim: Simulator) -> None:
    status, body = await api.call(
        "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "dry"}}, dryRun="All"
    )
    assert status == 201 and body["metadata"]["uid"]
    assert sim.store.get(CONFIGMAPS, "default", "dry") is None
    status, body = await api.call("GET", "/api/v1/namespaces/default/configmaps/dry")
    assert status == 404
    status, body = await api.call(
        "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "d"}}, dryRun="Some"
    )
    assert_status(body, 400, "BadRequest")
    typo = {"metadata": {"name": "cm"}, "dataa": {"a": "b"}}
    status, body = await api.call(
        "POST", "/api/v1/namespaces/default/configmaps", typo, fieldValidation="Strict"
    )
    assert_status(body, 400, "BadRequest")
    assert 'unknown field "dataa"' in body["message"]
    async with api.session.post(api.base + "/api/v1/namespaces/default/configmaps", json=typo) as resp:
        assert resp.status == 201
        assert resp.headers["Warning"] == '299 - "unknown field \\"dataa\\""'


async def test_update_conflict_and_status_subresource(api: Api) -> None:
    _, created = await api.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment())
    stale = dict(created)
    changed = {**created, "spec": {**created["spec"], "replicas": 3}}
    status, updated = await api.call("PUT", "/apis/apps/v1/namespaces/default/deployments/web", changed)
    assert status == 200 and updated["spec"]["replicas"] == 3 and updated["metadata"]["generation"] == 2
    status, body = await api.call("PUT", "/apis/apps/v1/namespaces/default/deployments/web", stale)
    assert_status(body, 409, "Conflict")
    assert "the object has been modified" in body["message"]
    with_status = {**updated, "status": {"replicas": 3, "readyReplicas": 2}}
    _, main = await api.call("PUT", "/apis/apps/v1/namespaces/default/deployments/web", with_status)
    assert main["status"] == {}  # the main resource ignores status
    _, sub = await api.call("PUT", "/apis/apps/v1/namespaces/default/deployments/web/status", with_status)
    assert sub["status"]["readyReplicas"] == 2
    status, body = await api.call("PUT", "/apis/apps/v1/namespaces/default/deployments/other", with_status)
    assert_status(body, 400, "BadRequest")


async def test_patch_flavours(api: Api) -> None:
    base = "/apis/apps/v1/namespaces/default/deployments/web"
    await api.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment())
    _, merged = await api.call(
        "PATCH", base, {"metadata": {"labels": {"x": "1"}}}, "application/merge-patch+json"
    )
    assert merged["metadata"]["labels"] == {"app": "web", "x": "1"}
    ops = [{"op": "replace", "path": "/spec/replicas", "value": 4}]
    _, jsonp = await api.call("PATCH", base, ops, "application/json-patch+json")
    assert jsonp["spec"]["replicas"] == 4
    smp = {"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "s:1"}]}}}}
    _, strategic = await api.call("PATCH", base, smp, "application/strategic-merge-patch+json")
    assert [c["name"] for c in strategic["spec"]["template"]["spec"]["containers"]] == ["c", "side"]
    status, body = await api.call("PATCH", base, {}, "application/json")
    assert_status(body, 415, "UnsupportedMediaType")
    status, body = await api.call("PATCH", base + "x", {}, "application/merge-patch+json")
    assert_status(body, 404, "NotFound")
    status, body = await api.call(
        "PATCH", base, {"metadata": {"resourceVersion": "1"}}, "application/merge-patch+json"
    )
    assert_status(body, 409, "Conflict")
    applied = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: '1'\n"
    path = "/api/v1/namespaces/default/configmaps/ssa"
    status, body = await api.call("PATCH", path, applied, "application/apply-patch+yaml")
    assert_status(body, 400, "BadRequest")  # fieldManager is required
    status, created = await api.call(
        "PATCH", path, applied, "application/apply-patch+yaml", fieldManager="t", force="true"
    )
    assert status == 201 and created["data"] == {"a": "1"}
    status, again = await api.call(
        "PATCH", path, applied.replace("'1'", "'2'"), "application/apply-patch+yaml", fieldManager="t"
    )
    assert status == 200 and again["data"] == {"a": "2"}


async def test_delete_semantics(api: Api, sim: Simulator) -> None:
    for p in (pod("loose"), pod("bound", node="x-control-plane"), pod("forced", node="x-control-plane")):
        await api.call("POST", "/api/v1/namespaces/default/pods", p)
    status, gone = await api.call("DELETE", "/api/v1/namespaces/default/pods/loose")
    assert status == 200 and gone["kind"] == "Pod" and gone["metadata"]["name"] == "loose"
    assert sim.store.get(PODS, "default", "loose") is None  # never scheduled: immediate
    status, terminating = await api.call(
        "DELETE", "/api/v1/namespaces/default/pods/bound", {"propagationPolicy": "Background"}
    )
    assert status == 200 and terminating["metadata"]["deletionTimestamp"]
    assert sim.store.get(PODS, "default", "bound") is not None  # graceful: the kubelet finishes it
    await api.call("DELETE", "/api/v1/namespaces/default/pods/forced", gracePeriodSeconds="0")
    assert sim.store.get(PODS, "default", "forced") is None
    status, body = await api.call("DELETE", "/api/v1/namespaces/default/pods/forced")
    assert_status(body, 404, "NotFound")
    status, body = await api.call(
        "DELETE", "/api/v1/namespaces/default/pods/bound", {"preconditions": {"uid": "other"}}
    )
    assert_status(body, 409, "Conflict")


async def test_deletecollection_and_orphan_propagation(api: Api, sim: Simulator) -> None:
    for name, app in (("a", "x"), ("b", "x"), ("c", "y")):
        await api.call("POST", "/api/v1/namespaces/default/pods", pod(name, {"app": app}))
    status, body = await api.call("DELETE", "/api/v1/namespaces/default/pods", labelSelector="app=x")
    assert status == 200 and sorted(i["metadata"]["name"] for i in body["items"]) == ["a", "b"]
    assert [p["metadata"]["name"] for p in sim.store.list(PODS, "default")] == ["c"]

    _, owner = await api.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment())
    ref = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": owner["metadata"]["uid"]}
    for name in ("rs1", "rs2"):
        rs = deployment(name, {"app": "web"})
        rs["kind"], rs["metadata"]["ownerReferences"] = "ReplicaSet", [ref]
        status, _ = await api.call("POST", "/apis/apps/v1/namespaces/default/replicasets", rs)
        assert status == 201
    await api.call("DELETE", "/apis/apps/v1/namespaces/default/deployments/web", propagationPolicy="Orphan")
    orphans = sim.store.list(REPLICASETS, "default")
    assert [r["metadata"]["name"] for r in orphans] == ["rs1", "rs2"]
    assert all("ownerReferences" not in r["metadata"] for r in orphans)
    await api.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment("web2"))
    assert sim.store.get(DEPLOYMENTS, "default", "web2") is not None


async def test_unknown_paths_verbs_and_media_types(api: Api) -> None:
    status, body = await api.call("GET", "/api/v1/namespaces/default/widgets")
    assert_status(body, 404, "NotFound")
    status, body = await api.call("GET", "/nothing/here")
    assert_status(body, 404, "NotFound")
    status, body = await api.call("GET", "/api/v1/namespaces/default/pods/p/exec")
    assert_status(body, 404, "NotFound")
    status, body = await api.call("POST", "/api/v1/namespaces/default/pods/p", pod("p"))
    assert_status(body, 405, "MethodNotAllowed")
    status, body = await api.call(
        "GET", "/api/v1/pods", headers={"Accept": "application/json;as=Table;v=v1;g=other.io"}
    )
    assert_status(body, 406, "NotAcceptable")
    status, body = await api.call(
        "GET", "/api/v1/pods", headers={"Accept": "application/vnd.kubernetes.protobuf"}
    )
    assert_status(body, 406, "NotAcceptable")
    assert status == 406
    _, body = await api.call("GET", "/api/v1/pods", **{"continue": "abc"})
    assert_status(body, 400, "BadRequest")


async def test_secret_string_data_service_ip_and_scale(api: Api) -> None:
    secret = {"metadata": {"name": "s"}, "stringData": {"token": "abc"}}
    _, created = await api.call("POST", "/api/v1/namespaces/default/secrets", secret)
    assert created["data"] == {"token": base64.b64encode(b"abc").decode()} and "stringData" not in created
    assert created["type"] == "Opaque"
    service = {"metadata": {"name": "svc"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    _, svc = await api.call("POST", "/api/v1/namespaces/default/services", service)
    assert svc["spec"]["clusterIP"].startswith("10.96.") and svc["spec"]["ports"][0]["targetPort"] == 80
    _, replaced = await api.call(
        "PUT", "/api/v1/namespaces/default/services/svc", {**service, "metadata": svc["metadata"]}
    )
    assert replaced["spec"]["clusterIP"] == svc["spec"]["clusterIP"]

    await api.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment())
    status, scale = await api.call("GET", "/apis/apps/v1/namespaces/default/deployments/web/scale")
    assert status == 200 and scale["kind"] == "Scale" and scale["spec"]["replicas"] == 1
    assert scale["status"]["selector"] == "app=web"
    _, scaled = await api.call(
        "PATCH",
        "/apis/apps/v1/namespaces/default/deployments/web/scale",
        {"spec": {"replicas": 5}},
        "application/merge-patch+json",
    )
    assert scaled["spec"]["replicas"] == 5
    _, after = await api.call("GET", "/apis/apps/v1/namespaces/default/deployments/web")
    assert after["spec"]["replicas"] == 5


async def test_faults_python_api_and_admin_endpoint(api: Api, sim: Simulator) -> None:
    sim.faults.http_error(status=503, count=2, path_prefix="/api/v1/namespaces")
    assert (await api.call("GET", "/api/v1/pods"))[0] == 200  # other prefix
    for _ in range(2):
        status, body = await api.call("GET", "/api/v1/namespaces/default/pods")
        assert_status(body, 503, "ServiceUnavailable")
    assert (await api.call("GET", "/api/v1/namespaces/default/pods"))[0] == 200

    status, body = await api.call("POST", "/admin/faults", {"fault": "http_error", "seconds": 0.3})
    assert status == 200 and body["fault"] == "http_error"
    assert_status((await api.call("GET", "/version"))[1], 500, "InternalError")
    await asyncio.sleep(0.35)
    assert (await api.call("GET", "/version"))[0] == 200

    await api.call("POST", "/admin/faults", {"fault": "stall", "seconds": 0.3, "count": 1})
    started = time.monotonic()
    assert (await api.call("GET", "/version"))[0] == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await api.call("GET", "/version")
    assert time.monotonic() - started < 0.3

    await api.call("POST", "/admin/faults", {"fault": "http_error"})
    assert (await api.call("GET", "/version"))[0] == 500
    await api.call("POST", "/admin/faults", {"fault": "clear"})
    assert (await api.call("GET", "/version"))[0] == 200

    await api.call("POST", "/api/v1/namespaces/default/pods", pod("victim", node="x-control-plane"))
    status, body = await api.call(
        "POST", "/admin/faults", {"fault": "delete_pod", "namespace": "default", "name": "victim"}
    )
    assert status == 200 and body["result"]["metadata"]["deletionTimestamp"]
    status, body = await api.call(
        "POST", "/admin/faults", {"fault": "kill_process", "namespace": "default", "pod": "victim"}
    )
    assert_status(body, 501, "NotImplemented")
    status, body = await api.call("POST", "/admin/faults", {"fault": "nope"})
    assert_status(body, 400, "BadRequest")
    status, body = await api.call("POST", "/admin/faults", {"fault": "stall", "bogus": 1})
    assert_status(body, 400, "BadRequest")


async def test_runtime_hooks_are_called(sim: Simulator) -> None:
    calls: list[tuple[Any, ...]] = []

    class Hooks:
        def kill_process(
            self, namespace: str, pod: str, container: str | None = None, exit_code: int | None = None
        ) -> str:
            calls.append(("kill", namespace, pod, container, exit_code))
            return "killed"

        async def inject_oom(self, namespace: str, pod: str, container: str | None = None) -> None:
            calls.append(("oom", namespace, pod, container))

    sim.server.runtime = Hooks()  # type: ignore[assignment]
    assert await sim.faults.kill_process("default", "p", exit_code=3) == "killed"
    await sim.faults.inject_oom("default", "p", "c")
    assert calls == [("kill", "default", "p", None, 3), ("oom", "default", "p", "c")]
