"""Health explanations from real-shaped pod, deployment, service and event objects."""

from __future__ import annotations

from typing import Any

from msgspec.structs import replace

from devstack.core import events as ev
from devstack.core.health import explain_deployment, explain_pod, explain_service
from devstack.core.kubedecode import (
    deployment_info,
    endpointslice_info,
    kube_event_info,
    pod_info,
    service_info,
)
from devstack.core.model import Level
from devstack.core.reducer import reduce
from devstack.core.state import State
from devstack.core.verdicts import verdicts_of

NS = "jetscale"


def pod(name: str = "jetscale-backend-7d9c-abcde", **container_status: Any) -> dict[str, Any]:
    status = {
        "name": "backend",
        "image": "jetscale-backend:dev",
        "ready": False,
        "restartCount": 0,
        "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}},
        **container_status,
    }
    return {
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": "u1",
            "labels": {"app.kubernetes.io/name": "backend"},
        },
        "spec": {
            "containers": [
                {
                    "name": "backend",
                    "image": "jetscale-backend:dev",
                    "resources": {"limits": {"memory": "128Mi"}},
                }
            ]
        },
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True" if status["ready"] else "False"}],
            "containerStatuses": [status],
        },
    }


def event(
    reason: str,
    message: str,
    name: str = "jetscale-backend-7d9c-abcde",
    kind: str = "Pod",
    type_: str = "Warning",
) -> dict[str, Any]:
    return {
        "metadata": {"name": f"{name}.{reason}", "namespace": NS},
        "involvedObject": {"kind": kind, "name": name, "namespace": NS},
        "reason": reason,
        "message": message,
        "type": type_,
        "count": 3,
        "lastTimestamp": "2026-01-01T00:00:10Z",
    }


def state_with(*objects: tuple[str, dict[str, Any]]) -> State:
    summarise = {
        "pods": pod_info,
        "events": kube_event_info,
        "services": service_info,
        "endpointslices": endpointslice_info,
        "deployments": deployment_info,
    }
    state = State()
    for kind, obj in objects:
        state = reduce(state, ev.KubeChanged(kind, "ADDED", summarise[kind](obj)))
    return state


def test_ready_pod_is_ok() -> None:
    state = state_with(("pods", pod(ready=True)))
    verdict = explain_pod(state, next(iter(state.pods.values())))
    assert verdict.level is Level.OK and verdict.reason == "Ready"


def test_crashloop_names_exit_code_restarts_and_last_log_line() -> None:
    crashing = pod(
        restartCount=4,
        state={
            "waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}
        },
        lastState={"terminated": {"exitCode": 1, "reason": "Error"}},
    )
    state = state_with(
        ("pods", crashing), ("events", event("BackOff", "Back-off restarting failed container backend"))
    )
    state = reduce(
        state,
        ev.PodLogsFetched(
            f"{NS}/jetscale-backend-7d9c-abcde",
            "backend",
            True,
            ("starting", "FATAL: DATABASE_URL is not set"),
        ),
    )
    verdict = explain_pod(state, state.pods[f"{NS}/jetscale-backend-7d9c-abcde"])
    assert verdict.level is Level.ERROR
    assert verdict.reason == "CrashLoopBackOff"
    assert "exited with code 1" in verdict.summary
    assert "restarted 4 times" in verdict.summary
    assert any("FATAL: DATABASE_URL is not set" in line for line in verdict.evidence)
    assert any("BackOff (x3)" in line for line in verdict.evidence)
    assert "--previous" in verdict.action


def test_image_pull_names_the_image_and_kind_load() -> None:
    pulling = pod(
        state={
            "waiting": {
                "reason": "ImagePullBackOff",
                "message": 'Back-off pulling image "jetscale-backnd:dev"',
            }
        },
        image="jetscale-backnd:dev",
    )
    verdict = explain_pod(state_with(("pods", pulling)), pod_info(pulling), cluster_name="jetscale")
    assert verdict.reason == "ImagePullBackOff"
    assert "jetscale-backnd:dev" in verdict.summary
    assert "built and loaded into kind" in verdict.summary
    assert "kind load docker-image jetscale-backnd:dev --name jetscale" in verdict.action


