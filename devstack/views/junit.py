"""JUnit XML for CI (`--junit FILE`): one testcase per `up` step, per workload and per check.

A failed testcase carries the explanation as its `message` and the evidence, fix and action as
its text, so a CI page shows why without opening the log. A step that never ran (an earlier one
failed) is `skipped`. Every text is redacted and made printable (XML 1.0 cannot hold most
control characters). The shape follows the common JUnit schema (`testsuites` / `testsuite` /
`testcase` with `failure` / `skipped`), which CI systems and `junitparser` read.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field

from devstack.core.checks import CheckResult
from devstack.core.health import Explanation
from devstack.core.model import Level, StepState
from devstack.core.redact import redact_text
from devstack.core.shown import printable

MESSAGE_CHARS = 1000
TEXT_CHARS = 20_000


def _clean(text: str, limit: int) -> str:
    """Redacted, every line printable (XML 1.0 holds no control characters), cut at `limit`."""
    lines = redact_text(text[: limit * 2]).splitlines() or [""]
    return "\n".join(printable(line, limit) for line in lines)[:limit]


@dataclass
class Case:
    """One testcase: passed, failed (message + details) or skipped (message)."""

    classname: str
    name: str
    seconds: float | None = None
    failure: str | None = None
    details: str = ""
    kind: str = ""
    skipped: str | None = None


@dataclass
class Suite:
    """One testsuite."""

    name: str
    cases: list[Case] = field(default_factory=list)
    timestamp: float = field(default_factory=time.time)


def step_cases(steps: Sequence[StepState]) -> list[Case]:
    """The `up` steps: ok and skipped pass or skip; failed ones carry the error and the fix."""
    cases = []
    for step in steps:
        status = step.status.value
        case = Case("devstack.up", step.name, step.seconds)
        if status == "failed":
            case.failure, case.kind = step.error or "failed", "StepFailed"
            case.details = step.error + (f"\nfix: {step.fix}" if step.fix else "")
        elif status == "skipped":
            case.skipped = step.message or "skipped"
        elif status in ("pending", "running"):
            case.skipped = "not run: an earlier step failed" if status == "pending" else "still running"
        cases.append(case)
    return cases


def workload_cases(verdicts: Sequence[tuple[str, Explanation]]) -> list[Case]:
    """Each workload passes when its verdict is OK; otherwise the explanation is the failure."""
    cases = []
    for name, verdict in verdicts:
        case = Case("devstack.workloads", name)
        if verdict.level is not Level.OK:
            case.failure, case.kind = f"{verdict.reason}: {verdict.summary}", verdict.reason
            lines = [verdict.summary, "", "evidence:", *(f"  {e}" for e in verdict.evidence)]
            if verdict.action:
                lines += ["", f"action: {verdict.action}"]
            case.details = "\n".join(lines)
        cases.append(case)
    return cases


def check_cases(results: Sequence[CheckResult]) -> list[Case]:
    """Each check passes when all its steps passed; the first failing step is the failure."""
    cases = []
    for result in results:
        case = Case("devstack.checks", result.name)
        failing = next((s for s in result.steps if not s.ok), None)
        if not result.ok:
            what = f"failed at '{failing.name}': {failing.detail}" if failing else "no step ran"
            case.failure, case.kind = what, "CheckFailed"
            case.details = "\n".join(
                f"{'ok' if s.ok else 'FAILED'} {s.name}: {s.detail}"
                + (f"\n  hint: {s.hint}" if s.hint else "")
                for s in result.steps
            )
        cases.append(case)
    return cases


def render(suites: Sequence[Suite]) -> str:
    """The JUnit XML document."""
    root = ET.Element("testsuites", name="devstack")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    seconds_total = 0.0
    for suite in suites:
        failures = sum(1 for c in suite.cases if c.failure is not None)
        skipped = sum(1 for c in suite.cases if c.skipped is not None)
        seconds = sum(c.seconds or 0.0 for c in suite.cases)
        element = ET.SubElement(
            root,
            "testsuite",
            name=_clean(suite.name, 200),
            tests=str(len(suite.cases)),
            failures=str(failures),
            errors="0",
            skipped=str(skipped),
            time=f"{seconds:.3f}",
            timestamp=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(suite.timestamp)),
        )
        for case in suite.cases:
            attributes = {"classname": case.classname, "name": _clean(case.name, 200)}
            attributes["time"] = f"{case.seconds or 0.0:.3f}"
            node = ET.SubElement(element, "testcase", attributes)
            if case.failure is not None:
                failure = ET.SubElement(
                    node, "failure", message=_clean(case.failure, MESSAGE_CHARS), type=case.kind or "failure"
                )
                failure.text = _clean(case.details, TEXT_CHARS)
            elif case.skipped is not None:
                ET.SubElement(node, "skipped", message=_clean(case.skipped, MESSAGE_CHARS))
        totals["tests"] += len(suite.cases)
        totals["failures"] += failures
        totals["skipped"] += skipped
        seconds_total += seconds
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", "0")
    root.set("skipped", str(totals["skipped"]))
    root.set("time", f"{seconds_total:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
