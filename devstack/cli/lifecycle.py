"""`up`, `down`, `status`: the stack's lifecycle, headless (and `up` in the terminal app)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from devstack.cli.common import colour, echo_lines, engine_context, read_timeline
from devstack.cli.options import Options
from devstack.core.checks import failed_summary
from devstack.core.events import CheckReported, Event, ForwardChanged, KubeSynced, SessionStarted
from devstack.core.state import State
from devstack.engine.context import EngineContext
from devstack.errors import DevstackError
from devstack.exitcodes import OK, UNHEALTHY
from devstack.views import jsonview, text
from devstack.views.headless import HeadlessPrinter

if TYPE_CHECKING:
    from devstack.sources.kubeapi import KubeApi


def up(
    options: Options,
    headless: bool,
    as_json: bool,
    timeout: float | None,
    recreate: bool,
    hold: bool,
    take_over: bool,
    junit: str | None = None,
    report_dir: str | None = None,
) -> int:
    """Bring the stack up; exit 0 only when every workload is healthy.

    In a terminal (without --headless, --json, --hold, --junit or --report-dir) the terminal app
    shows it and `up` runs `skaffold dev`; otherwise progress lines go to stderr and `skaffold run`
    deploys once.
    """
    from devstack.cli.ci_report import checked_paths
    from devstack.tui.launch import interactive_terminal

    outputs = checked_paths(junit, report_dir)
    if not (headless or as_json or hold or junit or report_dir) and interactive_terminal():
        return _up_tui(options, timeout, recreate, take_over)
    ctx = engine_context(
        options, recreate=recreate, overall_timeout=timeout, interactive=False, cluster_exists=False
    )
    return run_up_headless(
        ctx,
        options,
        as_json,
        hold_when=lambda code: hold and code == OK,
        take_over=take_over,
        outputs=outputs,
    )


def run_up_headless(
    ctx: EngineContext,
    options: Options,
    as_json: bool,
    *,
    hold_when: Callable[[int], bool],
    take_over: bool = False,
    hint: Callable[[int], str] | None = None,
    outputs: tuple[Path | None, Path | None] = (None, None),
) -> int:
    """The headless `up` (for `up --headless` and the demo): progress lines on stderr (none with
    --json), the result on stdout, then hold the forwards open when `hold_when(exit code)`.

    `outputs` are the `--junit` file and the `--report-dir` folder (written on failure) for CI.
    """
    from devstack.engine.up import UpRun

    if not as_json:
        printer = HeadlessPrinter(sys.stderr, colour(options, sys.stderr), verbose=options.verbose > 0)
        ctx.store.subscribe(printer)
    run = UpRun(ctx, take_over=take_over)
    try:
        code = run.run()
        ctx.store.flush()
        print_up(ctx, code, as_json, options)
        write_ci_outputs(ctx, code, outputs)
        if hold_when(code):
            if hint is not None:
                click.echo(hint(code), err=True)
            run.follow_checks()
            hold_until_interrupted(ctx, options)
    finally:
        ctx.store.flush(timeout=2)  # the progress lines of a run that ended in an exception
        run.stop()
    return code


def write_ci_outputs(ctx: EngineContext, code: int, outputs: tuple[Path | None, Path | None]) -> None:
    """`--junit` always; `--report-dir` when `up` failed (what it was still waiting for, and why)."""
    from devstack.cli.ci_report import up_suites, write_junit, write_report_dir

    junit_path, folder = outputs
    if junit_path is not None:
        write_junit(junit_path, up_suites(ctx.store.state, ctx.verdicts()))
    if folder is not None and code != OK:
        files = write_report_dir(ctx, folder, code, failure_summary(ctx))
        click.echo(f"wrote the failure report to {folder} ({len(files)} files)", err=True)


def failure_summary(ctx: EngineContext) -> str:
    """The failed step's error, else what each unhealthy workload is still waiting for."""
    from devstack.core.final_states import waiting_for
    from devstack.core.model import Level

    failed = ctx.store.state.failed_step
    if failed is not None:
        return f"{failed.name} failed: {failed.error}"
    pods = ctx.store.state.pods
    waiting = [waiting_for(pods, d, v.reason) for d, v in ctx.verdicts().workloads if v.level is not Level.OK]
    return "not healthy: " + ("; ".join(waiting) or "no workload")


def _up_tui(options: Options, timeout: float | None, recreate: bool, take_over: bool) -> int:
    """`up` in the terminal app (the profile is checked before the app opens)."""
    from devstack.engine.session import Session
    from devstack.tui.launch import run_tui

    ctx = engine_context(
        options, recreate=recreate, overall_timeout=timeout, interactive=True, cluster_exists=False
    )
    session = Session(ctx.store, build=lambda _store: ctx, take_over=take_over)
    return run_tui(session, autostart=True, tour=True if options.tour else None, settings=options.settings)


