"""The skaffold stand-in's status check against a simulated API server (objects only, no runtime)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from devstack_sim.background import BackgroundSimulator
from devstack_sim.resources import DEPLOYMENTS, PODS
from devstack_sim.standins import statuscheck
from devstack_sim.standins.apply import Kube
from devstack_sim.standins.render import RUN_ID

NS = "default"


def _deployment(name: str, ready: bool) -> dict[str, Any]:
    replicas = 1 if ready else 0
    return {
        "metadata": {"name": name, "namespace": NS, "labels": {RUN_ID: "run-1"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": "x"}]},
            },
        },
        "status": {
            "observedGeneration": 1,
            "replicas": 1,
            "updatedReplicas": 1,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
        },
    }


def _crashing_pod(app: str) -> dict[str, Any]:
    return {
        "metadata": {"name": f"{app}-1", "namespace": NS, "labels": {"app": app}},
        "spec": {"containers": [{"name": app, "image": "x"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [
                {
                    "name": app,
                    "image": "x",
                    "ready": False,
                    "restartCount": 3,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}},
                }
            ],
        },
    }


def test_a_failed_deployment_ends_the_check_even_when_a_later_one_is_ready_in_the_same_pass(
    tmp_path: Path,
) -> None:
    """skaffold cancels the other checks once one deployment failed. The stand-in cleared its
    pending list and then removed the next deployment of the same pass from it (ValueError: the
    demo's skaffold dev died with `list.remove(x): x not in list`)."""
    kubeconfig = tmp_path / "kubeconfig"
    sim = BackgroundSimulator("sc", tmp_path / "sim", kubeconfig, runtime=False).start()
    kube: Kube | None = None
    try:

        def seed() -> None:  # status as the controllers and the kubelet would write it
            store = sim.simulator.store
            for kind, obj in (
                (DEPLOYMENTS, _deployment("a-backend", ready=False)),
                (PODS, _crashing_pod("a-backend")),
                (DEPLOYMENTS, _deployment("b-frontend", ready=True)),
            ):
                status = obj.pop("status")
                store.create(kind, obj)
                store.mutate(
                    kind, NS, obj["metadata"]["name"], lambda o, s=status: o.__setitem__("status", s)
                )

        sim.call(seed)
        kube = Kube(str(kubeconfig), sim.context)
        lines: list[str] = []
        error = statuscheck.run(kube, [NS], "run-1", 30, lines.append, threading.Event())
        assert error == "1/2 deployment(s) failed", lines
        assert any("deployment/a-backend failed" in line and "backing off" in line for line in lines), lines
    finally:
        if kube is not None:
            kube.close()
        sim.stop()