def _pulling(image: str) -> dict[str, Any]:
    waiting = {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}
    return pod(state={"waiting": waiting}, image=image)


def _built(state: State, *lines: str) -> State:
    state = reduce(state, ev.DeployStarted("skaffold", ("skaffold", "dev"), "dev", at=0.0))
    for line in lines:
        state = reduce(state, ev.DeployOutput(line, at=0.0))
    return state


def test_image_pull_of_a_name_a_letter_off_what_skaffold_built_is_a_typo_not_a_kind_load() -> None:
    pulling = _pulling("jetscale-backnd:dev")
    state = _built(
        state_with(("pods", pulling)), "Building [jetscale-backend]...", " - jetscale-frontend: Found Locally"
    )
    verdict = explain_pod(state, pod_info(pulling), cluster_name="jetscale")
    assert verdict.reason == "ImagePullBackOff"
    assert "looks misspelled: jetscale-backnd is not jetscale-backend (built by skaffold)" in verdict.summary
    assert "kind load" not in verdict.action and "kind load" not in verdict.summary
    assert "jetscale-backnd → jetscale-backend" in verdict.action


def test_image_pull_of_a_built_image_with_a_missing_tag_is_not_loaded() -> None:
    pulling = _pulling("jetscale-backend:0a1b2c")
    state = _built(state_with(("pods", pulling)), "Building [jetscale-backend]...")
    verdict = explain_pod(state, pod_info(pulling), cluster_name="dev")
    assert "jetscale-backend is built by skaffold, but the cluster does not have jetscale-backend:0a1b2c" in (
        verdict.summary
    )
    assert "`kind load docker-image jetscale-backend:0a1b2c --name dev`" in verdict.action


def test_image_pull_compares_with_images_running_in_the_namespace_without_a_deploy_tool() -> None:
    pulling = _pulling("jetscale-frontnd:1")
    running = pod("jetscale-frontend-1-x", ready=True, image="jetscale-frontend:1")
    verdict = explain_pod(state_with(("pods", pulling), ("pods", running)), pod_info(pulling), "jetscale")
    assert "is not jetscale-frontend (running in the namespace)" in verdict.summary
    assert "kind load" not in verdict.action


def test_oom_names_the_limit() -> None:
    oom = pod(
        restartCount=2,
        state={"waiting": {"reason": "CrashLoopBackOff"}},
        lastState={"terminated": {"exitCode": 137, "reason": "OOMKilled"}},
    )
    verdict = explain_pod(state_with(("pods", oom)), pod_info(oom))
    assert verdict.reason == "OOMKilled"
    assert "128Mi" in verdict.summary
    assert "limits.memory" in verdict.action


def test_missing_secret_points_at_external_secrets() -> None:
    bad = pod(
        state={
            "waiting": {
                "reason": "CreateContainerConfigError",
                "message": 'secret "jetscale-backend-secrets" not found',
            }
        }
    )
    verdict = explain_pod(state_with(("pods", bad)), pod_info(bad))
    assert verdict.level is Level.ERROR
    assert 'secret "jetscale-backend-secrets" not found' in verdict.summary
    assert "ExternalSecret" in verdict.action and "jetscale-backend-secrets" in verdict.action


def test_readiness_probe_failure_names_the_status_code() -> None:
    state = state_with(
        ("pods", pod()),
        ("events", event("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503")),
    )
    verdict = explain_pod(state, next(iter(state.pods.values())))
    assert verdict.level is Level.WARNING
    assert "HTTP 503" in verdict.summary
    assert "no traffic" in verdict.summary


def test_running_without_probe_events_is_progressing() -> None:
    state = state_with(("pods", pod()))
    assert explain_pod(state, next(iter(state.pods.values()))).level is Level.PROGRESSING


