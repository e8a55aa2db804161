"""`up`, `down`, `status`, `check`, `forward`, `report`: the stack's lifecycle."""

from __future__ import annotations

from devstack.cli import Options
from devstack.commands.common import load_profile
from devstack.errors import NotAvailableYet


def up(
    options: Options,
    headless: bool,
    as_json: bool,
    timeout: float | None,
    recreate: bool,
    hold: bool,
    take_over: bool,
) -> int:
    """Bring the stack up."""
    load_profile(options.profile)
    raise NotAvailableYet("devstack up")


def down(options: Options, delete_cluster: bool, as_json: bool) -> int:
    """Tear the stack down."""
    load_profile(options.profile)
    raise NotAvailableYet("devstack down")


def status(options: Options, as_json: bool) -> int:
    """Snapshot of the stack."""
    load_profile(options.profile)
    raise NotAvailableYet("devstack status")


def check(options: Options, as_json: bool) -> int:
    """Run the checks."""
    load_profile(options.profile)
    raise NotAvailableYet("devstack check")


def forward(options: Options, as_json: bool, take_over: bool) -> int:
    """Forward the ports in the foreground."""
    load_profile(options.profile)
    raise NotAvailableYet("devstack forward")


def report(options: Options, as_json: bool) -> int:
    """Diagnostic bundle."""
    load_profile(options.profile)
    raise NotAvailableYet("devstack report")
