"""The options every command shares, and the settings read from the environment (click-free to import)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import click

    from devstack.settings import Settings


def _settings_from_environ() -> Settings:
    from devstack.settings import Settings

    return Settings.from_environ()


JSON_HELP = "Print one JSON document instead of text."


@dataclass
class Options:
    """Global options shared by every command, and the settings (environment) of this run."""

    profile: str | None
    verbose: int
    tour: bool = False
    settings: Settings = field(default_factory=_settings_from_environ)


def options_of(ctx: click.Context) -> Options:
    """The run's `Options` (made by the group)."""
    return ctx.ensure_object(Options)


def _set_profile(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.find_object(Options).profile = value  # type: ignore[union-attr]


def profile_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """`-p/--profile` accepted after the command too (`devstack up -p ci-kind`)."""
    import click

    return click.option(
        "-p",
        "--profile",
        metavar="NAME|PATH",
        expose_value=False,
        callback=_set_profile,
        help="Profile name in profiles/, or a profile file.",
    )(command)
