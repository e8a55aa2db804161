"""Patch flavours, selectors and validation rules of the simulated API server (pure functions)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devstack_sim import errors, patch, schemas, selectors, validation
from devstack_sim.resources import DEPLOYMENTS, EVENTS, NAMESPACES, PODS, SERVICES

POD_SCHEMA = schemas.for_kind("", "v1", "Pod")
SERVICE_SCHEMA = schemas.for_kind("", "v1", "Service")
DEPLOY_SCHEMA = schemas.for_kind("apps", "v1", "Deployment")


def _pod() -> dict[str, Any]:
    return {
        "metadata": {"name": "p", "labels": {"app": "a", "tier": "web"}, "finalizers": ["a", "b"]},
        "spec": {
            "containers": [
                {
                    "name": "web",
                    "image": "web:1",
                    "args": ["--x"],
                    "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 81}],
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                },
                {"name": "side", "image": "side:1"},
            ],
            "volumes": [{"name": "v", "emptyDir": {}}],
        },
    }


def test_strategic_merge_merges_lists_by_their_keys() -> None:
    body = {
        "spec": {
            "containers": [
                {
                    "name": "web",
                    "image": "web:2",
                    "args": ["--y"],
                    "ports": [{"containerPort": 81, "name": "metrics"}, {"containerPort": 82}],
                    "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
                }
            ]
        }
    }
    result = patch.strategic_merge(_pod(), body, POD_SCHEMA)
    web, side = result["spec"]["containers"]
    assert side == {"name": "side", "image": "side:1"}
    assert web["image"] == "web:2"
    assert web["args"] == ["--y"]  # atomic list: replaced
    assert web["ports"] == [
        {"containerPort": 80, "name": "http"},
        {"containerPort": 81, "name": "metrics"},
        {"containerPort": 82},
    ]
    assert web["env"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "3"},
        {"name": "C", "value": "4"},
    ]


def test_strategic_merge_directives() -> None:
    body = {
        "metadata": {"labels": {"tier": None}, "$deleteFromPrimitiveList/finalizers": ["a"]},
        "spec": {
            "$setElementOrder/containers": [{"name": "side"}, {"name": "web"}],
            "containers": [
                {
                    "name": "web",
                    "ports": [{"$patch": "delete", "containerPort": 80}],
                    "env": [{"$patch": "replace"}, {"name": "Z", "value": "9"}],
                }
            ],
            "volumes": [{"name": "v", "$retainKeys": ["name", "configMap"], "configMap": {"name": "cm"}}],
        },
    }
    result = patch.strategic_merge(_pod(), body, POD_SCHEMA)
    assert result["metadata"]["labels"] == {"app": "a"}
    assert result["metadata"]["finalizers"] == ["b"]
    assert [c["name"] for c in result["spec"]["containers"]] == ["side", "web"]
    web = result["spec"]["containers"][1]
    assert web["ports"] == [{"containerPort": 81}]
    assert web["env"] == [{"name": "Z", "value": "9"}]
    assert result["spec"]["volumes"] == [{"name": "v", "configMap": {"name": "cm"}}]
    assert "$retainKeys" not in json.dumps(result)


def test_strategic_merge_uses_service_port_key_and_map_replace() -> None:
    service = {
        "spec": {
            "selector": {"a": "1", "b": "2"},
            "ports": [{"port": 80, "name": "http", "targetPort": 8080}],
        }
    }
    result = patch.strategic_merge(
        service,
        {"spec": {"selector": {"$patch": "replace", "c": "3"}, "ports": [{"port": 80, "targetPort": 9090}]}},
        SERVICE_SCHEMA,
    )
    assert result["spec"]["selector"] == {"c": "3"}
    assert result["spec"]["ports"] == [{"port": 80, "name": "http", "targetPort": 9090}]


def test_deployment_strategy_retain_keys() -> None:
    deploy = {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}
    body = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": None}}}
    assert patch.strategic_merge(deploy, body, DEPLOY_SCHEMA)["spec"]["strategy"] == {"type": "Recreate"}


def test_merge_patch_and_json_patch() -> None:
    original = {"metadata": {"name": "x", "labels": {"a": "1"}}, "data": {"k": "v", "gone": "x"}}
    merged = patch.merge_patch(
        original, {"data": {"gone": None, "new": "n"}, "metadata": {"labels": {"b": "2"}}}
    )
    assert merged == {
        "metadata": {"name": "x", "labels": {"a": "1", "b": "2"}},
        "data": {"k": "v", "new": "n"},
    }
    ops = [
        {"op": "add", "path": "/data/n", "value": "1"},
        {"op": "remove", "path": "/data/gone"},
        {"op": "replace", "path": "/metadata/labels/a", "value": "9"},
        {"op": "copy", "from": "/data/k", "path": "/data/k2"},
        {"op": "move", "from": "/data/n", "path": "/data/m"},
        {"op": "test", "path": "/data/k", "value": "v"},
    ]
    result = patch.json_patch(original, ops)
    assert result["data"] == {"k": "v", "k2": "v", "m": "1"}
    assert result["metadata"]["labels"] == {"a": "9"}
    with pytest.raises(errors.ApiError) as failed:
        patch.json_patch(original, [{"op": "test", "path": "/data/k", "value": "other"}])
    assert failed.value.code == 422
    with pytest.raises(errors.ApiError) as missing:
        patch.json_patch(original, [{"op": "remove", "path": "/nope/x"}])
    assert missing.value.code == 422


def test_unknown_patch_type_is_415() -> None:
    with pytest.raises(errors.ApiError) as failed:
        patch.apply("application/json", {}, b"{}", None)
    assert failed.value.code == 415


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=a", {"p1", "p2"}),
        ("app==a,tier=web", {"p1"}),
        ("app!=a", {"p3", "p4"}),
        ("tier in (web, db)", {"p1", "p3"}),
        ("tier notin (web)", {"p2", "p3", "p4"}),
        ("tier", {"p1", "p3"}),
        ("!tier", {"p2", "p4"}),
        ("app=a,!tier", {"p2"}),
        ("", {"p1", "p2", "p3", "p4"}),
    ],
)
def test_label_selector(selector: str, expected: set[str]) -> None:
    pods = [
        {"metadata": {"name": "p1", "labels": {"app": "a", "tier": "web"}}},
        {"metadata": {"name": "p2", "labels": {"app": "a"}}},
        {"metadata": {"name": "p3", "labels": {"app": "b", "tier": "db"}}},
        {"metadata": {"name": "p4"}},
    ]
    match = selectors.label_selector(selector)
    assert {p["metadata"]["name"] for p in pods if match is None or match(p)} == expected


def test_field_selectors_per_type() -> None:
    pod = {
        "metadata": {"name": "p", "namespace": "n"},
        "spec": {"nodeName": "x"},
        "status": {"phase": "Running"},
    }
    match = selectors.field_selector("status.phase=Running,spec.nodeName==x,metadata.namespace!=m", PODS)
    assert match is not None and match(pod)
    other = selectors.field_selector("status.phase=Pending", PODS)
    assert other is not None and not other(pod)
    event = {
        "metadata": {"name": "e"},
        "type": "Warning",
        "involvedObject": {"kind": "Pod", "name": "p", "uid": "u"},
    }
    ev = selectors.field_selector("involvedObject.name=p,involvedObject.kind=Pod,type=Warning", EVENTS)
    assert ev is not None and ev(event)
    with pytest.raises(errors.ApiError) as failed:
        selectors.field_selector("spec.bogus=1", PODS)
    assert failed.value.code == 400 and "field label not supported: spec.bogus" in failed.value.message


def test_validation_rules_and_messages() -> None:
    with pytest.raises(errors.ApiError) as bad_name:
        validation.validate(DEPLOYMENTS, {"metadata": {"name": "Foo_bar"}, "spec": {}})
    status = bad_name.value.status()
    assert status["code"] == 422 and status["reason"] == "Invalid"
    assert status["message"].startswith('Deployment.apps "Foo_bar" is invalid: [')
    fields = {c["field"] for c in status["details"]["causes"]}
    assert {"metadata.name", "spec.selector", "spec.template.spec.containers"} <= fields

    mismatch = {
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "other"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        },
    }
    with pytest.raises(errors.ApiError) as no_match:
        validation.validate(DEPLOYMENTS, mismatch)
    assert "`selector` does not match template `labels`" in no_match.value.message

    validation.validate(NAMESPACES, {"metadata": {"name": "ok-ns"}})
    with pytest.raises(errors.ApiError):
        validation.validate(NAMESPACES, {"metadata": {"name": "a.b"}})
    with pytest.raises(errors.ApiError):
        validation.validate(SERVICES, {"metadata": {"name": "1svc"}, "spec": {"ports": [{"port": 80}]}})
    with pytest.raises(errors.ApiError) as no_ports:
        validation.validate(SERVICES, {"metadata": {"name": "svc"}, "spec": {}})
    assert "spec.ports: Required value" in no_ports.value.message


def test_unknown_fields_by_mode() -> None:
    obj = {
        "metadata": {"name": "p", "labels": {"any": "x"}},
        "spec": {"containers": [{"name": "c", "imagee": "x"}]},
    }
    assert validation.unknown_fields(PODS, obj) == ["spec.containers[0].imagee"]
    assert validation.check_fields(PODS, obj, "Warn") == ['unknown field "spec.containers[0].imagee"']
    assert validation.check_fields(PODS, obj, "Ignore") == []
    with pytest.raises(errors.ApiError) as strict:
        validation.check_fields(PODS, obj, "Strict")
    assert strict.value.code == 400
    assert 'strict decoding error: unknown field "spec.containers[0].imagee"' in strict.value.message
