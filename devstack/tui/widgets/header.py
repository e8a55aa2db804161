"""The header: profile, cluster and context, API status, deploy tool state, overall health.

Two lines when the terminal is wide; below `TWO_LINES` columns one line of shortened fields
(`API ✓`, no iteration or server version) that drops the context first and then ends the
health summary in an ellipsis, so the health mark is always on screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events

from devstack.tui.format import level_mark, mark, style_of
from devstack.tui.widgets.quiet import QuietStatic

if TYPE_CHECKING:
    from devstack.core.deploy import DeployState
    from devstack.core.state import ClusterView
    from devstack.core.tilt import TiltView
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
TWO_LINES = 120
"""Columns from which the header has room for two full lines."""
SEPARATOR = " · "


def api_text(cluster: ClusterView) -> Text:
    """`API ✓ reachable (v1.31.0)`."""
    status = API_STATUS.get(cluster.api, "pending")
    text = Text("API ")
    text.append_text(mark(status))
    version = f" ({cluster.server_version})" if cluster.server_version else ""
    text.append(f" {cluster.api}{version}", style=style_of(status))
    return text


def deploy_text(deploy: DeployState, short: bool = False) -> Text:
    """`skaffold dev ✓ watching (iteration 2)` or `deploy · not started` (`short`: no iteration)."""
    if not deploy.tool:
        return Text("deploy · not started", style=style_of("pending"))
    status = DEPLOY_STATUS.get(deploy.phase, "pending")
    text = Text(f"{deploy.tool} {deploy.mode} ")
    text.append_text(mark(status))
    iteration = f" (iteration {deploy.iteration})" if deploy.iteration and not short else ""
    exit_code = f", exit {deploy.exit_code}" if deploy.exit_code not in (None, 0) else ""
    text.append(f" {deploy.phase}{iteration}{exit_code}", style=style_of(status))
    return text


def tilt_text(view: TiltView) -> Text:
    """`tilt: (Tiltfile) ✓ loaded, jetscale-backend ✓ ok, jetscale-frontend ⋯ waiting on …`."""
    from devstack.core.tilt import resource_state

    text = Text("tilt: ", style="dim")
    for n, resource in enumerate(view.resources):
        status, words = resource_state(resource)
        if n:
            text.append(", ")
        text.append(f"{resource.name} ")
        text.append_text(mark(status))
        text.append(f" {words}", style=style_of(status))
    if not view.reachable and view.detail:
        text.append(f" (not answering: {view.detail})", style=style_of("pending"))
    return text


def health_text(frame: Frame) -> Text:
    """`health ✗ jetscale-backend: CrashLoopBackOff`."""
    level, summary = frame.health
    text = Text("health ")
    text.append_text(level_mark(level))
    text.append(f" {summary}", style=style_of(level.value))
    return text


def two_lines(frame: Frame, width: int = 0) -> Text:
    """The wide header: where devstack points, then the deploy tool, the health and (with Tilt)
    Tilt's resources; each line cut to `width` cells (0: not cut)."""
    state = frame.state
    first = Text.assemble(
        ("devstack", "bold"),
        "  profile ",
        (state.profile or "—", "bold"),
        "  context ",
        (state.context or "—", "bold"),
        "  ",
    )
    first.append_text(api_text(state.cluster))
    second = deploy_text(state.deploy)
    second.append("   ")
    second.append_text(health_text(frame))
    if state.deploy.tool == "tilt" and state.tilt.resources:
        # After the health, cut at the edge: the health always shows, Tilt's rows as room allows.
        second.append("   ")
        second.append_text(tilt_text(state.tilt))
    for line in (first, second):
        line.no_wrap = True
        if width:
            line.truncate(width, overflow="ellipsis")
    return Text("\n").join([first, second])


def one_line(frame: Frame, width: int) -> Text:
    """The narrow header in `width` cells: profile · context · API · deploy · health.

    What does not fit goes in this order: the context, the deploy tool's name (its mode and phase
    stay), a reachable API's mark; then the health summary ends in an ellipsis. The health mark
    always shows.
    """
    state = frame.state
    api = Text("API ")
    api.append_text(mark(API_STATUS.get(state.cluster.api, "pending")))
    profile = Text(state.profile or "—", style="bold")
    deploy = deploy_text(state.deploy, short=True)
    bare = deploy[len(state.deploy.tool) + 1 :] if state.deploy.tool else deploy
    health = health_text(frame)
    variants = [
        [profile, Text(state.context or "—"), api, deploy, health],
        [profile, api, deploy, health],
        [profile, api, bare, health],
    ]
    if state.cluster.api == "reachable":
        variants.append([profile, bare, health])
    line = Text()
    for fields in variants:
        line = Text(SEPARATOR).join(fields)
        if line.cell_len <= width:
            break
    line.no_wrap = True
    line.truncate(width, overflow="ellipsis")
    return line


class StatusHeader(QuietStatic):
    """Where devstack points and how healthy it all is: two lines when wide, one when narrow."""

    DEFAULT_CSS = """
    StatusHeader { height: auto; max-height: 2; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._frame: Frame | None = None
        self._inputs: tuple[object, ...] = ()

    def show(self, frame: Frame) -> None:
        """Render from the frame (nothing to do when what it shows and the width did not change)."""
        self._frame = frame
        state = frame.state
        width = self.content_size.width or self.app.size.width
        wide = self.app.size.width >= TWO_LINES
        inputs = (
            state.profile,
            state.context,
            state.cluster,
            state.deploy,
            state.tilt,
            frame.health,
            wide,
            width,
        )
        if inputs == self._inputs:
            return
        self._inputs = inputs
        self.show_text(two_lines(frame, width) if wide else one_line(frame, width))

    def on_resize(self, _event: events.Resize) -> None:
        """Re-fit the last frame."""
        if self._frame is not None:
            self.show(self._frame)
