"""The common interface of deploy tools' runners, and the one place that picks a runner.

`up` asks `runner_for(ctx)` and drives whatever comes back through `DeployTool`; `down` asks
`remove_stack(ctx)`. Both runners are given the same `EngineContext`: the one allowed context
(`guard_context` refused every other before any tool starts) and `ctx.tools.child_env()`, whose
KUBECONFIG holds only that context.
"""

from __future__ import annotations

from typing import Protocol

from devstack.engine.context import EngineContext
from devstack.engine.runner import Progress
from devstack.sources.stackfiles import StackFiles


class DeployTool(Protocol):
    """What `up` needs of a deploy tool's runner (`engine/deploy.py`, `engine/deploy_tilt.py`)."""

    exit_code: int | None

    def run_once(self, progress: Progress) -> str:
        """Deploy once and wait for it (CI); raises StepError on failure."""

    def start_dev(self, progress: Progress) -> str:
        """Start the dev loop in the background; return once the first deploy is done."""

    def shutdown(self) -> None:
        """Stop the tool (and what it started)."""

    def watched_files(self) -> StackFiles | None:
        """The stack files a change of which starts an iteration (None: unknown)."""


def runner_for(ctx: EngineContext) -> DeployTool:
    """The runner of the profile's `deploy.tool`."""
    if ctx.profile.deploy.tool == "tilt":
        from devstack.engine.deploy_tilt import TiltRunner

        return TiltRunner(ctx)
    from devstack.engine.deploy import DeployRunner

    return DeployRunner(ctx)


def remove_stack(ctx: EngineContext) -> str:
    """`skaffold delete` or `tilt down`, with the profile's file and the explicit context."""
    if ctx.profile.deploy.tool == "tilt":
        from devstack.engine.deploy_tilt import tilt_down

        return tilt_down(ctx)
    from devstack.engine.deploy import skaffold_delete

    return skaffold_delete(ctx)
