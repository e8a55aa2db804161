"""Run the terminal app for a session from the CLI, and always clean up after it.

`run_tui` runs `DevstackApp` (which stops the engine on `q`, Ctrl-C, SIGTERM, SIGHUP and SIGINT
and restores the terminal), then closes the session whatever happened: the dev loop, forwards
and watches stopped, every child process reaped, the demo environment removed.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devstack.engine.session import Session
    from devstack.settings import Settings


def interactive_terminal() -> bool:
    """stdin and stdout are a terminal (else the headless flow runs)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def run_tui(
    session: Session,
    *,
    autostart: bool,
    tour: bool | None,
    settings: Settings,
    closing: str = "",
    tour_name: str = "devstack",
) -> int:
    """Run the app on `session` until it exits; returns its exit code (128+n after a signal).

    `tour_name` names the walkthrough remembered as seen (the demo has its own).
    """
    from devstack.tui.app import DevstackApp

    app = DevstackApp(
        session, autostart=autostart, tour=tour, state_dir=settings.state_dir, tour_name=tour_name
    )
    try:
        app.run()
    finally:
        if closing:
            print(closing, file=sys.stderr, flush=True)
        session.close()
    return app.return_code or app.exit_code
