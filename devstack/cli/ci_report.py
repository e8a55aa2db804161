"""What a CI run leaves to read: `--junit FILE` and, on failure, `--report-dir DIR`.

`--junit FILE` (`up --headless`, `check`) writes one testcase per `up` step, workload and check
(`views/junit.py`). On a failure or timeout `--report-dir DIR` receives, before devstack exits:

| file | holds |
|---|---|
| `summary.txt` | the exit code, the failed step, its error and fix (a timeout names what it waited for) |
| `state.json` | the state snapshot: steps, deploy tool, workloads, pods, forwards, checks, timeline |
| `explanations.md` | each workload and pod that is not OK: explanation, evidence, action |
| `events.json` | the namespace's Kubernetes events, warnings first |
| `logs/POD_CONTAINER.log` | the last 200 lines of each container |
| `logs/POD_CONTAINER.previous.log` | and of its previous instance, after a restart |
| `deploy-output.log` | the deploy tool's output |
| `timeline.json`, `timeline.txt` | the dev loop's iterations and their phases |

Every text is redacted as in `devstack report` (`cli/report.py` `shown`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from devstack.cli.report import container_logs, shown, shown_tree
from devstack.core import timeline as tl
from devstack.core.events import KubeSynced
from devstack.core.model import Level
from devstack.core.state import State
from devstack.core.tilt_explain import explain_tilt
from devstack.core.verdicts import Verdicts
from devstack.engine.context import EngineContext
from devstack.errors import DevstackError
from devstack.exitcodes import USAGE
from devstack.sources.kube import describe_error
from devstack.sources.kubeapi import KubeApi
from devstack.views import jsonview, junit
from devstack.views.status import pod_rows
from devstack.views.timeline import timeline_lines

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def checked_paths(junit_file: str | None, report_dir: str | None) -> tuple[Path | None, Path | None]:
    """The paths, refused up front (exit 2) when they cannot be what they are meant to be.

    Raises:
        DevstackError: `--junit` is a folder, or `--report-dir` is a file.
    """
    junit_path = Path(junit_file) if junit_file else None
    folder = Path(report_dir) if report_dir else None
    if junit_path is not None and junit_path.is_dir():
        raise DevstackError(f"--junit {junit_path}: is a folder; give a file name", exit_code=USAGE)
    if folder is not None and folder.exists() and not folder.is_dir():
        raise DevstackError(f"--report-dir {folder}: is a file; give a folder", exit_code=USAGE)
    return junit_path, folder


def write_junit(path: Path, suites: list[junit.Suite]) -> None:
    """Write the JUnit XML (parents created).

    Raises:
        DevstackError: the file cannot be written (exit 2, naming it).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(junit.render(suites), encoding="utf-8")
    except OSError as err:
        raise DevstackError(
            f"--junit {path}: cannot write it: {err.strerror or err}", exit_code=USAGE
        ) from None


def up_suites(state: State, verdicts: Verdicts) -> list[junit.Suite]:
    """`devstack up`: its steps, its workloads and its checks."""
    name = f"devstack up {state.profile} ({state.context})"
    cases = (
        junit.step_cases(state.steps) + junit.workload_cases(verdicts.named) + junit.check_cases(state.checks)
    )
    return [junit.Suite(name, cases)]


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name)[:120] or "_"


def _write(folder: Path, name: str, text: str, written: list[str]) -> None:
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    written.append(name)


def write_report_dir(ctx: EngineContext, folder: Path, exit_code: int, summary: str) -> list[str]:
    """Write the failure report; returns the files written (relative to `folder`).

    Raises:
        DevstackError: the folder cannot be written (exit 2, naming it).
    """
    written: list[str] = []
    api = KubeApi(ctx.target)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        logs_note = _refresh(ctx, api)
        state = ctx.store.state
        verdicts = ctx.verdicts()
        _write(folder, "summary.txt", _summary(state, exit_code, summary), written)
        _write(folder, "state.json", json.dumps(shown_tree(_snapshot(state, verdicts)), indent=2), written)
        _write(folder, "explanations.md", _explanations(state, verdicts), written)
        _write(folder, "events.json", json.dumps(shown_tree(_events(state)), indent=2), written)
        _write(
            folder, "deploy-output.log", "\n".join(shown(line) for line in state.deploy.lines) + "\n", written
        )
        timeline = tl.document(state.timeline, state.deploy.channel, state.deploy.channel_detail)
        _write(folder, "timeline.json", json.dumps(shown_tree(timeline), indent=2), written)
        _write(
            folder,
            "timeline.txt",
            "\n".join(timeline_lines(timeline, last=tl.MAX_ITERATIONS)) + "\n",
            written,
        )
        _logs(folder, state, api, logs_note, written)
    except OSError as err:
        raise DevstackError(
            f"--report-dir {folder}: cannot write it: {err.strerror or err}", exit_code=USAGE
        ) from None
    finally:
        api.close()
    return written


