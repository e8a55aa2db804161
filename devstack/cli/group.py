"""The `devstack` click group and its commands.

This module must stay cheap to import: `devstack --help` and `--version` never load textual,
kubernetes or docker (tests/test_cli_startup.py checks `sys.modules`). Each command imports its
body (a module of this package) when it runs.
"""

from __future__ import annotations

import sys

import click

from devstack import __version__
from devstack.cli.demo import DEPLOY_TOOLS, SCENARIOS
from devstack.cli.options import JSON_HELP, options_of, profile_option
from devstack.cli.start import begin, remove_stale

JUNIT_HELP = "Write a JUnit XML report: one testcase per step, workload and check (CI)."
REPORT_DIR_HELP = "On failure, write state, explanations, events, logs, deploy output and timeline here (CI)."
TAKE_OVER_HELP = (
    "Stop what holds a forward port, only if it is provably a forward of this stack "
    "(a devstack forward by its marker, or a kubectl port-forward to the same context)."
)


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
    ctx.obj = begin(profile, verbose, tour, ctx.invoked_subcommand)
    if ctx.invoked_subcommand is None:
        from devstack.cli.interactive import open_app

        return open_app(ctx.obj)
    return 0


@cli.command()
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@profile_option
@click.pass_context
def doctor(ctx: click.Context, as_json: bool) -> int:
    """Check Docker, kind, kubectl, skaffold, helm, ports and the kube context."""
    from devstack.cli.doctor import run

    return run(options_of(ctx), as_json)


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
    from devstack.cli.validate import run

    return run(options_of(ctx), paths, kube_version, as_json)


@cli.command()
@click.option("--headless", is_flag=True, help="No terminal app: print progress lines (CI).")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.option("--timeout", type=float, metavar="SECONDS", help="Give up after this long.")
@click.option("--recreate", is_flag=True, help="Delete and recreate a cluster that differs from the profile.")
@click.option("--hold", is_flag=True, help="Keep forwards open after the checks, until Ctrl-C.")
@click.option("--take-over", is_flag=True, help=TAKE_OVER_HELP)
@click.option("--junit", metavar="FILE", help=JUNIT_HELP)
@click.option("--report-dir", metavar="DIR", help=REPORT_DIR_HELP)
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
    junit: str | None,
    report_dir: str | None,
) -> int:
    """Create or reuse the cluster, deploy, wait until ready, forward ports, run checks."""
    from devstack.cli.lifecycle import up as run

    return run(options_of(ctx), headless, as_json, timeout, recreate, hold, take_over, junit, report_dir)