def test_unschedulable() -> None:
    pending = pod()
    pending["status"] = {
        "phase": "Pending",
        "conditions": [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/1 nodes are available: 1 Insufficient cpu.",
            }
        ],
    }
    state = state_with(
        ("pods", pending),
        ("events", event("FailedScheduling", "0/1 nodes are available: 1 Insufficient cpu.")),
    )
    verdict = explain_pod(state, pod_info(pending))
    assert verdict.reason == "Unschedulable"
    assert "Insufficient cpu" in verdict.summary
    assert "resource requests" in verdict.action


def deployment(ready: int, conditions: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": "jetscale-backend", "namespace": NS, "generation": 1},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "backend"}},
            "template": {"spec": {"containers": [{"name": "backend", "image": "jetscale-backend:dev"}]}},
        },
        "status": {
            "observedGeneration": 1,
            "replicas": 1,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "updatedReplicas": 1,
            "conditions": conditions or [],
        },
    }


def test_deployment_ready_and_deployment_carrying_its_pods_problem() -> None:
    state = state_with(("pods", pod(ready=True)))
    assert explain_deployment(state, deployment_info(deployment(1))).level is Level.OK
    crashing = pod(
        restartCount=3,
        state={"waiting": {"reason": "CrashLoopBackOff"}},
        lastState={"terminated": {"exitCode": 3, "reason": "Error"}},
    )
    state = state_with(("pods", crashing))
    verdict = explain_deployment(state, deployment_info(deployment(0)))
    assert verdict.level is Level.ERROR and verdict.reason == "CrashLoopBackOff"
    assert "(0/1 ready)" in verdict.summary


def test_progress_deadline_exceeded() -> None:
    stuck = deployment(
        0,
        [
            {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": 'ReplicaSet "x" has timed out progressing.',
            }
        ],
    )
    verdict = explain_deployment(state_with(("pods", pod())), deployment_info(stuck))
    assert verdict.reason == "ProgressDeadlineExceeded"
    assert any("timed out progressing" in line for line in verdict.evidence)


def service(selector: dict[str, str]) -> dict[str, Any]:
    return {
        "metadata": {"name": "jetscale-backend", "namespace": NS},
        "spec": {"selector": selector, "ports": [{"port": 8000, "targetPort": "http"}]},
    }


def slice_(ready: bool | None) -> dict[str, Any]:
    endpoints = (
        []
        if ready is None
        else [
            {
                "addresses": ["10.244.0.5"],
                "conditions": {"ready": ready},
                "targetRef": {"kind": "Pod", "name": "jetscale-backend-7d9c-abcde"},
            }
        ]
    )
    return {
        "metadata": {
            "name": "jetscale-backend-x1",
            "namespace": NS,
            "labels": {"kubernetes.io/service-name": "jetscale-backend"},
        },
        "endpoints": endpoints,
        "ports": [{"name": "http", "port": 8000}],
    }


def test_service_with_a_selector_matching_nothing() -> None:
    state = state_with(
        ("pods", pod(ready=True)), ("services", service({"app": "typo"})), ("endpointslices", slice_(None))
    )
    verdict = explain_service(state, next(iter(state.services.values())))
    assert verdict.reason == "SelectorMatchesNothing"
    assert "app=typo" in verdict.summary


def test_service_whose_pods_are_not_ready_and_one_that_works() -> None:
    state = state_with(
        ("pods", pod()),
        ("services", service({"app.kubernetes.io/name": "backend"})),
        ("endpointslices", slice_(False)),
    )
    assert explain_service(state, next(iter(state.services.values()))).reason == "NoReadyEndpoints"
    state = state_with(
        ("pods", pod(ready=True)),
        ("services", service({"app.kubernetes.io/name": "backend"})),
        ("endpointslices", slice_(True)),
    )
    assert explain_service(state, next(iter(state.services.values()))).level is Level.OK


def test_kube_sync_replaces_and_batch_applies_in_order() -> None:
    a, b = pod_info(pod("a")), pod_info(pod("b"))
    state = reduce(State(), ev.KubeSynced("pods", (a, b)))
    assert set(state.pods) == {f"{NS}/a", f"{NS}/b"}
    state = reduce(
        state,
        ev.KubeBatch(
            (
                ev.KubeChanged("pods", "DELETED", a),
                ev.KubeChanged("pods", "MODIFIED", replace(b, phase="Failed")),
            )
        ),
    )
    assert list(state.pods) == [f"{NS}/b"] and state.pods[f"{NS}/b"].phase == "Failed"
    state = reduce(state, ev.KubeSynced("pods", ()))
    assert state.pods == {}


