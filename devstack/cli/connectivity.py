"""`devstack check` and `devstack forward`."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import click

from devstack.cli.common import colour, echo_lines, engine_context
from devstack.cli.options import Options
from devstack.core.checks import CheckResult, failed_summary
from devstack.core.events import ForwardChanged
from devstack.engine.context import EngineContext
from devstack.engine.feed import ClusterFeed, cluster_error
from devstack.errors import DevstackError
from devstack.exitcodes import OK, UNHEALTHY
from devstack.profile.models import Forward
from devstack.sources.checks import run_checks
from devstack.sources.forwarder import ForwardThread
from devstack.sources.kube import describe_error
from devstack.sources.portowner import HeldPort, port_owner, serves_this_profile
from devstack.views import jsonview, text


def _foreign_holders(ctx: EngineContext) -> tuple[list[Forward], list[HeldPort]]:
    """The forwards whose ports are free, and the ports held by something foreign.

    A port held by this profile's own devstack forward, or by a kubectl port-forward to the same
    context, is used as it is.
    """
    free: list[Forward] = []
    foreign: list[HeldPort] = []
    for forward in ctx.profile.forwards:
        held = port_owner(forward.local_port, forward.name, ctx.port_claims)
        if held is None:
            free.append(forward)
        elif not serves_this_profile(held.owner):
            foreign.append(held)
    return free, foreign


def _temporary_forwards(
    ctx: EngineContext, free: list[Forward]
) -> tuple[ClusterFeed | None, ForwardThread | None, str]:
    """Forward the free profile ports for the duration of the checks (the others are served)."""
    if not free:
        return None, None, "using the forwards already on the profile's ports"
    feed = ClusterFeed(ctx)
    try:
        feed.start()
        feed.wait_synced()
        thread = ForwardThread(ctx.store, ctx.target, tuple(free), ctx.port_claims)
        thread.start()
    except Exception as err:  # noqa: BLE001 - checks still run and will say what does not answer
        feed.stop()
        return None, None, f"could not start forwards: {describe_error(err)}"
    served = [f.name for f in ctx.profile.forwards if f not in free]
    if not served:
        return feed, thread, "started temporary forwards"
    started = ", ".join(f.name for f in free)
    return feed, thread, f"started temporary forwards for {started}; {', '.join(served)} already forwarded"


def check(options: Options, as_json: bool, junit: str | None = None, report_dir: str | None = None) -> int:
    """Run every check of the profile; exit 0 when all pass, 1 otherwise.

    A profile port held by a foreign process is named instead of probed (exit 1). `--junit`
    writes a testcase per check; `--report-dir` the failure report when one failed.
    """
    from devstack.cli.ci_report import checked_paths

    outputs = checked_paths(junit, report_dir)
    ctx = engine_context(options)
    free, foreign = _foreign_holders(ctx)
    if foreign:
        code = _refuse_foreign(ctx, foreign, as_json)
        _ci_outputs(ctx, [], outputs, "; ".join(held.message() for held in foreign), foreign)
        return code
    feed, thread, note = _temporary_forwards(ctx, free)
    lookup_api = feed.api if feed is not None else None

    def env_lookup(deployment: str, name: str) -> str | None:
        if lookup_api is None:
            return None
        try:
            return lookup_api.deployment_env(deployment, name)
        except Exception:  # noqa: BLE001 - no cluster answer: this source of the value is just absent
            return None

    try:
        if thread is not None:
            _wait_ready(ctx, free, timeout=30)
        results = run_checks(ctx.profile, ctx.store.dispatch, env_lookup)
    finally:
        if thread is not None:
            thread.stop()
        if feed is not None:
            feed.stop()
    ok = all(r.ok for r in results)
    _ci_outputs(ctx, results, outputs, "" if ok else failed_summary(results)[0])
    if as_json:
        click.echo(
            jsonview.dumps(
                {"ok": ok, "context": ctx.context, "note": note, "checks": jsonview.checks(results)}
            )
        )
    else:
        echo_lines(text.check_lines(results, colour(options)))
        message, _fix = failed_summary(results)
        click.echo("ok: every check passed" if ok else f"failed: {message}")
    return OK if ok else UNHEALTHY


def _ci_outputs(
    ctx: EngineContext,
    results: list[CheckResult],
    outputs: tuple[Path | None, Path | None],
    failure: str,
    foreign: list[HeldPort] | None = None,
) -> None:
    """`--junit` (a testcase per check, and per foreign port holder); `--report-dir` on failure."""
    from devstack.cli.ci_report import write_junit, write_report_dir
    from devstack.views import junit

    junit_path, folder = outputs
    if junit_path is not None:
        cases = junit.check_cases(results)
        for held in foreign or []:
            cases.append(
                junit.Case("devstack.ports", f"port {held.port}", failure=held.message(), details=held.fix())
            )
        write_junit(junit_path, [junit.Suite(f"devstack check {ctx.profile.name} ({ctx.context})", cases)])
    if folder is not None and failure:
        files = write_report_dir(ctx, folder, UNHEALTHY, f"check failed: {failure}")
        click.echo(f"wrote the failure report to {folder} ({len(files)} files)", err=True)


def _refuse_foreign(ctx: EngineContext, foreign: list[HeldPort], as_json: bool) -> int:
    """Name each foreign holder of a profile port; the checks would only have talked to it."""
    note = "not a forward of this profile; no check was sent to it"
    if as_json:
        held_ports = [
            {**held.facts(), "message": f"{held.message()}: {note}", "fix": held.fix()} for held in foreign
        ]
        document = {"ok": False, "context": ctx.context, "note": note, "checks": [], "busy_ports": held_ports}
        click.echo(jsonview.dumps(document))
    else:
        for held in foreign:
            click.echo(f"failed: {held.message()}, {note}")
            click.echo(f"  fix: {held.fix()}")
    return UNHEALTHY


def _wait_ready(ctx: EngineContext, forwards: list[Forward], timeout: float) -> None:
    done = threading.Event()

    def ready(state: object = None, event: object = None) -> None:
        views = ctx.store.state.forwards
        if all(views.get(f.name) is not None and views[f.name].status == "ready" for f in forwards):
            done.set()

    unsubscribe = ctx.store.subscribe(ready)
    try:
        ready()
        done.wait(timeout)
    finally:
        unsubscribe()


def forward(options: Options, as_json: bool, take_over: bool) -> int:
    """Forward the profile's ports until Ctrl-C, printing each forward's state changes."""
    ctx = engine_context(options)
    if not ctx.profile.forwards:
        raise DevstackError(f"profile {ctx.profile.name} has no forwards", exit_code=2)
    feed = ClusterFeed(ctx)
    try:
        feed.start()
    except Exception as err:  # noqa: BLE001 - no kubeconfig entry, or no answer: one line, an exit code
        feed.stop()
        raise cluster_error(ctx, err) from None
    thread = ForwardThread(ctx.store, ctx.target, ctx.profile.forwards, ctx.port_claims)
    last: dict[str, tuple[str, str]] = {}
    lock = threading.Lock()

    def on_change(state: object, event: object) -> None:
        if not isinstance(event, ForwardChanged):
            return
        view = event.forward
        key = (view.status, view.pod)
        with lock:
            if last.get(view.name) == key:
                return
            last[view.name] = key
        if as_json:  # JSON Lines: one compact document per change
            click.echo(json.dumps({"forward": jsonview.forwards([view])[0]}, separators=(",", ":")))
        else:
            click.echo(text.forward_line(view, colour(options)))

    ctx.store.subscribe(on_change)
    try:
        thread.start(take_over)
        click.echo("forwarding; Ctrl-C stops", err=True)
        threading.Event().wait()
    finally:
        # The watches first: no kube event may reach the forwarder while its event loop closes.
        feed.stop()
        thread.stop()
    return OK
