"""The typed decoder (`core/kubedecode.py`) against the old dict path, on recorded and odd objects.

`data/recorded_objects.json` holds every kind devstack watches, as the simulator's API served them
for the four demo scenarios (`data/record_objects.py` records them again). The old path
(`reference_summaries.py`: `json.loads` dicts read with `.get`) is the oracle: on every recorded
object, on every recorded object with any fields removed, and on hand-made odd ones, the decoder
gives the same summary, whether it decodes a list body, a watch line or a dict. A `null` means
"not set" (as on the API server): the same summary as the field left out.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_summaries import OLD_SUMMARISERS

from devstack.core import kube
from devstack.core.kubedecode import DecodeError, codec, summarise

RECORDED: dict[str, dict[str, list[dict[str, Any]]]] = json.loads(
    (Path(__file__).parent / "data" / "recorded_objects.json").read_text()
)
OBJECTS = [(kind, obj) for lists in RECORDED.values() for kind, items in lists.items() for obj in items]


def ids(value: object) -> str:
    return value if isinstance(value, str) else ""


def first(kind: str, scenario: str = "crashloop", name: str = "") -> dict[str, Any]:
    """A deep copy of a recorded object (the first of its kind, or the named one)."""
    items = RECORDED[scenario][kind]
    found = next(o for o in items if name in o["metadata"]["name"])
    return copy.deepcopy(found)


def decoded_every_way(kind: str, obj: dict[str, Any]) -> list[kube.KubeInfo]:
    """The summary of `obj` as a dict, in a list body, and in a watch line."""
    body = json.dumps({"kind": "List", "metadata": {"resourceVersion": "9"}, "items": [obj]}).encode()
    items, version = codec(kind).decode_list(body)
    line = codec(kind).decode_line(json.dumps({"type": "MODIFIED", "object": obj}).encode())
    assert version == "9" and len(items) == 1
    assert line.type == "MODIFIED"
    assert line.resource_version == str((obj.get("metadata") or {}).get("resourceVersion") or "")
    return [summarise(kind, obj), items[0], line.item]  # type: ignore[list-item]


def test_every_kind_is_recorded_in_every_scenario() -> None:
    for scenario, lists in RECORDED.items():
        assert set(lists) == set(kube.WATCHED_KINDS), scenario
        assert all(lists.values()), scenario
    states = {
        next(iter(s["state"]))
        for _, o in OBJECTS
        if "status" in o
        for s in o["status"].get("containerStatuses", [])
    }
    assert {"running", "waiting"} <= states
    assert any(
        s.get("lastState", {}).get("terminated")
        for _, o in OBJECTS
        for s in o.get("status", {}).get("containerStatuses", [])
    )


@pytest.mark.parametrize(("kind", "obj"), OBJECTS, ids=[f"{k}-{o['metadata']['name']}" for k, o in OBJECTS])
def test_recorded_objects_decode_as_the_old_path_summarised_them(kind: str, obj: dict[str, Any]) -> None:
    old = OLD_SUMMARISERS[kind](obj)
    for new in decoded_every_way(kind, obj):
        assert new == old


def _dict_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a member of an object (list items reached through their index)."""
    paths: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            paths.append((*prefix, key))
            paths.extend(_dict_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths.extend(_dict_paths(item, (*prefix, index)))
    return paths


def _set(obj: dict[str, Any], path: tuple[Any, ...], value: Any, delete: bool = False) -> None:
    for step in path[:-1]:
        obj = obj[step]
    if delete:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value


@st.composite
def objects_with_fields_left_out(draw: st.DrawFn) -> tuple[str, dict[str, Any], list[tuple[Any, ...]]]:
    kind, obj = draw(st.sampled_from(OBJECTS))
    paths = _dict_paths(obj)
    chosen = draw(st.lists(st.sampled_from(paths), min_size=1, max_size=6, unique=True))
    return kind, copy.deepcopy(obj), sorted(chosen, key=len, reverse=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(objects_with_fields_left_out())
def test_objects_with_fields_left_out_decode_as_the_old_path(
    case: tuple[str, dict[str, Any], list[Any]],
) -> None:
    kind, obj, paths = case
    for path in paths:
        try:
            _set(obj, path, None, delete=True)
        except (KeyError, IndexError, TypeError):
            continue  # an ancestor went first
    for new in decoded_every_way(kind, obj):
        assert new == OLD_SUMMARISERS[kind](obj)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(objects_with_fields_left_out())
def test_a_null_means_not_set(case: tuple[str, dict[str, Any], list[Any]]) -> None:
    kind, obj, paths = case
    nulled, left_out = copy.deepcopy(obj), copy.deepcopy(obj)
    for path in paths:
        try:
            _set(nulled, path, None)
            _set(left_out, path, None, delete=True)
        except (KeyError, IndexError, TypeError):
            continue
    expected = summarise(kind, left_out)
    assert decoded_every_way(kind, nulled) == [expected] * 3


ODD_PODS: dict[str, Any] = {
    "no status": lambda p: p.pop("status"),
    "no spec": lambda p: p.pop("spec"),
    "no metadata": lambda p: p.pop("metadata"),
    "empty object": lambda p: p.clear(),
    "no container statuses": lambda p: p["status"].pop("containerStatuses"),
    "a status for a container not in the spec": lambda p: p["status"]["containerStatuses"][0].update(
        name="ghost"
    ),
    "empty state": lambda p: p["status"]["containerStatuses"][0].update(state={}),
    "two states at once": lambda p: p["status"]["containerStatuses"][0].update(
        state={"waiting": {"reason": "A"}, "running": {"startedAt": "2026-01-01T00:00:00Z"}}
    ),
    "terminated, no exit code": lambda p: p["status"]["containerStatuses"][0].update(
        state={"terminated": {"reason": "Completed"}}
    ),
    "OOMKilled": lambda p: p["status"]["containerStatuses"][0].update(
        state={"terminated": {"reason": "OOMKilled", "exitCode": 137, "message": "ü ✓"}}
    ),
    "last state without exit code": lambda p: p["status"]["containerStatuses"][0].update(
        lastState={"terminated": {"reason": "Error"}}
    ),
    "last exit code 0": lambda p: p["status"]["containerStatuses"][0].update(
        lastState={"terminated": {"exitCode": 0}}
    ),
    "init containers": lambda p: (
        p["spec"].update(
            initContainers=[{"name": "init", "image": "busybox"}, {"name": "two", "image": "x"}]
        ),
        p["status"].update(
            initContainerStatuses=[
                {
                    "name": "two",
                    "ready": False,
                    "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                }
            ]
        ),
    ),
    "two containers in another order": lambda p: (
        p["spec"]["containers"].append(
            {"name": "side", "image": "side:1", "resources": {"limits": {"memory": "64Mi"}}}
        ),
        p["status"]["containerStatuses"].insert(0, {"name": "side", "ready": True, "state": {"running": {}}}),
    ),
    "a memory limit": lambda p: p["spec"]["containers"][0].update(
        resources={"limits": {"memory": "512Mi", "cpu": 1}}
    ),
    "owners, none the controller": lambda p: p["metadata"].update(
        ownerReferences=[
            {"kind": "ReplicaSet", "name": "rs"},
            {"kind": "Job", "name": "j", "controller": False},
        ]
    ),
    "deleting": lambda p: p["metadata"].update(deletionTimestamp="2026-01-01T00:00:00Z"),
    "no labels": lambda p: p["metadata"].update(labels={}),
    "empty phase": lambda p: p["status"].update(phase=""),
    "Ready after others": lambda p: p["status"].update(
        conditions=[
            {"type": "PodScheduled", "status": "True"},
            {"type": "Ready", "status": "True", "reason": "R"},
        ]
    ),
    "unknown fields everywhere": lambda p: (
        p.update(extra={"deep": [1, {"x": None}]}),
        p["metadata"].update(managedFields=[{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}]),
        p["status"]["containerStatuses"][0].update(
            allocatedResources={"cpu": "1"}, user={"linux": {"uid": 0}}
        ),
    ),
    "a huge restart count": lambda p: p["status"]["containerStatuses"][0].update(restartCount=2**40),
}


@pytest.mark.parametrize("change", list(ODD_PODS), ids=ids)
def test_odd_pods_decode_as_the_old_path(change: str) -> None:
    pod = first("pods", name="backend")
    ODD_PODS[change](pod)
    for new in decoded_every_way("pods", pod):
        assert new == OLD_SUMMARISERS["pods"](pod)


ODD_OTHERS: dict[str, tuple[str, Any]] = {
    "deployment without replicas": ("deployments", lambda d: d["spec"].pop("replicas")),
    "deployment scaled to 0": ("deployments", lambda d: d["spec"].update(replicas=0)),
    "deployment without status": ("deployments", lambda d: d.pop("status")),
    "deployment without selector or template": (
        "deployments",
        lambda d: (d["spec"].pop("selector"), d["spec"].pop("template")),
    ),
    "service port by name": ("services", lambda s: s["spec"]["ports"][0].update(targetPort="http")),
    "service without targetPort": ("services", lambda s: s["spec"]["ports"][0].pop("targetPort")),
    "service port without protocol": ("services", lambda s: s["spec"]["ports"][0].pop("protocol")),
    "headless service without type": (
        "services",
        lambda s: (s["spec"].pop("type"), s["spec"].update(clusterIP="None")),
    ),
    "endpoint without conditions": ("endpointslices", lambda e: e["endpoints"][0].pop("conditions")),
    "endpoint not ready, terminating": (
        "endpointslices",
        lambda e: e["endpoints"][0].update(conditions={"ready": False, "serving": True, "terminating": True}),
    ),
    "endpoint without addresses or targetRef": (
        "endpointslices",
        lambda e: (e["endpoints"][0].update(addresses=[]), e["endpoints"][0].pop("targetRef")),
    ),
    "slice without endpoints, ports or service label": (
        "endpointslices",
        lambda e: (e.pop("endpoints"), e.pop("ports"), e["metadata"].pop("labels")),
    ),
    "event with count 0": ("events", lambda e: e.update(count=0)),
    "event without type or lastTimestamp": (
        "events",
        lambda e: (e.pop("type"), e.pop("lastTimestamp", None)),
    ),
    "events.k8s.io/v1 event": (
        "events",
        lambda e: (
            e.pop("involvedObject"),
            e.pop("message"),
            e.pop("count", None),
            e.pop("lastTimestamp", None),
            e.update(
                regarding={"kind": "Pod", "name": "p"}, note="a note", eventTime="2026-01-01T00:00:00.000000Z"
            ),
        ),
    ),
    "event with an empty involvedObject": (
        "events",
        lambda e: e.update(involvedObject={}, regarding={"kind": "Deployment", "name": "d"}),
    ),
}


@pytest.mark.parametrize("change", list(ODD_OTHERS), ids=ids)
def test_odd_objects_of_other_kinds_decode_as_the_old_path(change: str) -> None:
    kind, mutate = ODD_OTHERS[change]
    obj = first(kind)
    mutate(obj)
    for new in decoded_every_way(kind, obj):
        assert new == OLD_SUMMARISERS[kind](obj)


def test_a_state_the_api_does_not_have_is_no_state() -> None:
    """Known difference: the old path took any key of `state` for the state's name; the API has three."""
    pod = first("pods", name="backend")
    pod["status"]["containerStatuses"][0]["state"] = {"paused": {"reason": "X"}}
    assert OLD_SUMMARISERS["pods"](pod).containers[0].state == "paused"
    for new in decoded_every_way("pods", pod):
        assert (new.containers[0].state, new.containers[0].reason) == ("waiting", "")  # type: ignore[union-attr]


def test_a_value_of_the_wrong_type_is_refused_naming_the_object_and_field() -> None:
    pod = first("pods", name="backend")
    pod["status"]["containerStatuses"][0]["restartCount"] = "3"
    line = json.dumps({"type": "MODIFIED", "object": pod}).encode()
    with pytest.raises(DecodeError) as caught:
        codec("pods").decode_line(line)
    text = str(caught.value)
    assert pod["metadata"]["name"] in text and "restartCount" in text and "pods watch" in text
    with pytest.raises(DecodeError, match=r"pods list: .*restartCount"):
        codec("pods").decode_list(json.dumps({"items": [pod]}).encode())
    with pytest.raises(DecodeError, match="pods watch"):
        codec("pods").decode_line(b'{"type": "MODIFIED", "object": {')


def test_watch_lines_that_carry_no_object_of_the_kind() -> None:
    pods = codec("pods")
    gone = pods.decode_line(
        b'{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        b'"message":"too old resource version: 5 (12)","reason":"Expired","code":410}}'
    )
    assert (gone.type, gone.item, gone.code, gone.message) == (
        "ERROR",
        None,
        410,
        "too old resource version: 5 (12)",
    )
    bare = pods.decode_line(
        b'{"type":"ERROR","object":{"code":500,"message":"boom"}}'
    )  # no `status`: still an ERROR
    assert (bare.type, bare.code, bare.message) == ("ERROR", 500, "boom")
    mark = pods.decode_line(
        b'{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"77",'
        b'"annotations":{"k8s.io/initial-events-end":"true"}}}}'
    )
    assert (mark.type, mark.item, mark.resource_version) == ("BOOKMARK", None, "77")


def test_summaries_are_immutable_values() -> None:
    pod = summarise("pods", first("pods"))
    with pytest.raises(AttributeError):
        pod.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        pod.containers[0].ready = True  # type: ignore[misc]
    assert pod == summarise("pods", first("pods")) and hash(pod) == hash(summarise("pods", first("pods")))
    assert msgspec.structs.replace(pod, phase="Failed") != pod
