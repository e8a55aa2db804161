"""The one place a profile's `deploy.tool` picks a runner (`up`) and a removal (`down`)."""

from __future__ import annotations

from devstack.engine.context import EngineContext
from devstack.engine.deploy_tool import DeployTool


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