@cli.command()
@click.option("--delete-cluster", is_flag=True, help="Also delete the kind cluster.")
@click.option(
    "--stale",
    is_flag=True,
    help="Only remove what a devstack that is gone left behind (demos, credential files); no profile.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@profile_option
@click.pass_context
def down(ctx: click.Context, delete_cluster: bool, stale: bool, as_json: bool) -> int:
    """Remove what `up` deployed (and the cluster with --delete-cluster)."""
    from devstack.cli.lifecycle import down as run
    from devstack.cli.lifecycle import down_stale

    if stale:
        if delete_cluster:
            raise click.UsageError("--stale and --delete-cluster do not go together")
        return down_stale(options_of(ctx), as_json)
    remove_stale(options_of(ctx))
    return run(options_of(ctx), delete_cluster, as_json)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@profile_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> int:
    """A snapshot of cluster, workloads, pods, services and what is wrong."""
    from devstack.cli.lifecycle import status as run

    return run(options_of(ctx), as_json)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.option("--junit", metavar="FILE", help=JUNIT_HELP)
@click.option("--report-dir", metavar="DIR", help=REPORT_DIR_HELP)
@profile_option
@click.pass_context
def check(ctx: click.Context, as_json: bool, junit: str | None, report_dir: str | None) -> int:
    """Run the profile's HTTP checks and the API-base-URL check."""
    from devstack.cli.connectivity import check as run

    return run(options_of(ctx), as_json, junit, report_dir)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.option("--take-over", is_flag=True, help=TAKE_OVER_HELP)
@profile_option
@click.pass_context
def forward(ctx: click.Context, as_json: bool, take_over: bool) -> int:
    """Forward the profile's local ports to its services, in the foreground."""
    from devstack.cli.connectivity import forward as run

    return run(options_of(ctx), as_json, take_over)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@profile_option
@click.pass_context
def report(ctx: click.Context, as_json: bool) -> int:
    """A markdown diagnostic bundle (versions, profile, status, events, logs; secrets redacted)."""
    from devstack.cli.report import run

    return run(options_of(ctx), as_json)


@cli.command()
@click.option(
    "--headless", is_flag=True, help="No terminal app: run the headless flow and hold until Ctrl-C."
)
@click.option(
    "--scenario",
    type=click.Choice(SCENARIOS),
    default=SCENARIOS[0],
    show_default=True,
    help="Seed a healthy or a broken stack.",
)
@click.option(
    "--tool",
    type=click.Choice(DEPLOY_TOOLS),
    default=DEPLOY_TOOLS[0],
    show_default=True,
    help="The deploy tool the demo drives (its stand-in on the simulated cluster).",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@profile_option
@click.pass_context
def demo(ctx: click.Context, headless: bool, scenario: str, tool: str, as_json: bool) -> int:
    """Run devstack against a throwaway simulated cluster (no Docker or kind needed)."""
    from devstack.cli.demo import run

    return run(options_of(ctx), headless, scenario, as_json, tool)


@cli.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("pod")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option(
    "-c", "--container", metavar="NAME", help="The container (default: the pod's first, or its default)."
)
@click.option("-i", "--stdin", is_flag=True, help="Pass this terminal's stdin to the command.")
@click.option(
    "-t", "--tty", is_flag=True, help="Give the command a terminal (with -i: an interactive shell)."
)
@profile_option
@click.pass_context
def exec_command(
    ctx: click.Context, pod: str, command: tuple[str, ...], container: str | None, stdin: bool, tty: bool
) -> int:
    """Run COMMAND in POD (after `--`); exits with the command's exit code.

    Example: devstack exec jetscale-backend-5d9f-x2x -- sh -c 'echo hi; exit 3'
    """
    from devstack.cli.podexec import run

    return run(options_of(ctx), pod, container, command, stdin, tty)


@cli.command()
@click.argument("name", metavar="WORKLOAD|POD")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines, and the lines of new pods.")
@click.option("--previous", is_flag=True, help="The previous (crashed) instance of each container.")
@click.option("-c", "--container", metavar="NAME", help="Only this container.")
@click.option("--timestamps", is_flag=True, help="Start each line with the kubelet's timestamp.")
@click.option(
    "--tail", type=click.IntRange(min=0), default=200, show_default=True, help="Lines per container."
)
@profile_option
@click.pass_context
def logs(
    ctx: click.Context,
    name: str,
    follow: bool,
    previous: bool,
    container: str | None,
    timestamps: bool,
    tail: int,
) -> int:
    """Logs of a Deployment's pods (interleaved, prefixed) or of one pod."""
    from devstack.cli.podlogs import run

    return run(options_of(ctx), name, container, follow, previous, timestamps, tail)


@cli.command()
@click.argument("reference", metavar="KIND/NAME")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.option(
    "--yaml",
    "as_yaml",
    is_flag=True,
    help="Print the object as YAML (managedFields and Secret values hidden).",
)
@profile_option
@click.pass_context
def describe(ctx: click.Context, reference: str, as_json: bool, as_yaml: bool) -> int:
    """Describe one object (pod/NAME, deploy/NAME, secret/NAME, cm/NAME, ...) as kubectl does."""
    from devstack.cli.inspect import describe as run

    return run(options_of(ctx), reference, as_json, as_yaml)


@cli.command()
@click.option("--force", is_flag=True, help="Replace profiles that already exist.")
@click.pass_context
def init(ctx: click.Context, force: bool) -> int:
    """Write profiles/local-kind.yaml and ci-kind.yaml from skaffold.yaml and the chart, then validate."""
    from devstack.cli.init import run

    return run(options_of(ctx), force)


@cli.command()
@click.option(
    "--into",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Also copy them into DIR (`make setup` uses .venv/bin).",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_context
def tools(ctx: click.Context, into: str | None, as_json: bool) -> int:
    """Provide helm and kubectl: pinned, sha256-verified, kept in devstack's cache."""
    from devstack.cli.tools import run

    return run(options_of(ctx), into, as_json)


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
