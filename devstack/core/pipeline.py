"""The `up` pipeline as data: named steps, in order, with what each one is for.

The engine (`devstack.engine`) runs them; the views use the titles and explanations (the first
run walkthrough reads `why`, filled in with the profile's namespace and ports from the `RunPlan`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PlannedForward:
    """A forward the profile asks for: localhost:`local_port` → Service `service`:`remote_port`."""

    name: str
    local_port: int
    service: str
    remote_port: int


@dataclass(frozen=True)
class RunPlan:
    """What the profile says a run sets up, for every text that names ports, URLs or places.

    Attributes:
        namespace: Where the workloads go.
        deploy: The deploy tool and its profile/mode, e.g. `skaffold dev (profile local-kind)`.
        forwards: The profile's forwards, in order.
        frontend_url: Where the browser opens the frontend ("" when the profile has none).
    """

    namespace: str = ""
    deploy: str = ""
    forwards: tuple[PlannedForward, ...] = ()
    frontend_url: str = ""


@dataclass(frozen=True)
class StepInfo:
    """A named step of a pipeline."""

    name: str
    title: str
    why: str


DOCTOR = StepInfo("doctor", "Check the machine", "Docker, kind, kubectl, skaffold and helm must be usable.")
CLUSTER = StepInfo("cluster", "Cluster", "Create the kind cluster, or reuse it and start stopped nodes.")
GUARD = StepInfo("context", "Context guard", "Only the profile's allowed kube context is ever touched.")
DEPLOY = StepInfo("deploy", "Deploy", "The deploy tool builds the images and installs the chart.")
READY = StepInfo("ready", "Workloads ready", "Every Deployment must have its pods Ready.")
FORWARDS = StepInfo("forwards", "Port forwards", "The profile's local ports reach its services.")
CHECKS = StepInfo("checks", "Checks", "The frontend's API base URL reaches the backend, CORS included.")

UP_STEPS: tuple[StepInfo, ...] = (DOCTOR, CLUSTER, GUARD, DEPLOY, READY, FORWARDS, CHECKS)


def step_names(steps: tuple[StepInfo, ...]) -> tuple[str, ...]:
    """Names of the given steps, in order."""
    return tuple(step.name for step in steps)


def _listed(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def why(info: StepInfo, plan: RunPlan | None) -> str:
    """What a step is for, naming the profile's own deploy, namespace and ports when known."""
    if plan is None:
        return info.why
    if info.name == DEPLOY.name and plan.deploy:
        where = f" into namespace {plan.namespace}" if plan.namespace else ""
        return f"{plan.deploy} builds the images and installs the chart{where}."
    if info.name == FORWARDS.name and plan.forwards:
        return _listed([f"localhost:{f.local_port} reaches {f.service}" for f in plan.forwards]) + "."
    return info.why
