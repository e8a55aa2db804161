"""`devstack report`: a diagnostic bundle to attach to an issue or a CI run, with no secret in it.

The report is built from structured data, field by field, through an allow-list: the machine
checks, the profile's known fields (never the file's text), the status with explanations, warning
events, each deployment's env, Secret names and keys (never values) and the last 200 log lines per
container. Every text that comes from the user's world passes `redact_value` (by key) or
`redact_text` (by pattern) and `printable` (no terminal escapes, long lines cut). `--json` prints
the same data as one document, with the markdown in `"markdown"`.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterator
from typing import Any

import click

from devstack import __version__
from devstack.cli.common import engine_context, read_timeline
from devstack.cli.options import Options
from devstack.core.events import DoctorChecked, KubeSynced, SessionStarted
from devstack.core.model import DoctorCheck
from devstack.core.redact import REDACTED, redact_text, redact_value
from devstack.core.shown import printable
from devstack.core.state import State
from devstack.engine.context import EngineContext
from devstack.exitcodes import OK
from devstack.profile import Profile
from devstack.sources.doctor import doctor_plan, run_doctor
from devstack.sources.kube import describe_error
from devstack.sources.kubeapi import KubeApi
from devstack.views.status import status_lines
from devstack.views.timeline import timeline_lines

LOG_LINES = 200
LINE_CHARS = 2000
Allowed = dict[str, "Allowed | None"]
# The profile fields a report shows (None: a leaf). A field not listed here is never shown.
PROFILE_FIELDS: Allowed = {
    "name": None,
    "description": None,
    "cluster": {
        "provider": None,
        "name": None,
        "kind_config": None,
        "context": None,
        "registry": {"name": None, "host_port": None},
    },
    "deploy": {
        "tool": None,
        "skaffold_profile": None,
        "mode": None,
        "namespace": None,
        "skaffold_file": None,
        "timeouts": {"cluster": None, "deploy": None, "ready": None},
    },
    "forwards": {"name": None, "service": None, "remote_port": None, "local_port": None, "wait_ready": None},
    "checks": {
        "http": {"name": None, "url": None, "expect_status": None, "timeout": None, "body_pattern": None},
        "api_base_url": {
            "enabled": None,
            "frontend_forward": None,
            "frontend_url": None,
            "config_paths": None,
            "env_var": None,
            "deployment": None,
            "health_path": None,
            "cors_path": None,
            "origin": None,
        },
    },
    "safety": {"allowed_contexts": None},
}


def run(options: Options, as_json: bool) -> int:
    """Collect everything and print the markdown (or one JSON document with --json)."""
    ctx = engine_context(options)
    report = collect(ctx)
    markdown = render(report)
    if as_json:
        click.echo(json.dumps({**report, "markdown": markdown}))
    else:
        click.echo(markdown, nl=False)
    return OK


def shown(text: object) -> str:
    """A text from the user's world as the report shows it: secrets replaced, printable, cut."""
    return printable(redact_text(str(text)[: LINE_CHARS * 2]), LINE_CHARS)


def collect(ctx: EngineContext) -> dict[str, Any]:
    """The report's data: only allow-listed fields, every text redacted."""
    ctx.store.dispatch(SessionStarted("report", ctx.profile.name, ctx.context))
    run_doctor(
        doctor_plan(
            ctx.profile,
            ctx.tools,
            ctx.loaded.root / ctx.profile.deploy.skaffold_file,
            state_dir=ctx.state_dir,
        ),
        lambda e: ctx.store.dispatch(e) if isinstance(e, DoctorChecked) else None,
    )
    return {
        "ok": True,
        "profile_name": ctx.profile.name,
        "context": ctx.context,
        "machine": {
            "devstack": __version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "checks": [_check(check) for check in ctx.store.state.doctor],
        },
        "profile": profile_fields(ctx.profile),
        "cluster": _cluster(ctx),
        "timeline": _timeline(ctx),
    }


