"""What every pane needs from one state, computed once per repaint (verdicts cached across repaints)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from devstack.core.explain import overall
from devstack.core.health import Explanation
from devstack.core.kube import DeploymentInfo
from devstack.core.model import Level
from devstack.core.state import State
from devstack.core.verdicts import VerdictCache


@dataclass(frozen=True)
class Frame:
    """One state and everything derived from it that more than one pane shows."""

    state: State
    now: float
    pods: Mapping[str, Explanation]
    workloads: tuple[tuple[DeploymentInfo, Explanation], ...]
    health: tuple[Level, str]


class FrameBuilder:
    """Builds `Frame`s; the verdicts come from one `VerdictCache` kept across frames."""

    def __init__(self, cluster: str = ""):
        self.verdicts = VerdictCache(cluster)

    @property
    def cluster(self) -> str:
        """The kind cluster's name (for `kind load` hints)."""
        return self.verdicts.cluster

    @cluster.setter
    def cluster(self, name: str) -> None:
        self.verdicts.cluster = name

    def frame(self, state: State, now: float) -> Frame:
        """Everything the panes share for `state` at time `now`."""
        verdicts = self.verdicts.verdicts(state)
        health = overall(state, verdicts.named)
        return Frame(state, now, verdicts.pods, verdicts.workloads, health)
