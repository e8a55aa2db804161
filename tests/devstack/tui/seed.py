"""Pre-seeded stores for deterministic TUI tests: real-shaped API objects through the real reducer.

Every time is fixed (`NOW`), so ages in snapshots never move.
"""

from __future__ import annotations

from typing import Any

from devstack.core import events as ev
from devstack.core.checks import CheckResult, CheckStep
from devstack.core.kubedecode import (
    deployment_info,
    endpointslice_info,
    kube_event_info,
    pod_info,
    service_info,
)
from devstack.core.model import CheckStatus, DoctorCheck
from devstack.core.pipeline import UP_STEPS, PlannedForward, RunPlan, step_names
from devstack.core.portforward import ForwardView
from devstack.core.store import Store
from devstack.engine.session import Session

NS = "jetscale"
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
START = "2025-12-31T23:50:00Z"  # ten minutes before NOW


def clock() -> float:
    """The fixed clock of every seeded session."""
    return NOW


def _pod(app: str, suffix: str, port: int, ready: bool = True, **status: Any) -> dict[str, Any]:
    container = {
        "name": app,
        "image": f"jetscale-{app}:dev",
        "ready": ready,
        "started": True,
        "restartCount": 0,
        "state": {"running": {"startedAt": START}},
        **status,
    }
    return {
        "metadata": {
            "name": f"jetscale-{app}-{suffix}",
            "namespace": NS,
            "uid": f"uid-{app}",
            "labels": {"app.kubernetes.io/name": app, "pod-template-hash": suffix.split("-", maxsplit=1)[0]},
            "creationTimestamp": START,
            "ownerReferences": [
                {
                    "kind": "ReplicaSet",
                    "name": f"jetscale-{app}-{suffix.split('-', maxsplit=1)[0]}",
                    "controller": True,
                }
            ],
        },
        "spec": {
            "nodeName": "jetscale-control-plane",
            "containers": [
                {
                    "name": app,
                    "image": f"jetscale-{app}:dev",
                    "ports": [{"containerPort": port}],
                    "resources": {"limits": {"memory": "256Mi"}},
                }
            ],
        },
        "status": {
            "phase": "Running",
            "podIP": "10.244.0.7" if app == "backend" else "10.244.0.8",
            "conditions": [
                {"type": "PodScheduled", "status": "True"},
                {"type": "Ready", "status": "True" if ready else "False"},
            ],
            "containerStatuses": [container],
        },
    }


def _deployment(app: str, ready: int) -> dict[str, Any]:
    return {
        "metadata": {"name": f"jetscale-{app}", "namespace": NS, "generation": 1, "creationTimestamp": START},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
            "template": {"spec": {"containers": [{"name": app, "image": f"jetscale-{app}:dev"}]}},
        },
        "status": {
            "observedGeneration": 1,
            "replicas": 1,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "updatedReplicas": 1,
            "unavailableReplicas": 1 - ready,
        },
    }


def _service(app: str, port: int) -> dict[str, Any]:
    return {
        "metadata": {"name": f"jetscale-{app}", "namespace": NS},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.96.0.10" if app == "backend" else "10.96.0.11",
            "selector": {"app.kubernetes.io/name": app},
            "ports": [{"name": "http", "port": port, "targetPort": port, "protocol": "TCP"}],
        },
    }


def _slice(app: str, pod: str, port: int, ready: bool) -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"jetscale-{app}-abc12",
            "namespace": NS,
            "labels": {"kubernetes.io/service-name": f"jetscale-{app}"},
        },
        "endpoints": [
            {
                "addresses": ["10.244.0.7"],
                "conditions": {"ready": ready, "serving": ready, "terminating": False},
                "targetRef": {"kind": "Pod", "name": pod},
            }
        ],
        "ports": [{"name": "http", "port": port}],
    }


def _event(obj: str, reason: str, message: str, type_: str = "Normal", count: int = 1, at: str = START):
    return {
        "metadata": {"name": f"{obj}.{reason.lower()}", "namespace": NS},
        "involvedObject": {"kind": "Pod", "name": obj, "namespace": NS},
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "lastTimestamp": at,
    }


