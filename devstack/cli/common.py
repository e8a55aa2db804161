"""Helpers every command uses: loading the profile, the engine context, printing."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any, TextIO

import click

from devstack.cli.options import Options
from devstack.core.store import Store
from devstack.engine.context import EngineContext, guard_context
from devstack.profile import LoadedProfile, load
from devstack.settings import Settings
from devstack.sources.kubeconfig import ContextNotFound
from devstack.sources.tools import ToolEnv


def load_profile(profile: str | None, user: str = "") -> LoadedProfile:
    """Load and validate the profile named by `-p` (default `local-kind`), its namespace expanded
    for `user` (`Settings.user`); raises on any problem."""
    return load(profile, Path.cwd(), user)


def engine_context(
    options: Options,
    *,
    recreate: bool = False,
    overall_timeout: float | None = None,
    interactive: bool = False,
    cluster_exists: bool = True,
) -> EngineContext:
    """Load the profile, refuse a non-allowed context, and build the engine context.

    With `cluster_exists` (every command but `up`, whose cluster step creates the cluster and its
    context) the context is also confined and checked now, before any call: a malformed kubeconfig,
    or a kind context that is not the cluster's own API server, is exit 2. A context that is not
    there at all is said by whatever needs it (`check` can name a foreign port holder without it).
    """
    loaded = load_profile(options.profile, options.settings.user)
    guard_context(loaded)
    tools, state_dir = tools_for(loaded, options.settings)
    ctx = EngineContext(
        loaded,
        Store(),
        tools,
        recreate=recreate,
        overall_timeout=overall_timeout,
        interactive=interactive,
        state_dir=state_dir,
    )
    if cluster_exists:
        with contextlib.suppress(ContextNotFound):
            ctx.confine()
    return ctx


def tools_for(loaded: LoadedProfile | None, settings: Settings) -> tuple[ToolEnv, Path]:
    """The tools and state dir a command on `loaded` uses: the user's, or, for a profile of a
    running `devstack demo` (`-p <its profile path>`), the demo's own (kubeconfig, stand-ins)."""
    if loaded is not None:
        from devstack.cli.demo_stack import live_demo

        demo = live_demo(loaded, settings)
        if demo is not None:
            return demo.tools, demo.state_dir
    return ToolEnv.from_settings(settings), settings.state_dir


def echo_lines(lines: list[str]) -> None:
    """Print lines on stdout."""
    for line in lines:
        click.echo(line)


def colour(options: Options, stream: TextIO | None = None) -> bool:
    """Whether `stream` (stdout by default) gets colour."""
    return options.settings.colour(stream or sys.stdout)


def read_timeline(ctx: EngineContext) -> dict[str, Any] | None:
    """The dev loop's timeline a devstack `up` of this profile keeps (None: none recorded)."""
    from devstack.sources import timeline_file

    if ctx.state_dir is None:
        return None
    return timeline_file.read(timeline_file.timeline_path(ctx.state_dir, ctx.profile.name, ctx.context))