def _refresh(ctx: EngineContext, api: KubeApi) -> str:
    """Without watches (`check`), list the namespace once; returns why not, if the cluster is away."""
    if ctx.store.state.pods:
        return ""
    try:
        for kind, items in api.snapshot().items():
            ctx.store.dispatch(KubeSynced(kind, items))
    except Exception as err:  # noqa: BLE001 - the report is written anyway, saying so
        return f"the cluster did not answer: {describe_error(err)}"
    return ""


def _summary(state: State, exit_code: int, summary: str) -> str:
    lines = [f"exit code {exit_code}: {summary}"]
    failed = state.failed_step
    if failed is not None:
        lines.append(f"failed step: {failed.name}: {failed.error}")
        if failed.fix:
            lines.append(f"fix: {failed.fix}")
    if state.deploy.errors:
        lines += ["deploy tool errors:", *(f"  {e}" for e in state.deploy.errors)]
    return "\n".join(shown(line) for line in lines) + "\n"


def _snapshot(state: State, verdicts: Verdicts) -> dict[str, Any]:
    deploy = state.deploy
    return {
        "profile": state.profile,
        "context": state.context,
        "steps": jsonview.steps(state),
        "deploy": {
            "tool": deploy.tool,
            "mode": deploy.mode,
            "channel": deploy.channel,
            "channel_detail": deploy.channel_detail,
            "phase": deploy.phase,
            "iteration": deploy.iteration,
            "exit_code": deploy.exit_code,
            "artifacts": [list(a) for a in deploy.artifacts],
            "rollouts": [list(r) for r in deploy.rollouts],
            "errors": list(deploy.errors),
            **({"tilt": jsonview.tilt_document(state)} if deploy.tool == "tilt" else {}),
        },
        "workloads": jsonview.workloads(state, verdicts.named),
        "pods": pod_rows(state, verdicts),
        "forwards": jsonview.forwards(list(state.forwards.values())),
        "checks": jsonview.checks(state.checks),
        "timeline": tl.document(state.timeline, deploy.channel, deploy.channel_detail),
    }


def _explanations(state: State, verdicts: Verdicts) -> str:
    sections = ["# What is not OK"]
    items = [(f"tilt resource {name}", v) for name, v in explain_tilt(state.tilt)]
    items += [(f"workload {d.name}", v) for d, v in verdicts.workloads if v.level is not Level.OK]
    items += [
        (f"pod {state.pods[key].name}", v)
        for key, v in sorted(verdicts.pods.items())
        if v.level is not Level.OK and key in state.pods
    ]
    for title, verdict in items:
        lines = [f"## {title}: {verdict.reason}", "", verdict.summary, ""]
        lines += [f"- {e}" for e in verdict.evidence]
        if verdict.action:
            lines += ["", f"Action: {verdict.action}"]
        sections.append("\n".join(shown(line) for line in lines))
    if len(sections) == 1:
        sections.append("every workload and pod is OK")
    return "\n\n".join(sections) + "\n"


def _events(state: State) -> list[dict[str, Any]]:
    events = sorted(state.kube_events.values(), key=lambda e: (not e.warning, e.last_seen), reverse=False)
    return [
        {
            "type": e.type,
            "reason": e.reason,
            "object": f"{e.object_kind}/{e.object_name}",
            "message": e.message,
            "count": e.count,
            "last_seen": e.last_seen,
        }
        for e in events
    ]


def _logs(folder: Path, state: State, api: KubeApi, note: str, written: list[str]) -> None:
    if note:
        _write(folder, "logs/README.txt", note + "\n", written)
        return
    for pod, container, previous, lines in container_logs(state, api):
        suffix = ".previous.log" if previous else ".log"
        name = f"logs/{_safe(pod)}_{_safe(container)}{suffix}"
        _write(folder, name, "\n".join(lines) + "\n", written)
