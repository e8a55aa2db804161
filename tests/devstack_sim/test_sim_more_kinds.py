"""The kinds the kind browser lists, served by the simulator as a real server serves them: Jobs,
CronJobs, PersistentVolumeClaims (create, get, kubectl tables) and Endpoints kept by a controller."""

from __future__ import annotations

import asyncio
import json

import pytest
from helpers import require
from sim_helpers import kubectl, kubectl_available

from devstack_sim.app import Simulator
from devstack_sim.resources import ENDPOINTS, PODS, SERVICES

pytestmark = pytest.mark.slow

MANIFEST = """\
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: sim/noop}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: backup, image: sim/noop}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
"""


async def test_kubectl_applies_and_lists_jobs_cronjobs_and_claims(process_sim: Simulator) -> None:
    require(kubectl_available(), "kubectl")
    applied = await kubectl(process_sim, "apply", "-f", "-", stdin=MANIFEST)
    assert applied.code == 0, applied.err
    assert "job.batch/migrate created" in applied.out and "cronjob.batch/nightly created" in applied.out
    listed = await kubectl(process_sim, "get", "jobs,cronjobs,pvc")
    assert listed.code == 0, listed.err
    lines = listed.out.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert any(line.startswith("cronjob.batch/nightly") and "0 3 * * *" in line for line in lines)
    assert any(line.split()[:2] == ["persistentvolumeclaim/data", "Pending"] for line in lines)
    short = await kubectl(process_sim, "get", "cj", "-o", "jsonpath={.items[0].spec.schedule}")
    assert short.out == "0 3 * * *"
    bad = await kubectl(process_sim, "get", "job", "nope")
    assert bad.code == 1 and 'jobs.batch "nope" not found' in bad.err


async def test_every_service_with_a_selector_gets_endpoints_that_follow_its_pods(
    process_sim: Simulator,
) -> None:
    store = process_sim.store
    store.create(
        SERVICES,
        {
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
        },
    )

    async def endpoints() -> dict:
        for _ in range(100):
            found = store.get(ENDPOINTS, "default", "web")
            if found is not None:
                return found
            await asyncio.sleep(0.05)
        pytest.fail("no Endpoints for the Service")

    assert "subsets" not in await endpoints()  # no pods yet: an Endpoints object without subsets
    store.create(
        PODS,
        {
            "metadata": {"name": "web-1", "namespace": "default", "labels": {"app": "web"}},
            "spec": {
                "containers": [{"name": "web", "image": "test/sleep", "ports": [{"containerPort": 8080}]}]
            },
        },
    )
    for _ in range(200):
        subsets = (store.get(ENDPOINTS, "default", "web") or {}).get("subsets") or []
        if subsets and subsets[0].get("addresses"):
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail(f"the pod never became a ready address: {json.dumps(subsets)}")
    assert subsets[0]["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    assert subsets[0]["addresses"][0]["targetRef"]["name"] == "web-1"
    store.delete(SERVICES, "default", "web")
    for _ in range(100):
        if store.get(ENDPOINTS, "default", "web") is None:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the Endpoints outlived its Service")
