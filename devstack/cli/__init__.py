"""The `devstack` command line: the composition root.

The CLI is the one place that wires sources, engine, views and the TUI together (and the only
product code that may import the simulator, for `devstack demo`). `main` reads the environment
once into `Settings`, runs the click group (`group.py`; one module per command family) and turns
every failure into one clear message and an exit code.
"""

from __future__ import annotations

import sys

import click

from devstack import __version__
from devstack.cli.group import cli
from devstack.cli.json_errors import JsonErrorPath, wants_json
from devstack.errors import DevstackError
from devstack.exitcodes import INTERRUPTED, USAGE

__all__ = ["cli", "main"]


def _report_crash(err: Exception, argv: list[str] | None) -> int:
    """An unexpected failure: one line for the user, the traceback in the crash log (or with -vv)."""
    import traceback

    from devstack.settings import Settings

    trace = traceback.format_exc()
    where = "run with -vv for the traceback"
    log = None
    try:
        log = Settings.from_environ().state_dir / "crash.log"
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a", encoding="utf-8") as handle:
                handle.write(f"--- devstack {__version__} {argv or sys.argv[1:]}\n{trace}\n")
            where = f"traceback in {log}"
    except (OSError, DevstackError):
        where = f"could not write {log}; run with -vv for the traceback"
    if "-vv" in (argv or sys.argv[1:]):
        click.echo(trace, err=True)
    click.echo(f"devstack: internal error: {type(err).__name__}: {err} ({where})", err=True)
    return 1


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every failure into one clear message and an exit code.

    The group's callback reads the environment (`Settings`) and installs the exit handlers, so
    `--help` and `--version` load nothing beyond click. Any command given `--json` that fails
    before printing its document prints the error document (`json_errors.error_document`) on
    stdout; the message still goes to stderr.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    json_path = JsonErrorPath(wants_json(args))
    message, fix, problems = "", "", ()
    with json_path.watching():
        try:
            code = cli.main(args=args, prog_name="devstack", standalone_mode=False)
        except click.exceptions.Exit as done:
            code = done.exit_code
        except click.ClickException as err:
            err.show()
            code = err.exit_code if err.exit_code else USAGE
            message = err.format_message()
        except (KeyboardInterrupt, click.Abort):
            click.echo("devstack: interrupted", err=True)
            code, message = INTERRUPTED, "interrupted"
        except SystemExit as stopped:  # SIGTERM/SIGHUP (`install_exit_handlers`): 128 + the signal
            code = stopped.code if isinstance(stopped.code, int) else 1
            message = f"stopped by signal {code - 128}" if code > 128 else ""
        except DevstackError as err:
            for line in err.lines():
                click.echo(line, err=True)
            code, message, fix = err.exit_code, err.message, err.fix
            problems = tuple(getattr(err, "problems", None) or ())
        except Exception as err:  # noqa: BLE001 - the one place crashes become a message + crash log
            code = _report_crash(err, argv)
            message = f"internal error: {type(err).__name__}: {err}"
    if message:
        json_path.failed(message, fix, code, problems)
    sys.exit(code if isinstance(code, int) else 0)