def _timeline(ctx: EngineContext) -> dict[str, Any]:
    """The dev loop's iterations a devstack `up` recorded (texts redacted when recorded, and again)."""
    document = read_timeline(ctx) or {}
    iterations = document.get("iterations") if isinstance(document.get("iterations"), list) else []
    return {
        "channel": shown(document.get("channel") or ""),
        "live": bool(document.get("live")),
        "iterations": shown_tree(iterations),
    }


def shown_tree(value: Any) -> Any:
    """A JSON value with every string in it (keys too) redacted and made printable."""
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, list):
        return [shown_tree(v) for v in value]
    if isinstance(value, dict):
        return {shown(k): shown_tree(v) for k, v in value.items()}
    return value if isinstance(value, (int, float, bool)) or value is None else shown(value)


def _check(check: DoctorCheck) -> dict[str, str]:
    """A doctor check: its name, status, and detail and fix redacted (a port holder's command line)."""
    return {
        "name": check.name,
        "status": check.status.value,
        "detail": shown(check.detail),
        "fix": shown(check.fix),
    }


def profile_fields(profile: Profile) -> dict[str, Any]:
    """The profile as loaded (derived URLs included), reduced to `PROFILE_FIELDS`, values redacted."""
    picked = _pick(profile.model_dump(mode="json"), PROFILE_FIELDS, "")
    return picked if isinstance(picked, dict) else {}


def _pick(value: Any, allowed: Allowed | None, key: str) -> Any:
    if isinstance(value, list):
        return [_pick(item, allowed, key) for item in value]
    if allowed is None:
        if isinstance(value, str):
            return printable(redact_value(key, value), LINE_CHARS)
        return REDACTED if isinstance(value, dict) else value
    if not isinstance(value, dict):
        return None
    return {name: _pick(value[name], sub, name) for name, sub in allowed.items() if name in value}


def _cluster(ctx: EngineContext) -> dict[str, Any]:
    api = KubeApi(ctx.target)
    try:
        version = api.server_version()
        for kind, items in api.snapshot().items():
            ctx.store.dispatch(KubeSynced(kind, items))
        return {
            "reachable": True,
            "server_version": shown(version),
            "status": [shown(line) for line in status_lines(ctx.store.state, version, ctx.verdicts())],
            "warning_events": _warning_events(ctx),
            "env": [entry for d in api.list_raw("deployments") for entry in env_entries(d)],
            "secrets": [_secret(secret) for secret in api.list_raw("secrets")],
            "logs": _logs(ctx, api),
        }
    except Exception as err:  # noqa: BLE001 - the report must still be produced for an unreachable cluster
        return {"reachable": False, "error": shown(describe_error(err))}
    finally:
        api.close()


def _warning_events(ctx: EngineContext) -> list[dict[str, Any]]:
    warnings = sorted(
        (e for e in ctx.store.state.kube_events.values() if e.warning), key=lambda e: e.last_seen
    )
    return [
        {
            "last_seen": shown(e.last_seen),
            "object": shown(f"{e.object_kind}/{e.object_name}"),
            "reason": shown(e.reason),
            "count": e.count,
            "message": shown(e.message),
        }
        for e in warnings
    ]


def env_entries(deployment: dict[str, Any]) -> list[dict[str, str]]:
    """Each env entry of a Deployment's containers: a value redacted by its name and by pattern,
    a reference (`valueFrom`, `envFrom`) by what it refers to, never by its value."""
    entries = []
    spec = (deployment.get("spec") or {}).get("template", {}).get("spec") or {}
    name = shown((deployment.get("metadata") or {}).get("name", "?"))
    for container in spec.get("containers") or []:
        where = {"deployment": name, "container": shown(container.get("name", "?"))}
        for entry in container.get("env") or []:
            key = str(entry.get("name", ""))
            if "value" in entry:
                value = printable(redact_value(key, str(entry["value"])), LINE_CHARS)
            else:
                value = f"(from {next(iter(entry.get('valueFrom') or {}), 'unknown')})"
            entries.append({**where, "name": shown(key), "value": value})
        for source in container.get("envFrom") or []:
            kind = next((k for k in source if k.endswith("Ref")), "unknown")
            ref = shown((source.get(kind) or {}).get("name", "?"))
            entries.append({**where, "name": f"(envFrom {kind} {ref})", "value": "(not shown)"})
    return entries