def print_up(ctx: EngineContext, code: int, as_json: bool, options: Options) -> None:
    """The result of `up`: workloads and checks (text), or the `up` document (JSON)."""
    state = ctx.store.state
    verdicts = ctx.verdicts().named
    if as_json:
        click.echo(jsonview.dumps(jsonview.up_document(state, code == OK, verdicts)))
        return
    if verdicts:
        echo_lines(text.workload_lines(verdicts, colour(options)))
    if state.checks:
        echo_lines(text.check_lines(state.checks, colour(options)))
    click.echo("ok: the stack is up and healthy" if code == OK else f"not healthy (exit {code})")


def hold_until_interrupted(ctx: EngineContext, options: Options) -> None:
    """Keep forwards and watches alive, printing forward changes and the checks' re-runs, until
    Ctrl-C/SIGTERM."""
    last: dict[str, str] = {}

    def on_change(state: State, event: Event) -> None:
        if isinstance(event, ForwardChanged) and last.get(event.forward.name) != event.forward.status:
            last[event.forward.name] = event.forward.status
            click.echo(text.forward_line(event.forward, colour(options, sys.stderr)), err=True)
        elif isinstance(event, CheckReported) and not state.checks_running:
            passed = sum(1 for c in state.checks if c.ok)
            message, _fix = failed_summary(state.checks)
            click.echo(
                f"checks ran again: {passed}/{len(state.checks)} passed"
                + (f"; {message}" if message else ""),
                err=True,
            )

    unsubscribe = ctx.store.subscribe(on_change)
    click.echo("holding the forwards open; Ctrl-C stops", err=True)
    try:
        threading.Event().wait()
    finally:
        unsubscribe()


def down(options: Options, delete_cluster: bool, as_json: bool) -> int:
    """`skaffold delete` (or `tilt down`); with --delete-cluster also `kind delete cluster`. Other
    entries stay."""
    from devstack.engine.deploy_select import remove_stack
    from devstack.sources import kind

    ctx = engine_context(options)
    profile = ctx.profile
    if delete_cluster and profile.cluster.provider != "kind":
        raise DevstackError(
            f"--delete-cluster only deletes kind clusters; {ctx.context} is an existing cluster", exit_code=2
        )
    removed = "tilt_down" if profile.deploy.tool == "tilt" else "skaffold_delete"
    done = {removed: remove_stack(ctx).splitlines()[-5:], "cluster_deleted": False}
    if delete_cluster:
        done["cluster_deleted"] = bool(
            kind.delete(ctx.tools, profile.cluster.name, ctx.user_kubeconfig) or True
        )
    if as_json:
        click.echo(jsonview.dumps({"ok": True, "context": ctx.context, **done}))
    else:
        click.echo(f"removed the stack from {ctx.context}")
        if delete_cluster:
            click.echo(f"deleted kind cluster {profile.cluster.name}")
    return OK


def down_stale(options: Options, as_json: bool) -> int:
    """`down --stale`: remove every demo and credential folder whose devstack process is gone."""
    from devstack.sources.janitor import sweep

    removed = sweep(options.settings.state_dir)
    if as_json:
        click.echo(jsonview.dumps({"ok": True, "removed": [item.as_dict() for item in removed]}))
    elif removed:
        echo_lines([item.describe() for item in removed])
    else:
        click.echo("nothing stale: no demo or credential files left by a devstack that is gone")
    return OK


def status(options: Options, as_json: bool) -> int:
    """A snapshot: cluster, workloads, pods, services, endpoints, explanations."""
    from devstack.engine.feed import cluster_error
    from devstack.sources.kubeapi import KubeApi

    ctx = engine_context(options)
    ctx.store.dispatch(SessionStarted("status", ctx.profile.name, ctx.context))
    api = KubeApi(ctx.target)
    try:
        version = api.server_version()
        for kind, items in api.snapshot().items():
            ctx.store.dispatch(KubeSynced(kind, items))
        fetch_crash_logs(ctx, api)
    except DevstackError:
        raise
    except Exception as err:  # noqa: BLE001 - an unreachable cluster is an answer, not a crash
        raise cluster_error(ctx, err) from None
    finally:
        api.close()
    from devstack.views.status import status_document, status_lines

    verdicts = ctx.verdicts()
    timeline = read_timeline(ctx)
    if as_json:
        click.echo(jsonview.dumps(status_document(ctx.store.state, version, verdicts, timeline)))
    else:
        echo_lines(status_lines(ctx.store.state, version, verdicts, colour(options), timeline))
    return OK if verdicts.healthy else UNHEALTHY


def fetch_crash_logs(ctx: EngineContext, api: KubeApi) -> None:
    """The previous log of every container that crashed (for the explanations)."""
    from devstack.core.events import PodLogsFetched

    for pod in ctx.store.state.pods.values():
        for container in pod.containers:
            if container.restart_count and container.last_exit_code is not None:
                try:
                    lines = api.logs(pod.name, container.name, previous=True, tail=20)
                except Exception:  # noqa: BLE001 - no previous log: the explanation does without
                    continue
                ctx.store.dispatch(PodLogsFetched(pod.key, container.name, True, tuple(lines)))
