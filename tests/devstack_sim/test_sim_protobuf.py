"""Protobuf request bodies: the decoder on hand-built messages, and over HTTP."""

from __future__ import annotations

import pytest
from sim_helpers import Api

from devstack_sim import errors, protobuf
from devstack_sim.app import Simulator
from devstack_sim.resources import CONFIGMAPS, PODS


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = b""
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def field(number: int, value: int | bytes | str) -> bytes:
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    data = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(data)) + data


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = field(1, api_version) + field(2, kind)
    return protobuf.MAGIC + field(1, type_meta) + field(2, raw)


def test_decodes_configmap_with_maps_zero_values_and_time() -> None:
    meta = (
        field(1, "cm")
        + field(3, "default")
        + field(6, "")  # empty string: omitted
        + field(8, b"")  # zero Time: omitted
        + field(11, field(1, "app") + field(2, "web"))
        + field(14, "a")
        + field(14, "b")
    )
    raw = (
        field(1, meta)
        + field(2, field(1, "k") + field(2, "v"))
        + field(3, field(1, "bin") + field(2, b"\x00\x01"))
    )
    obj = protobuf.decode_object(envelope("v1", "ConfigMap", raw))
    assert obj == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "cm",
            "namespace": "default",
            "labels": {"app": "web"},
            "finalizers": ["a", "b"],
        },
        "data": {"k": "v"},
        "binaryData": {"bin": "AAE="},
    }


def test_decodes_deployment_with_inline_fields_int_or_string_and_kept_zero() -> None:
    port = field(3, 8000) + field(4, "TCP")
    env = field(1, "TOKEN") + field(3, field(4, field(1, field(1, "secret")) + field(2, "token")))
    probe = field(1, field(2, field(1, "/healthz") + field(2, field(1, 1) + field(3, "http")))) + field(4, 5)
    container = field(1, "web") + field(2, "web:1") + field(6, port) + field(7, env) + field(11, probe)
    volume = field(1, "cfg") + field(2, field(19, field(1, field(1, "cm"))))
    template = field(1, field(11, field(1, "app") + field(2, "web"))) + field(
        2, field(1, volume) + field(2, container)
    )
    strategy = field(1, "RollingUpdate") + field(
        2, field(1, field(1, 0) + field(2, 1)) + field(2, field(1, 1) + field(3, "50%"))
    )
    spec = (
        field(1, 0)
        + field(2, field(1, field(1, "app") + field(2, "web")))
        + field(3, template)
        + field(4, strategy)
    )
    raw = field(1, field(1, "web")) + field(2, spec) + field(3, field(1, 5))  # status is ignored
    obj = protobuf.decode_object(envelope("apps/v1", "Deployment", raw))
    assert obj["spec"]["replicas"] == 0
    assert obj["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "50%"},
    }
    pod = obj["spec"]["template"]["spec"]
    assert pod["volumes"] == [{"name": "cfg", "configMap": {"name": "cm"}}]
    web = pod["containers"][0]
    assert web["ports"] == [{"containerPort": 8000, "protocol": "TCP"}]
    assert web["env"] == [
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "secret", "key": "token"}}}
    ]
    assert web["readinessProbe"] == {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5}
    assert "status" not in obj


def test_delete_options_keep_explicit_zero_grace() -> None:
    raw = field(1, 0) + field(4, "Foreground") + field(2, field(1, "uid-1"))
    assert protobuf.decode_object(envelope("v1", "DeleteOptions", raw)) == {
        "gracePeriodSeconds": 0,
        "propagationPolicy": "Foreground",
        "preconditions": {"uid": "uid-1"},
    }


def test_unknown_fields_and_kinds_are_refused() -> None:
    assert protobuf.decode("ConfigMap", field(99, 0) + field(98, b"")) == {}  # zero values of unknown fields
    with pytest.raises(errors.ApiError) as unknown:
        protobuf.decode("ConfigMap", field(99, 7))
    assert unknown.value.code == 415 and "field 99 of ConfigMap" in unknown.value.message
    with pytest.raises(errors.ApiError) as kind:
        protobuf.decode_object(envelope("batch/v1", "Job", b""))
    assert kind.value.code == 415 and "kind Job is not supported" in kind.value.message
    with pytest.raises(errors.ApiError):
        protobuf.decode_object(b"not protobuf")


async def test_protobuf_bodies_over_http(api: Api, sim: Simulator) -> None:
    body = envelope(
        "v1", "ConfigMap", field(1, field(1, "from-proto")) + field(2, field(1, "a") + field(2, "1"))
    )
    status, created = await api.call(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        body,
        protobuf.CONTENT_TYPE,
        headers={"Accept": "application/vnd.kubernetes.protobuf, */*"},
    )
    assert status == 201 and created["data"] == {"a": "1"}
    assert sim.store.get(CONFIGMAPS, "default", "from-proto") is not None
    sim.store.create(
        PODS, {"metadata": {"name": "p", "namespace": "default"}, "spec": {"nodeName": "x-control-plane"}}
    )
    options = envelope("v1", "DeleteOptions", field(1, 0))
    status, _ = await api.call("DELETE", "/api/v1/namespaces/default/pods/p", options, protobuf.CONTENT_TYPE)
    assert status == 200 and sim.store.get(PODS, "default", "p") is None  # gracePeriodSeconds=0 was honoured
    status, body = await api.call(
        "POST", "/api/v1/namespaces/default/configmaps", b"\xa1", "application/cbor"
    )
    assert status == 415 and body["reason"] == "UnsupportedMediaType"
