"""The header: profile, cluster and context, API status, deploy tool state, overall health."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from devstack.tui.format import level_mark, mark, style_of
from devstack.tui.widgets.quiet import QuietStatic

if TYPE_CHECKING:
    from devstack.core.deploy import DeployState
    from devstack.core.state import ClusterView
    from devstack.tui.frames import Frame


DEPLOY_STATUS = {
    "idle": "pending",
    "building": "running",
    "deploying": "running",
    "stabilizing": "running",
    "deployed": "ok",
    "watching": "ok",
    "done": "ok",
    "cleaning-up": "running",
    "failed": "failed",
}
API_STATUS = {"reachable": "ok", "unreachable": "error", "unknown": "pending"}


def api_text(cluster: ClusterView) -> Text:
    """`API ✓ reachable (v1.31.0)`."""
    status = API_STATUS.get(cluster.api, "pending")
    text = Text("API ")
    text.append_text(mark(status))
    version = f" ({cluster.server_version})" if cluster.server_version else ""
    text.append(f" {cluster.api}{version}", style=style_of(status))
    return text


def deploy_text(deploy: DeployState) -> Text:
    """`skaffold dev ✓ watching (iteration 2)` or `deploy · not started`."""
    if not deploy.tool:
        return Text("deploy · not started", style=style_of("pending"))
    status = DEPLOY_STATUS.get(deploy.phase, "pending")
    text = Text(f"{deploy.tool} {deploy.mode} ")
    text.append_text(mark(status))
    iteration = f" (iteration {deploy.iteration})" if deploy.iteration else ""
    exit_code = f", exit {deploy.exit_code}" if deploy.exit_code not in (None, 0) else ""
    text.append(f" {deploy.phase}{iteration}{exit_code}", style=style_of(status))
    return text


class StatusHeader(QuietStatic):
    """Two lines that say where devstack points and how healthy it all is."""

    _inputs: tuple[object, ...] = ()

    def show(self, frame: Frame) -> None:
        """Render from the frame (nothing to do when what it shows did not change)."""
        state = frame.state
        inputs = (state.profile, state.context, state.cluster, state.deploy, frame.health)
        if inputs == self._inputs:
            return
        self._inputs = inputs
        first = Text.assemble(
            ("devstack", "bold"),
            "  profile ",
            (state.profile or "—", "bold"),
            "  context ",
            (state.context or "—", "bold"),
            "  ",
        )
        first.append_text(api_text(state.cluster))
        level, summary = frame.health
        second = deploy_text(state.deploy)
        second.append("   health ")
        second.append_text(level_mark(level))
        second.append(f" {summary}", style=style_of(level.value))
        self.show_text(Text("\n").join([first, second]))
