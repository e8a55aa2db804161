"""The `devstack` command line.

This module must stay cheap to import: `devstack --help` and `--version` never load textual,
kubernetes or docker (tests/test_cli_startup.py checks `sys.modules`). Command bodies import
what they need when they run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from devstack import __version__
from devstack.errors import DevstackError
from devstack.exitcodes import INTERRUPTED, USAGE

JSON_HELP = "Print one JSON document instead of text."


@dataclass
class Options:
    """Global options shared by every command."""

    profile: str | None
    verbose: int
    tour: bool = False


def _options(ctx: click.Context) -> Options:
    return ctx.ensure_object(Options)


def _set_profile(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.find_object(Options).profile = value  # type: ignore[union-attr]


def profile_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """`-p/--profile` accepted after the command too (`devstack up -p ci-kind`)."""
    return click.option(
        "-p",
        "--profile",
        metavar="NAME|PATH",
        expose_value=False,
        callback=_set_profile,
        help="Profile name in profiles/, or a profile file.",
    )(command)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-p", "--profile", metavar="NAME|PATH", help="Profile name in profiles/, or a profile file.")
@click.option("-v", "--verbose", count=True, help="More output (-vv: debug, tracebacks).")
@click.option("--tour", is_flag=True, help="Replay the first-run walkthrough in the terminal app.")
@click.version_option(__version__, "-V", "--version", prog_name="devstack", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, profile: str | None, verbose: int, tour: bool) -> int:
    """devstack: your whole local Kubernetes stack in one command.

    Without a command it opens the terminal app. Exit codes: 0 ok, 1 unhealthy or a check
    failed, 2 usage or config error, 3 a prerequisite is missing, 130 interrupted.
    """
    ctx.obj = Options(profile, verbose, tour)
    if ctx.invoked_subcommand is None:
        from devstack.commands.interactive import open_app

        return open_app(ctx.obj)
    return 0


@cli.command()
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@profile_option
@click.pass_context
def doctor(ctx: click.Context, as_json: bool) -> int:
    """Check Docker, kind, kubectl, skaffold, helm, ports and the kube context."""
    from devstack.commands.doctor import run

    return run(_options(ctx), as_json)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
@click.option(
    "--kube-version", default="1.33", show_default=True, help="Kubernetes version to validate against."
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@profile_option
@click.pass_context
def validate(ctx: click.Context, paths: tuple[str, ...], kube_version: str, as_json: bool) -> int:
    """Validate profiles, skaffold.yaml, chart values and rendered manifests.

    PATHS are extra values files (e.g. a fleet repo's clusters/NAME/values.yaml).
    """
    from devstack.commands.validate import run

    return run(_options(ctx), paths, kube_version, as_json)


@cli.command()
@click.option("--headless", is_flag=True, help="No terminal app: print progress lines (CI).")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.option("--timeout", type=float, metavar="SECONDS", help="Give up after this long.")
@click.option("--recreate", is_flag=True, help="Delete and recreate a cluster that differs from the profile.")
@click.option("--hold", is_flag=True, help="Keep forwards open after the checks, until Ctrl-C.")
@click.option(
    "--take-over", is_flag=True, help="Stop a stale devstack or kubectl port-forward holding a port."
)
@profile_option
@click.pass_context
def up(
    ctx: click.Context,
    headless: bool,
    as_json: bool,
    timeout: float | None,
    recreate: bool,
    hold: bool,
    take_over: bool,
) -> int:
    """Create or reuse the cluster, deploy, wait until ready, forward ports, run checks."""
    from devstack.commands.lifecycle import up as run

    return run(_options(ctx), headless, as_json, timeout, recreate, hold, take_over)


@cli.command()
@click.option("--delete-cluster", is_flag=True, help="Also delete the kind cluster.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@profile_option
@click.pass_context
def down(ctx: click.Context, delete_cluster: bool, as_json: bool) -> int:
    """Remove what `up` deployed (and the cluster with --delete-cluster)."""
    from devstack.commands.lifecycle import down as run

    return run(_options(ctx), delete_cluster, as_json)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@profile_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> int:
    """A snapshot of cluster, workloads, pods, services and what is wrong."""
    from devstack.commands.lifecycle import status as run

    return run(_options(ctx), as_json)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@profile_option
@click.pass_context
def check(ctx: click.Context, as_json: bool) -> int:
    """Run the profile's HTTP checks and the API-base-URL check."""
    from devstack.commands.lifecycle import check as run

    return run(_options(ctx), as_json)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.option(
    "--take-over", is_flag=True, help="Stop a stale devstack or kubectl port-forward holding a port."
)
@profile_option
@click.pass_context
def forward(ctx: click.Context, as_json: bool, take_over: bool) -> int:
    """Forward localhost:3000 and :8000 to the services, in the foreground."""
    from devstack.commands.lifecycle import forward as run

    return run(_options(ctx), as_json, take_over)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@profile_option
@click.pass_context
def report(ctx: click.Context, as_json: bool) -> int:
    """A markdown diagnostic bundle (versions, profile, status, events, logs; secrets redacted)."""
    from devstack.commands.lifecycle import report as run

    return run(_options(ctx), as_json)


@cli.command()
@click.option(
    "--headless", is_flag=True, help="No terminal app: run the headless flow and hold until Ctrl-C."
)
@click.option(
    "--scenario",
    type=click.Choice(["healthy", "crashloop", "imagepull", "bad-api-url"]),
    default="healthy",
    show_default=True,
    help="Seed a healthy or a broken stack.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@profile_option
@click.pass_context
def demo(ctx: click.Context, headless: bool, scenario: str, as_json: bool) -> int:
    """Run devstack against a throwaway simulated cluster (no Docker or kind needed)."""
    from devstack.commands.demo import run

    return run(_options(ctx), headless, scenario, as_json)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def version(as_json: bool) -> int:
    """Print devstack's version."""
    if as_json:
        import json

        click.echo(json.dumps({"version": __version__, "python": sys.version.split()[0]}))
    else:
        click.echo(f"devstack {__version__}")
    return 0


def _report_crash(err: Exception, argv: list[str] | None) -> int:
    """An unexpected failure: one line for the user, the traceback in the crash log (or with -vv)."""
    import traceback

    from devstack.paths import state_dir

    trace = traceback.format_exc()
    log = state_dir() / "crash.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"--- devstack {__version__} {argv or sys.argv[1:]}\n{trace}\n")
        where = f"traceback in {log}"
    except OSError:
        where = "run with -vv for the traceback"
    if "-vv" in (argv or sys.argv[1:]):
        click.echo(trace, err=True)
    click.echo(f"devstack: internal error: {type(err).__name__}: {err} ({where})", err=True)
    return 1


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every failure into one clear message and an exit code."""
    from devstack.sources.processes import install_exit_handlers

    install_exit_handlers()
    try:
        code = cli.main(args=argv, prog_name="devstack", standalone_mode=False)
    except click.exceptions.Exit as done:
        code = done.exit_code
    except click.ClickException as err:
        err.show()
        code = err.exit_code if err.exit_code else USAGE
    except (KeyboardInterrupt, click.Abort):
        click.echo("devstack: interrupted", err=True)
        code = INTERRUPTED
    except DevstackError as err:
        for line in err.lines():
            click.echo(line, err=True)
        code = err.exit_code
    except Exception as err:  # noqa: BLE001 - the one place crashes become a message + crash log
        code = _report_crash(err, argv)
    sys.exit(code if isinstance(code, int) else 0)
