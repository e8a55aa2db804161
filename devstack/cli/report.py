"""`devstack report`: a markdown diagnostic bundle to attach to an issue or a CI run.

Versions, the profile, the status snapshot with explanations, warning events, the last 200 log
lines per pod, deployment env and Secret keys — with Secret values, and env values whose names
look like TOKEN/PASSWORD/SECRET/KEY, redacted.
"""

from __future__ import annotations

import json
import platform
from typing import Any

import click

from devstack import __version__
from devstack.cli.common import engine_context
from devstack.cli.options import Options
from devstack.core.events import DoctorChecked, KubeSynced, SessionStarted
from devstack.core.redact import REDACTED, redact_line, redact_value
from devstack.engine.context import EngineContext
from devstack.exitcodes import OK
from devstack.sources.doctor import doctor_plan, run_doctor
from devstack.sources.kube import describe_error
from devstack.sources.kubeapi import KubeApi
from devstack.views.status import status_lines
from devstack.views.text import doctor_lines

LOG_LINES = 200


def run(options: Options, as_json: bool) -> int:
    """Collect everything and print the markdown (or `{"markdown": ...}` with --json)."""
    ctx = engine_context(options)
    ctx.store.dispatch(SessionStarted("report", ctx.profile.name, ctx.context))
    run_doctor(
        doctor_plan(ctx.profile, ctx.tools, state_dir=ctx.state_dir),
        lambda e: ctx.store.dispatch(e) if isinstance(e, DoctorChecked) else None,
    )
    sections = [
        f"# devstack report: {ctx.profile.name} on {ctx.context}",
        _versions(ctx),
        "## Profile\n\n```yaml\n" + ctx.loaded.path.read_text(encoding="utf-8").rstrip() + "\n```",
        _cluster(ctx),
    ]
    markdown = "\n\n".join(sections) + "\n"
    if as_json:
        click.echo(json.dumps({"ok": True, "context": ctx.context, "markdown": markdown}))
    else:
        click.echo(markdown, nl=False)
    return OK


def _versions(ctx: EngineContext) -> str:
    lines = [f"- devstack {__version__}, Python {platform.python_version()}, {platform.platform()}"]
    lines += [
        f"- {line.strip()}" for line in doctor_lines(ctx.store.state.doctor) if not line.startswith(" ")
    ]
    return "## Machine\n\n" + "\n".join(lines)


def _cluster(ctx: EngineContext) -> str:
    api = KubeApi(ctx.target)
    try:
        version = api.server_version()
        for kind, items in api.snapshot().items():
            ctx.store.dispatch(KubeSynced(kind, items))
        parts = [
            "## Status\n\n```\n"
            + "\n".join(status_lines(ctx.store.state, version, ctx.verdicts()))
            + "\n```",
            _warning_events(ctx),
            _config(api),
            _logs(ctx, api),
        ]
        return "\n\n".join(parts)
    except Exception as err:  # noqa: BLE001 - the report must still be produced for an unreachable cluster
        return f"## Cluster\n\nnot reachable: {describe_error(err)}"
    finally:
        api.close()


def _warning_events(ctx: EngineContext) -> str:
    warnings = sorted(
        (e for e in ctx.store.state.kube_events.values() if e.warning), key=lambda e: e.last_seen
    )
    rows = [
        f"| {e.last_seen} | {e.object_kind}/{e.object_name} | {e.reason} | {e.count} | {e.message} |"
        for e in warnings
    ]
    table = "| last seen | object | reason | count | message |\n|---|---|---|---|---|\n" + "\n".join(rows)
    return "## Warning events\n\n" + (table if rows else "none")


def _env_lines(deployment: dict[str, Any]) -> list[str]:
    lines = []
    for container in deployment.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
        for entry in container.get("env") or []:
            name = str(entry.get("name", ""))
            if "value" in entry:
                shown = redact_value(name, str(entry["value"]))
            else:
                source = entry.get("valueFrom") or {}
                shown = f"(from {next(iter(source), 'unknown')})"
            lines.append(f"- `{container.get('name')}` {name}={shown}")
    return lines


def _config(api: KubeApi) -> str:
    env: list[str] = []
    for deployment in api.list_raw("deployments"):
        env.append(f"### {deployment['metadata']['name']}")
        env += _env_lines(deployment) or ["- (no env)"]
    secrets = [
        f"- {s['metadata']['name']} ({s.get('type', '')}): "
        + ", ".join(f"{key}={REDACTED}" for key in sorted(s.get("data") or {}))
        for s in api.list_raw("secrets")
    ]
    return (
        "## Environment\n\n"
        + "\n".join(env)
        + "\n\n## Secrets (values redacted)\n\n"
        + ("\n".join(secrets) or "none")
    )


def _logs(ctx: EngineContext, api: KubeApi) -> str:
    parts = ["## Logs"]
    for pod in sorted(ctx.store.state.pods.values(), key=lambda p: p.name):
        for container in pod.containers:
            for previous in (False, True) if container.restart_count else (False,):
                try:
                    lines = api.logs(pod.name, container.name, previous=previous, tail=LOG_LINES)
                except Exception as err:  # noqa: BLE001 - e.g. a container that never started
                    lines = [f"(no log: {describe_error(err)})"]
                title = f"### {pod.name} / {container.name}" + (" (previous)" if previous else "")
                parts.append(title + "\n\n```\n" + "\n".join(redact_line(line) for line in lines) + "\n```")
    return "\n\n".join(parts)
