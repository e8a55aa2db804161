"""`devstack` with no command: the terminal app (until it lands: the machine status, said so)."""

from __future__ import annotations

import click

from devstack.cli import Options
from devstack.commands.doctor import run as run_doctor
from devstack.exitcodes import MISSING_PREREQUISITE


def open_app(options: Options) -> int:
    """Open the TUI; for now print the doctor status and say that the TUI is not there yet."""
    click.echo("devstack: the terminal app is not available yet; here is the machine status.\n")
    code = run_doctor(options, as_json=False)
    if code == MISSING_PREREQUISITE:
        click.echo(
            "\nsomething devstack needs is missing (see the fix lines above). "
            "Without Docker or kind, `devstack demo` runs the whole flow against a simulated cluster."
        )
    return code