SKAFFOLD_LINES = (
    "Generating tags...",
    " - jetscale-backend -> jetscale-backend:dev",
    " - jetscale-frontend -> jetscale-frontend:dev",
    "Checking cache...",
    " - jetscale-backend: Found Locally",
    " - jetscale-frontend: Found Locally",
    "Starting deploy...",
    "Loading images into kind cluster nodes...",
    "Waiting for deployments to stabilize...",
    " - jetscale:deployment/jetscale-backend is ready. [1/2 deployment(s) still pending]",
    " - jetscale:deployment/jetscale-frontend is ready.",
    "Deployments stabilized in 4.2 seconds",
    "Watching for changes...",
)
PLAN = RunPlan(
    NS,
    "skaffold dev (profile local-kind)",
    (
        PlannedForward("frontend", 3000, "jetscale-frontend", 3000),
        PlannedForward("backend", 8000, "jetscale-backend", 8000),
    ),
    "http://localhost:3000",
)
FRONTEND = "jetscale-frontend-5f7b9-qx2lp"
BACKEND = "jetscale-backend-7d9c4-m8k2z"


def _common(store: Store, backend_ready: bool) -> None:
    store.dispatch(ev.SessionStarted("up", "local-kind", "kind-jetscale", step_names(UP_STEPS)))
    store.dispatch(ev.ApiStatus(True, at=NOW - 600, server_version="v1.31.0"))
    command = ("skaffold", "dev", "-p", "local-kind", "--kube-context", "kind-jetscale")
    store.dispatch(ev.DeployStarted("skaffold", command, "dev", at=NOW - 590))
    for line in SKAFFOLD_LINES if backend_ready else SKAFFOLD_LINES[:9]:
        store.dispatch(ev.DeployOutput(line, at=NOW - 580))
    if not backend_ready:
        store.dispatch(
            ev.DeployOutput(" - jetscale:deployment/jetscale-backend: container backend is backing off", NOW)
        )


def _steps(store: Store, upto: str, failure: tuple[str, str] | None = None) -> None:
    for info in UP_STEPS:
        store.dispatch(ev.StepStarted(info.name, at=NOW - 600))
        if info.name == upto and failure is not None:
            store.dispatch(ev.StepFailed(info.name, failure[0], at=NOW - 300, fix=failure[1]))
            return
        store.dispatch(ev.StepFinished(info.name, at=NOW - 590, detail=f"{info.title.lower()} ok"))
        if info.name == upto:
            return


def healthy_store() -> Store:
    """Both pods Ready, every step done, forwards ready, every check passing."""
    store = Store()
    _common(store, backend_ready=True)
    _steps(store, "checks")
    _kube(store, backend_ready=True)
    _forwards(store, backend_ready=True)
    for result in _checks(ok=True):
        store.dispatch(ev.CheckReported(result, at=NOW - 500))
    return store


def crashloop_store() -> Store:
    """The backend crash-loops (exit 1, `FATAL: DATABASE_URL is not set`); `ready` failed."""
    store = Store()
    _common(store, backend_ready=False)
    fix = f"read the last log lines (`kubectl logs {BACKEND} -n {NS} -c backend --previous`), fix it"
    _steps(store, "ready", ("1 workload(s) not ready (error): jetscale-backend: CrashLoopBackOff", fix))
    _kube(store, backend_ready=False)
    store.dispatch(
        ev.PodLogsFetched(
            f"{NS}/{BACKEND}",
            "backend",
            True,
            ("starting jetscale-backend on :8000", "FATAL: DATABASE_URL is not set"),
        )
    )
    _forwards(store, backend_ready=False)
    return store


def doctor_store() -> Store:
    """The doctor step failed: Docker down and kind missing, each with its fix."""
    store = Store()
    store.dispatch(ev.SessionStarted("up", "local-kind", "kind-jetscale", step_names(UP_STEPS), PLAN))
    store.dispatch(ev.StepStarted("doctor", at=NOW - 5))
    checks = (
        DoctorCheck(
            "docker",
            CheckStatus.FAIL,
            "cannot connect to the Docker daemon",
            "start Docker Desktop, or `sudo systemctl start docker`",
            True,
        ),
        DoctorCheck(
            "tool:kind",
            CheckStatus.FAIL,
            "kind not found on PATH",
            "install kind: https://kind.sigs.k8s.io",
            True,
        ),
        DoctorCheck("tool:kubectl", CheckStatus.OK, "kubectl v1.31.0", required=True),
        DoctorCheck("tool:skaffold", CheckStatus.OK, "skaffold v2.13.2", required=True),
        DoctorCheck("tool:helm", CheckStatus.OK, "helm v3.16.2", required=True),
        DoctorCheck("port:3000", CheckStatus.OK, "port 3000 is free"),
    )
    for check in checks:
        store.dispatch(ev.DoctorChecked(check))
    store.dispatch(
        ev.StepFailed(
            "doctor",
            "missing: docker (cannot connect to the Docker daemon), tool:kind (kind not found on PATH)",
            at=NOW - 4,
            fix="start Docker Desktop, or `sudo systemctl start docker`",
        )
    )
    return store


