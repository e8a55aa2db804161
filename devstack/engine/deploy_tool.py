"""The common interface of deploy tools' runners (`DeployTool`) and what they share: waiting for
a dev loop's first deploy. `engine/deploy_select.py` picks the runner of a profile.

Both runners are given the same `EngineContext`: the one allowed context (`guard_context`
refused every other before any tool starts) and `ctx.tools.child_env()`, whose KUBECONFIG holds
only that context.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from devstack.core.deploy import DeployState
from devstack.engine.context import EngineContext
from devstack.engine.runner import Progress, StepError
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


def await_first_deploy(
    ctx: EngineContext,
    what: str,
    deployed: Callable[[DeployState], bool],
    failure: Callable[[int | None], StepError],
) -> DeployState:
    """Wait until a dev loop's first deploy is done (`deployed`); its exit or a `failed` phase
    raises `failure(exit code or None)`, the deploy timeout a StepError naming `what`."""
    timeout = ctx.timeout("deploy")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not ctx.cancel.is_set():
        deploy = ctx.store.state.deploy
        if deploy.exit_code is not None:
            raise failure(deploy.exit_code)
        if deployed(deploy):
            return deploy
        if deploy.phase == "failed":
            raise failure(None)
        time.sleep(0.1)
    raise StepError(f"{what} did not deploy within {timeout:.0f}s")
