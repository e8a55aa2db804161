"""`devstack demo`: devstack against a throwaway simulated cluster."""

from __future__ import annotations

from devstack.cli import Options
from devstack.errors import NotAvailableYet


def run(options: Options, headless: bool, scenario: str, as_json: bool) -> int:
    """Start a simulated environment and run the normal flow against it."""
    raise NotAvailableYet("devstack demo")
