"""When a rollout is seen done and a forward re-targeted: the rules behind the timeline's `rollout`
and `forwards` phases (`core/timeline.py`), on the summaries the watch keeps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from devstack.core.kube import DeploymentInfo, PodInfo, selects
from devstack.core.portforward import ForwardView


def _bare(image: str) -> str:
    """An image reference without registry defaults and digest (`docker.io/library/x:t` → `x:t`)."""
    ref = image.split("@", 1)[0]
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/library/"):
        ref = ref.removeprefix(prefix)
    return ref


def _repository(image: str) -> str:
    ref = _bare(image)
    head, _, tail = ref.rpartition(":")
    return head if head and "/" not in tail else ref


def _expected(images: Iterable[str], tags: Mapping[str, str]) -> dict[str, str]:
    """repository → the reference this iteration deployed, for the images it built."""
    wanted = {_repository(ref): _bare(ref) for ref in tags.values()}
    return {_repository(i): wanted[_repository(i)] for i in images if _repository(i) in wanted}


def _stale(pod: PodInfo, wanted: Mapping[str, str]) -> bool:
    """The pod runs an older image of an artifact this iteration built."""
    return any(
        _repository(c.image) in wanted and _bare(c.image) != wanted[_repository(c.image)]
        for c in pod.containers
    )


def rollout_waiting(
    deployments: Mapping[str, DeploymentInfo], pods: Mapping[str, PodInfo], tags: Mapping[str, str]
) -> list[str]:
    """What the rollout of this iteration still waits for, per Deployment ([] when rolled out).

    A Deployment that runs an artifact of this iteration is rolled out when its spec holds the new
    image, the controller saw it, every wanted replica is ready, and every pod it selects (not
    terminating) runs the new image and is Ready. `tags` maps artifact → deployed reference.
    With no Deployment seen at all (a first deploy the watch has not caught up with), it waits.
    """
    if not deployments:
        return ["no Deployment seen by the watch yet"]
    waiting = []
    for deployment in sorted(deployments.values(), key=lambda d: d.name):
        wanted = _expected(deployment.images, tags)
        if not wanted and tags:
            continue
        if any(_bare(i) != wanted.get(_repository(i), _bare(i)) for i in deployment.images):
            waiting.append(f"{deployment.name}: the new image is not in its spec yet")
            continue
        mine = [
            p
            for p in pods.values()
            if p.namespace == deployment.namespace
            and selects(deployment.selector, p.labels)
            and not p.deleting
        ]
        fresh = [p for p in mine if not _stale(p, wanted)]
        ready = sum(1 for p in fresh if p.ready)
        old = len(mine) - len(fresh)
        if deployment.observed_generation < deployment.generation or ready < deployment.replicas or old:
            extra = f", {old} old pod(s) still running" if old else ""
            waiting.append(f"{deployment.name}: {ready}/{deployment.replicas} new pod(s) ready{extra}")
    return waiting


def forwards_waiting(
    forwards: Mapping[str, ForwardView],
    pods: Mapping[str, PodInfo],
    names: Sequence[str],
    tags: Mapping[str, str],
) -> list[str]:
    """The forwards not yet serving a ready, current pod ([] when every one was re-targeted)."""
    wanted = {_repository(ref): _bare(ref) for ref in tags.values()}
    waiting = []
    for name in names:
        view = forwards.get(name)
        if view is None or view.status != "ready" or not view.pod:
            waiting.append(f"{name}: no ready endpoint yet")
            continue
        pod = next((p for p in pods.values() if p.name == view.pod), None)
        if pod is None or pod.deleting or not pod.ready or _stale(pod, wanted):
            waiting.append(f"{name}: still on pod {view.pod}")
    return waiting
