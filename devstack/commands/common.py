"""Helpers every command uses: loading the profile, printing, JSON."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from devstack.profile import LoadedProfile, load
from devstack.views.style import use_colour


def load_profile(profile: str | None) -> LoadedProfile:
    """Load and validate the profile named by `-p` (default `local-kind`); raises on any problem."""
    return load(profile, Path.cwd())


def echo_lines(lines: list[str]) -> None:
    """Print lines on stdout."""
    for line in lines:
        click.echo(line)


def colour() -> bool:
    """Whether stdout gets colour."""
    return use_colour(sys.stdout)
