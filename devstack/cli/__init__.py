"""The `devstack` command line: the composition root.

The CLI is the one place that wires sources, engine, views and the TUI together (and the only
product code that may import the simulator, for `devstack demo`). `main` reads the environment
once into `Settings`, runs the click group (`group.py`; one module per command family) and turns
every failure into one clear message and an exit code.
"""

from __future__ import annotations

import sys
from typing import Any

from devstack.cli.guard import Failure, run_guarded
from devstack.exitcodes import USAGE

__all__ = ["cli", "main"]


def __getattr__(name: str) -> Any:
    """`devstack.cli.cli`, the click group, imported when first asked for (this package stays click-free)."""
    if name == "cli":
        from devstack.cli.group import cli

        return cli
    raise AttributeError(name)


def _run_click(args: list[str]) -> int | None:
    """The click group on `args`; a usage error is shown here and ends as a `Failure`."""
    import click

    from devstack.cli.group import cli

    try:
        return cli.main(args=args, prog_name="devstack", standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as err:
        err.show()
        raise Failure(err.exit_code if err.exit_code else USAGE, err.format_message()) from None
    except click.Abort:
        raise KeyboardInterrupt from None


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every failure into one clear message and an exit code.

    The group's callback reads the environment (`Settings`) and installs the exit handlers, so
    `--help` and `--version` load nothing beyond click. Failures end in `guard.run_guarded` (any
    command given `--json` that fails before printing its document prints the error document).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    run_guarded(lambda: _run_click(args), args)
