"""The health verdict of every pod and workload in a state: the one place they are computed.

Explanations are pure but not free: `explain_pod` scans the events, and a Deployment's verdict
explains each of its pods. With thousands of pods that is quadratic, so `VerdictCache` explains a
pod again only when its summary, its events or its log tail changed, and explains a Deployment
from the one pod that decides its verdict (the same answer `explain_deployment` gives on the whole
state: tests compare them). Every view — `status`, `up`, the TUI — asks for verdicts here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from devstack.core.health import Explanation, explain_deployment, explain_pod
from devstack.core.kube import DeploymentInfo, KubeEventInfo, PodInfo, selects
from devstack.core.model import Level
from devstack.core.state import LogTail, State

PodKey = tuple[str, str]


@dataclass(frozen=True)
class Verdicts:
    """Explanations of every pod (by key) and every Deployment (sorted by name)."""

    pods: Mapping[str, Explanation]
    workloads: tuple[tuple[DeploymentInfo, Explanation], ...]

    @property
    def named(self) -> list[tuple[str, Explanation]]:
        """(Deployment name, explanation) pairs, sorted by name."""
        return [(d.name, v) for d, v in self.workloads]

    @property
    def not_ok(self) -> list[tuple[str, Explanation]]:
        """The workloads that are not OK."""
        return [(d.name, v) for d, v in self.workloads if v.level is not Level.OK]

    @property
    def healthy(self) -> bool:
        """There is at least one workload and every workload is OK."""
        return bool(self.workloads) and not self.not_ok


@dataclass(frozen=True)
class _PodEntry:
    pod: PodInfo
    events: tuple[KubeEventInfo, ...]
    logs: LogTail | None
    verdict: Explanation


class VerdictCache:
    """Computes `Verdicts`, re-explaining only what changed since the previous state.

    Attributes:
        cluster: The kind cluster's name for `kind load` hints ("" for other clusters).
        explained: How many pod explanations were computed (tests check the caching).
    """

    def __init__(self, cluster: str = ""):
        self.cluster = cluster
        self.explained = 0
        self._pods: dict[str, _PodEntry] = {}
        self._events_source: Mapping[str, KubeEventInfo] | None = None
        self._pod_events: dict[PodKey, tuple[KubeEventInfo, ...]] = {}
        self._artifacts: tuple[tuple[str, str], ...] = ()

    def verdicts(self, state: State) -> Verdicts:
        """The verdicts of `state`."""
        if state.deploy.artifacts != self._artifacts:  # image-pull verdicts compare with the builds
            self._pods = {}
            self._artifacts = state.deploy.artifacts
        self._index_events(state)
        pods = self._pod_verdicts(state)
        workloads = tuple(
            (d, self._workload_verdict(state, d, pods))
            for d in sorted(state.deployments.values(), key=lambda d: d.name)
        )
        return Verdicts(pods, workloads)

    def _index_events(self, state: State) -> None:
        if state.kube_events is self._events_source:
            return
        index: dict[PodKey, list[KubeEventInfo]] = {}
        for event in state.kube_events.values():
            if event.object_kind == "Pod":
                index.setdefault((event.namespace, event.object_name), []).append(event)
        self._pod_events = {key: tuple(found) for key, found in index.items()}
        self._events_source = state.kube_events

    def _events_of(self, pod: PodInfo) -> tuple[KubeEventInfo, ...]:
        return self._pod_events.get((pod.namespace, pod.name), ())

    def _pod_verdicts(self, state: State) -> dict[str, Explanation]:
        entries: dict[str, _PodEntry] = {}
        for key, pod in state.pods.items():
            events = self._events_of(pod)
            logs = state.logs.get(key)
            entry = self._pods.get(key)
            if entry is None or entry.pod is not pod or entry.logs is not logs or entry.events != events:
                only_mine = replace(state, kube_events={e.key: e for e in events})
                entry = _PodEntry(pod, events, logs, explain_pod(only_mine, pod, self.cluster))
                self.explained += 1
            entries[key] = entry
        self._pods = entries
        return {key: entry.verdict for key, entry in entries.items()}

    def _workload_verdict(
        self, state: State, deployment: DeploymentInfo, pods: Mapping[str, Explanation]
    ) -> Explanation:
        """`explain_deployment` on a state holding only the pod that decides its verdict.

        The core explains every pod of the Deployment and keeps the first one (in state order)
        with the worst level that is not OK (deleting pods left out); the others cannot change
        the verdict. The pod verdicts are already in `pods`, so only that one pod is passed.
        """
        worst: tuple[int, str] | None = None
        for key, pod in state.pods.items():
            rank = pods[key].level.rank
            if (
                rank
                and (worst is None or rank > worst[0])
                and not pod.deleting
                and pod.namespace == deployment.namespace
                and selects(deployment.selector, pod.labels)
            ):
                worst = (rank, key)
        picked = {worst[1]: state.pods[worst[1]]} if worst is not None else {}
        events = {e.key: e for pod in picked.values() for e in self._events_of(pod)}
        return explain_deployment(replace(state, pods=picked, kube_events=events), deployment, self.cluster)


def verdicts_of(state: State, cluster: str = "") -> Verdicts:
    """The verdicts of one state (no cache kept: for one-shot commands)."""
    return VerdictCache(cluster).verdicts(state)