def _secret(secret: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": shown((secret.get("metadata") or {}).get("name", "?")),
        "type": shown(secret.get("type", "")),
        "keys": [shown(key) for key in sorted(secret.get("data") or {})],
    }


def _logs(ctx: EngineContext, api: KubeApi) -> list[dict[str, Any]]:
    return [
        {"pod": pod, "container": container, "previous": previous, "lines": lines}
        for pod, container, previous, lines in container_logs(ctx.store.state, api)
    ]


def container_logs(state: State, api: KubeApi) -> Iterator[tuple[str, str, bool, list[str]]]:
    """(pod, container, previous, lines) for every container of every pod, and its previous instance after a
    restart: the last `LOG_LINES` lines, made safe to show (a log that cannot be read says why)."""
    for pod in sorted(state.pods.values(), key=lambda p: p.name):
        for container in pod.containers:
            for previous in (False, True) if container.restart_count else (False,):
                try:
                    lines = api.logs(pod.name, container.name, previous=previous, tail=LOG_LINES)
                except Exception as err:  # noqa: BLE001 - e.g. a container that never started
                    lines = [f"(no log: {describe_error(err)})"]
                yield pod.name, container.name, previous, [shown(line) for line in lines[-LOG_LINES:]]


def render(report: dict[str, Any]) -> str:
    """The report as markdown (only what `collect` gathered: nothing is read again)."""
    import yaml

    machine = report["machine"]
    lines = [f"- devstack {machine['devstack']}, Python {machine['python']}, {machine['platform']}"]
    lines += [f"- {c['status']} {c['name']}: {c['detail']}" for c in machine["checks"]]
    sections = [
        f"# devstack report: {report['profile_name']} on {report['context']}",
        "## Machine\n\n" + "\n".join(lines),
        "## Profile (as loaded; secrets redacted)\n\n```yaml\n"
        + yaml.safe_dump(report["profile"], sort_keys=False, allow_unicode=True).rstrip()
        + "\n```",
        *_cluster_sections(report["cluster"]),
        "## Dev loop timeline\n\n```\n" + "\n".join(timeline_lines(report["timeline"], last=20)) + "\n```",
    ]
    return "\n\n".join(sections) + "\n"


def _cluster_sections(cluster: dict[str, Any]) -> list[str]:
    if not cluster["reachable"]:
        return [f"## Cluster\n\nnot reachable: {cluster['error']}"]
    rows = [
        "| "
        + " | ".join(
            str(e[k]).replace("|", "\\|") for k in ("last_seen", "object", "reason", "count", "message")
        )
        + " |"
        for e in cluster["warning_events"]
    ]
    table = "| last seen | object | reason | count | message |\n|---|---|---|---|---|\n" + "\n".join(rows)
    env: list[str] = []
    for deployment in dict.fromkeys(e["deployment"] for e in cluster["env"]):
        env.append(f"### {deployment}")
        env += [
            f"- `{e['container']}` {e['name']}={e['value']}"
            for e in cluster["env"]
            if e["deployment"] == deployment
        ]
    secrets = [
        f"- {s['name']} ({s['type']}): " + ", ".join(f"{key}={REDACTED}" for key in s["keys"])
        for s in cluster["secrets"]
    ]
    logs = ["## Logs"] + [
        f"### {log['pod']} / {log['container']}"
        + (" (previous)" if log["previous"] else "")
        + "\n\n```\n"
        + "\n".join(log["lines"])
        + "\n```"
        for log in cluster["logs"]
    ]
    return [
        "## Status\n\n```\n" + "\n".join(cluster["status"]) + "\n```",
        "## Warning events\n\n" + (table if rows else "none"),
        "## Environment\n\n" + ("\n".join(env) or "none"),
        "## Secrets (values redacted)\n\n" + ("\n".join(secrets) or "none"),
        "\n\n".join(logs),
    ]
