"""`devstack` with no command: the terminal app (the machine status when there is no terminal)."""

from __future__ import annotations

import click

from devstack.cli.doctor import run as run_doctor
from devstack.cli.options import Options
from devstack.errors import DevstackError
from devstack.exitcodes import MISSING_PREREQUISITE


def open_app(options: Options) -> int:
    """Open the TUI for the profile (walkthrough on the first launch or without a cluster).

    Without a terminal (piped, CI) it prints the doctor status instead; without a stack it says
    so and points to `devstack demo`.
    """
    from devstack.tui.launch import interactive_terminal

    if not interactive_terminal():
        return _status(options)
    from devstack.cli.common import engine_context

    try:
        ctx = engine_context(options, interactive=True, cluster_exists=False)  # the app runs up
    except DevstackError as err:
        for line in err.lines():
            click.echo(line, err=True)
        click.echo("\nWithout a stack, `devstack demo` shows devstack against a simulated cluster.", err=True)
        return err.exit_code
    from devstack.engine.session import Session
    from devstack.tui.launch import run_tui

    session = Session(ctx.store, build=lambda _store: ctx)
    return run_tui(session, autostart=True, tour=True if options.tour else None, settings=options.settings)


def _status(options: Options) -> int:
    """The doctor status, for a `devstack` run without a terminal."""
    click.echo("devstack: no terminal for the app; here is the machine status.\n")
    code = run_doctor(options, as_json=False)
    if code == MISSING_PREREQUISITE:
        click.echo(
            "\nsomething devstack needs is missing (see the fix lines above). "
            "Without Docker or kind, `devstack demo` runs the whole flow against a simulated cluster."
        )
    return code
