"""The one immutable state every view renders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from devstack.core.checks import CheckResult
from devstack.core.deploy import DeployState
from devstack.core.kube import DeploymentInfo, EndpointSliceInfo, KubeEventInfo, PodInfo, ServiceInfo
from devstack.core.model import CheckStatus, DoctorCheck, StepState, StepStatus
from devstack.core.pipeline import RunPlan
from devstack.core.portforward import ForwardView
from devstack.core.resources import AnyInfo
from devstack.core.tilt import TiltView
from devstack.core.timeline import Timeline


@dataclass(frozen=True)
class ClusterView:
    """What devstack knows of the API server it talks to."""

    api: str = "unknown"  # unknown | reachable | unreachable
    error: str = ""
    unreachable_since: float | None = None
    server_version: str = ""


@dataclass(frozen=True)
class LogTail:
    """Last lines of one container's log."""

    container: str
    previous: bool
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Browse:
    """What the kind browser lists: one kind in one namespace of the allowed context."""

    kind: str = ""
    namespace: str = ""
    items: Mapping[str, AnyInfo] = field(default_factory=dict)
    synced: bool = False

    @property
    def scope(self) -> str:
        """The scope its watch's events carry (`kind@namespace`; "" when closed)."""
        return f"{self.kind}@{self.namespace}" if self.kind else ""


@dataclass(frozen=True)
class State:
    """Everything devstack knows right now. Replace, never mutate (`dataclasses.replace`)."""

    command: str = ""
    profile: str = ""
    context: str = ""
    steps: tuple[StepState, ...] = ()
    plan: RunPlan | None = None
    """What the profile sets up (ports, namespace, URLs); None when no profile is known."""
    doctor: tuple[DoctorCheck, ...] = ()
    cluster: ClusterView = ClusterView()
    deploy: DeployState = field(default_factory=DeployState)
    timeline: Timeline = field(default_factory=Timeline)
    """The dev loop's iterations (`core/timeline.py`)."""
    tilt: TiltView = field(default_factory=TiltView)
    """Tilt's resources and session, when the deploy tool is Tilt (`core/tilt.py`)."""
    pods: Mapping[str, PodInfo] = field(default_factory=dict)
    deployments: Mapping[str, DeploymentInfo] = field(default_factory=dict)
    services: Mapping[str, ServiceInfo] = field(default_factory=dict)
    endpointslices: Mapping[str, EndpointSliceInfo] = field(default_factory=dict)
    kube_events: Mapping[str, KubeEventInfo] = field(default_factory=dict)
    """Kubernetes Events (`kind: Event`) of the namespace; not the store's own events."""
    logs: Mapping[str, LogTail] = field(default_factory=dict)
    forwards: Mapping[str, ForwardView] = field(default_factory=dict)
    checks: tuple[CheckResult, ...] = ()
    checks_running: tuple[str, ...] = ()
    browse: Browse = Browse()

    def step(self, name: str) -> StepState | None:
        """The step with this name, or None."""
        return next((s for s in self.steps if s.name == name), None)

    @property
    def failed_step(self) -> StepState | None:
        """The first failed step, if any."""
        return next((s for s in self.steps if s.status is StepStatus.FAILED), None)

    @property
    def doctor_failures(self) -> tuple[DoctorCheck, ...]:
        """Doctor checks that failed."""
        return tuple(c for c in self.doctor if c.status is CheckStatus.FAIL)

    @property
    def missing_prerequisites(self) -> tuple[DoctorCheck, ...]:
        """Failed checks that devstack cannot work without."""
        return tuple(c for c in self.doctor_failures if c.required)
