"""Whole API objects for the describe and YAML snapshots: the seeded crash-looping backend pod and its
Secret, as a real API server returns them (managedFields included, so the views must hide them)."""

from __future__ import annotations

import base64
import copy
from typing import Any

from seed import BACKEND, NS, START, _event, _pod

from devstack.engine.inspect import Inspected

MANAGED = [
    {
        "manager": "kubectl-client-side-apply",
        "operation": "Update",
        "apiVersion": "v1",
        "fieldsType": "FieldsV1",
    }
]


def crashloop_pod() -> Inspected:
    """The backend pod in CrashLoopBackOff (exit 1), with its env, probe and events."""
    crash = {
        "ready": False,
        "restartCount": 4,
        "containerID": "containerd://4f1c9d2e",
        "imageID": "docker.io/library/jetscale-backend@sha256:090ab9d0",
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 1m20s restarting failed"}},
        "lastState": {
            "terminated": {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": "2025-12-31T23:58:58Z",
                "finishedAt": "2025-12-31T23:59:00Z",
            }
        },
    }
    pod: dict[str, Any] = copy.deepcopy(_pod("backend", "7d9c4-m8k2z", 8000, **crash))
    pod = {"apiVersion": "v1", "kind": "Pod", **pod}
    pod["metadata"]["managedFields"] = MANAGED
    container = pod["spec"]["containers"][0]
    container["env"] = [
        {"name": "PORT", "value": "8000"},
        {"name": "API_TOKEN", "value": "s3cr3t-token-value"},
        {
            "name": "DATABASE_URL",
            "valueFrom": {"secretKeyRef": {"name": "jetscale-backend", "key": "DATABASE_URL"}},
        },
    ]
    container["readinessProbe"] = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5}
    pod["status"]["hostIP"] = "172.18.0.2"
    pod["status"]["startTime"] = START
    pod["status"]["qosClass"] = "Burstable"
    events = [
        {
            **_event(BACKEND, "Scheduled", f"Successfully assigned {NS}/{BACKEND} to jetscale-control-plane"),
            "source": {"component": "default-scheduler"},
        },
        {
            **_event(
                BACKEND,
                "BackOff",
                f"Back-off restarting failed container backend in pod {BACKEND}",
                "Warning",
                6,
                "2025-12-31T23:59:30Z",
            ),
            "firstTimestamp": "2025-12-31T23:52:00Z",
            "source": {"component": "kubelet"},
        },
    ]
    return Inspected(pod, events)


def backend_secret() -> Inspected:
    """The backend's Secret, applied with kubectl (its last-applied annotation holds the value too)."""
    value = base64.b64encode(b"postgres://demo:demo@db:5432/app").decode()
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "jetscale-backend",
            "namespace": NS,
            "uid": "uid-secret",
            "resourceVersion": "42",
            "creationTimestamp": START,
            "labels": {"app.kubernetes.io/name": "backend"},
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": f'{{"data":{{"DATABASE_URL":"{value}"}}}}'
            },
            "managedFields": MANAGED,
        },
        "type": "Opaque",
        "data": {"DATABASE_URL": value, "API_TOKEN": base64.b64encode(b"s3cr3t-token-value").decode()},
    }
    return Inspected(secret)