def _kube(store: Store, backend_ready: bool) -> None:
    crash = {
        "ready": False,
        "restartCount": 4,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 1m20s restarting failed"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2025-12-31T23:59:00Z"}},
    }
    backend = (
        _pod("backend", "7d9c4-m8k2z", 8000)
        if backend_ready
        else _pod("backend", "7d9c4-m8k2z", 8000, **crash)
    )
    pods = (pod_info(_pod("frontend", "5f7b9-qx2lp", 3000)), pod_info(backend))
    store.dispatch(ev.KubeSynced("pods", pods))
    deployments = (
        deployment_info(_deployment("frontend", 1)),
        deployment_info(_deployment("backend", int(backend_ready))),
    )
    store.dispatch(ev.KubeSynced("deployments", deployments))
    store.dispatch(
        ev.KubeSynced(
            "services", (service_info(_service("frontend", 3000)), service_info(_service("backend", 8000)))
        )
    )
    slices = (
        endpointslice_info(_slice("frontend", FRONTEND, 3000, True)),
        endpointslice_info(_slice("backend", BACKEND, 8000, backend_ready)),
    )
    store.dispatch(ev.KubeSynced("endpointslices", slices))
    events = [
        _event(FRONTEND, "Scheduled", f"Successfully assigned {NS}/{FRONTEND} to jetscale-control-plane"),
        _event(FRONTEND, "Started", "Started container frontend"),
        _event(BACKEND, "Scheduled", f"Successfully assigned {NS}/{BACKEND} to jetscale-control-plane"),
    ]
    if not backend_ready:
        events.append(
            _event(
                BACKEND,
                "BackOff",
                "Back-off restarting failed container backend in pod " + BACKEND,
                "Warning",
                6,
                "2025-12-31T23:59:30Z",
            )
        )
    store.dispatch(ev.KubeSynced("events", tuple(kube_event_info(e) for e in events)))


def _forwards(store: Store, backend_ready: bool) -> None:
    store.dispatch(
        ev.ForwardChanged(
            ForwardView(
                "frontend", 3000, "jetscale-frontend", 3000, "ready", FRONTEND, 3000, 0, 12, 48_213, 3_901
            )
        )
    )
    backend = (
        ForwardView("backend", 8000, "jetscale-backend", 8000, "ready", BACKEND, 8000, 1, 30, 18_770, 6_112)
        if backend_ready
        else ForwardView("backend", 8000, "jetscale-backend", 8000, "waiting", last_error="no ready endpoint")
    )
    store.dispatch(ev.ForwardChanged(backend))


def _checks(ok: bool) -> list[CheckResult]:
    return [
        CheckResult("frontend page", (CheckStep("GET http://localhost:3000/", True, "200 OK"),)),
        CheckResult("backend health", (CheckStep("GET http://localhost:8000/healthz", True, "200 OK"),)),
        CheckResult(
            "api-base-url",
            (
                CheckStep("find VITE_API_BASE_URL", True, "http://localhost:8000 (deployment env)"),
                CheckStep("browser can resolve it", True, "localhost"),
                CheckStep("a forward serves it", True, "localhost:8000 → jetscale-backend"),
                CheckStep("backend answers /healthz", True, "200 OK"),
                CheckStep("CORS allows the frontend", True, "preflight and GET allow http://localhost:3000"),
            ),
        ),
    ]


def offline(store: Store) -> Session:
    """An engine-less session on `store` with the fixed clock."""
    return Session.offline(store, clock)


LONG_APP = "notifications-worker-with-a-deliberately-long-deployment-name"
LONG_POD = f"jetscale-{LONG_APP}-6b8f9d7c5d-x7k2p"


def long_names_store() -> Store:
    """The healthy stack plus a workload whose pod name is far wider than an 80-column pane, with a
    warning event about it (names must end in an ellipsis, AGE must stay on screen)."""
    store = healthy_store()
    pod = _pod(LONG_APP, "6b8f9d7c5d-x7k2p", 9000)
    store.dispatch(ev.KubeChanged("pods", "ADDED", pod_info(pod)))
    deployment = _deployment(LONG_APP, 1)
    store.dispatch(ev.KubeChanged("deployments", "ADDED", deployment_info(deployment)))
    warning = _event(
        LONG_POD,
        "Unhealthy",
        'Startup probe failed: Get "http://10.244.0.9:9000/healthz": dial tcp 10.244.0.9:9000: '
        "connect: connection refused",
        "Warning",
        3,
        "2025-12-31T23:52:00Z",
    )
    warning["firstTimestamp"] = "2025-12-31T23:51:00Z"
    store.dispatch(ev.KubeChanged("events", "ADDED", kube_event_info(warning)))
    return store
