"""The `up` pipeline as data: named steps, in order, with what each one is for.

The engine (`devstack.engine`) runs them; the views use the titles and explanations (the first
run walkthrough reads `why`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepInfo:
    """A named step of a pipeline."""

    name: str
    title: str
    why: str


DOCTOR = StepInfo("doctor", "Check the machine", "Docker, kind, kubectl, skaffold and helm must be usable.")
CLUSTER = StepInfo("cluster", "Cluster", "Create the kind cluster, or reuse it and start stopped nodes.")
GUARD = StepInfo("context", "Context guard", "Only the profile's allowed kube context is ever touched.")
DEPLOY = StepInfo("deploy", "Deploy", "Skaffold builds the images and installs the jetscale chart.")
READY = StepInfo("ready", "Workloads ready", "Every Deployment must have its pods Ready.")
FORWARDS = StepInfo("forwards", "Port forwards", "localhost:3000 and localhost:8000 reach the services.")
CHECKS = StepInfo("checks", "Checks", "The frontend's API base URL reaches the backend, CORS included.")

UP_STEPS: tuple[StepInfo, ...] = (DOCTOR, CLUSTER, GUARD, DEPLOY, READY, FORWARDS, CHECKS)


def step_names(steps: tuple[StepInfo, ...]) -> tuple[str, ...]:
    """Names of the given steps, in order."""
    return tuple(step.name for step in steps)
