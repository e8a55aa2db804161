"""`devstack demo`: devstack against a throwaway simulated cluster (no Docker or kind needed)."""

from __future__ import annotations

import os
import sys

import click

from devstack.cli import Options
from devstack.exitcodes import OK


def run(options: Options, headless: bool, scenario: str, as_json: bool) -> int:
    """In a terminal: the terminal app on a simulated cluster (set up after its first frame).

    Headless (or --json, or without a terminal): set up the environment, run `up` against it,
    hold until Ctrl-C.
    """
    from devstack.tui.launch import interactive_terminal

    if not (headless or as_json) and interactive_terminal():
        return _run_tui(options, scenario)
    return _run_headless(options, headless, scenario, as_json)


def _run_tui(options: Options, scenario: str) -> int:
    """`devstack demo` in the terminal app; the demo environment is removed when it exits."""
    from devstack.engine.session import Session
    from devstack.tui.launch import run_tui

    session = Session.demo(scenario, *_ports())
    closing = "devstack demo: removing the simulated cluster and its files…"
    return run_tui(session, autostart=True, tour=options.tour, closing=closing)


def _run_headless(options: Options, headless: bool, scenario: str, as_json: bool) -> int:
    """Set up the simulated environment, run `up` against it, hold until Ctrl-C."""
    from devstack.commands.lifecycle import hold_until_interrupted, print_up
    from devstack.core.store import Store
    from devstack.demo import DemoEnvironment
    from devstack.engine.context import EngineContext
    from devstack.engine.up import UpRun
    from devstack.views.headless import HeadlessPrinter
    from devstack.views.style import use_colour

    ports = _ports()
    with DemoEnvironment(scenario, *ports) as demo:
        ctx = EngineContext(demo.loaded, Store(), demo.tools)
        if not as_json:
            ctx.store.subscribe(
                HeadlessPrinter(sys.stderr, use_colour(sys.stderr), verbose=options.verbose > 0)
            )
            cluster = demo.loaded.profile.cluster.name
            click.echo(
                f"devstack demo: scenario {scenario}, simulated cluster {cluster} in {demo.home}", err=True
            )
        run_ = UpRun(ctx)
        try:
            code = run_.run()
            print_up(ctx, code, as_json)
            if headless or not as_json:
                click.echo(
                    f"open http://localhost:{ports[0]} — the demo holds until Ctrl-C"
                    if code == OK
                    else "the demo holds so you can look around (`devstack status` in another terminal "
                    f"with KUBECONFIG={demo.tools.env['KUBECONFIG']}); Ctrl-C ends it",
                    err=True,
                )
                hold_until_interrupted(ctx)
        finally:
            run_.stop()
    return code


def _ports() -> tuple[int, int]:
    frontend = int(os.environ.get("DEVSTACK_DEMO_FRONTEND_PORT", "3000"))
    backend = int(os.environ.get("DEVSTACK_DEMO_BACKEND_PORT", "8000"))
    return frontend, backend