def test_api_unreachable_keeps_its_first_time() -> None:
    state = reduce(State(), ev.ApiStatus(False, at=10.0, error="connection refused"))
    state = reduce(state, ev.ApiStatus(False, at=20.0, error="connection refused"))
    assert state.cluster.api == "unreachable" and state.cluster.unreachable_since == 10.0
    state = reduce(state, ev.ApiStatus(True, at=30.0, server_version="v1.33.1"))
    assert state.cluster.api == "reachable" and state.cluster.unreachable_since is None


def test_a_container_running_between_crashes_is_still_a_crash_loop() -> None:
    between = pod(restartCount=3, lastState={"terminated": {"exitCode": 1, "reason": "Error"}})
    state = state_with(
        ("pods", between), ("events", event("Unhealthy", "Readiness probe failed: connection refused"))
    )
    verdict = explain_pod(state, pod_info(between))
    assert verdict.reason == "CrashLoopBackOff" and "exited with code 1" in verdict.summary


def test_a_probe_failing_once_while_the_program_starts_is_just_starting() -> None:
    starting = event(
        "Unhealthy",
        'Readiness probe failed: Get "http://10.244.0.3:8000/healthz": connect: connection refused',
    )
    starting["count"] = 1
    state = state_with(("pods", pod()), ("events", starting))
    verdict = explain_pod(state, next(iter(state.pods.values())))
    assert verdict.level is Level.PROGRESSING and verdict.reason == "Starting"
    assert any("connection refused" in line for line in verdict.evidence)


def test_a_container_that_recovered_from_oom_keeps_the_reason_of_its_last_termination() -> None:
    recovered = pod(
        ready=True,
        restartCount=2,
        lastState={"terminated": {"exitCode": 137, "reason": "OOMKilled", "message": "memory cgroup out"}},
    )
    state = state_with(("pods", recovered))
    verdict = explain_pod(state, pod_info(recovered))
    assert verdict.level is Level.WARNING and verdict.reason == "Restarted"
    assert "restarted 2 times" in verdict.summary
    assert "OOMKilled (exit code 137: it was killed" in verdict.summary
    assert any(
        "last terminated OOMKilled" in line and "memory cgroup out" in line for line in verdict.evidence
    )
    assert any("memory limit 128Mi" in line for line in verdict.evidence)
    assert "limits.memory" in verdict.action and "--previous" in verdict.action
    workload = explain_deployment(state, deployment_info(deployment(1)))
    assert workload.level is Level.OK and workload.reason == "Ready"
    assert "OOMKilled" in workload.summary and workload.evidence == verdict.evidence


def test_a_container_that_recovered_from_a_crash_keeps_exit_code_and_last_log_lines() -> None:
    recovered = pod(ready=True, restartCount=1, lastState={"terminated": {"exitCode": 1, "reason": "Error"}})
    state = state_with(("pods", recovered), ("deployments", deployment(1)))
    state = reduce(
        state,
        ev.PodLogsFetched(recovered_key(), "backend", True, ("starting", "FATAL: cannot reach db:5432")),
    )
    verdict = explain_pod(state, state.pods[recovered_key()])
    assert verdict.reason == "Restarted"
    assert "last stopped with Error (exit code 1: the program reported an error)" in verdict.summary
    assert any("FATAL: cannot reach db:5432" in line for line in verdict.evidence)
    # The cached verdicts every view uses say the same for the pod and its (healthy) workload.
    cached = verdicts_of(state)
    assert cached.pods[recovered_key()] == verdict
    [(name, workload)] = cached.named
    assert workload.level is Level.OK and "Error (exit code 1" in workload.summary
    assert any("FATAL: cannot reach db:5432" in line for line in workload.evidence)


def recovered_key() -> str:
    return f"{NS}/jetscale-backend-7d9c-abcde"
