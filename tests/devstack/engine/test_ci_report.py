"""CI's view of a failure: `up --headless --junit F --report-dir D` (and `check`) on the crashloop
and imagepull demo scenarios. The JUnit file is read back against the schema's shape; the report
folder holds the named files, with the explanation, the logs and no secret."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import demo_settings

from devstack.cli.demo_stack import DemoEnvironment
from devstack.exitcodes import UNHEALTHY, USAGE

pytestmark = pytest.mark.slow
STEPS = ["doctor", "cluster", "context", "deploy", "ready", "forwards", "checks"]
REPORT_FILES = {
    "summary.txt",
    "state.json",
    "explanations.md",
    "events.json",
    "deploy-output.log",
    "timeline.json",
    "timeline.txt",
}
SECRET = "sqlite:///tmp/dev.db"  # the value of the chart's local Secret


@pytest.fixture
def demo_env(request: pytest.FixtureRequest) -> Iterator[DemoEnvironment]:
    with DemoEnvironment(demo_settings(), request.param) as env:
        yield env


def devstack(env: DemoEnvironment, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", *args],
        capture_output=True,
        text=True,
        env={**env.tools.env, "DEVSTACK_SIM_TOOLS": "1"},
        cwd=env.loaded.root,
        timeout=600,
        check=False,
    )


def read_junit(path: Path) -> dict[str, ET.Element]:
    """The testcases by name, after checking the JUnit schema's shape and counts."""
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    cases: dict[str, ET.Element] = {}
    for suite in root.findall("testsuite"):
        assert {"name", "tests", "failures", "errors", "skipped", "time", "timestamp"} <= set(suite.attrib)
        found = suite.findall("testcase")
        assert int(suite.attrib["tests"]) == len(found)
        assert int(suite.attrib["failures"]) == sum(1 for c in found if c.find("failure") is not None)
        assert int(suite.attrib["skipped"]) == sum(1 for c in found if c.find("skipped") is not None)
        for case in found:
            assert {"classname", "name", "time"} <= set(case.attrib)
            float(case.attrib["time"])
            failure = case.find("failure")
            if failure is not None:
                assert failure.attrib["message"] and failure.attrib["type"]
            cases[f"{case.attrib['classname']}:{case.attrib['name']}"] = case
    assert int(root.attrib["tests"]) == len(cases)
    return cases


def folder_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("demo_env", ["crashloop", "imagepull"], indirect=True)
def test_a_failed_up_leaves_a_junit_file_and_a_report_folder(
    demo_env: DemoEnvironment, tmp_path: Path
) -> None:
    junit, folder = tmp_path / "out" / "junit.xml", tmp_path / "report"
    out = devstack(demo_env, "up", "--headless", "--junit", str(junit), "--report-dir", str(folder))
    assert out.returncode == UNHEALTHY, out.stderr
    assert f"wrote the failure report to {folder}" in out.stderr
    cases = read_junit(junit)
    assert [name.split(":", 1)[1] for name in cases if name.startswith("devstack.up:")] == STEPS
    backend = cases["devstack.workloads:jetscale-backend"].find("failure")
    assert backend is not None
    assert cases["devstack.workloads:jetscale-frontend"].find("failure") is None
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert files >= REPORT_FILES
    assert any(f.startswith("logs/") and "backend" in f for f in files), files
    summary = (folder / "summary.txt").read_text(encoding="utf-8")
    explanations = (folder / "explanations.md").read_text(encoding="utf-8")
    state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    assert {w["name"]: w["level"] for w in state["workloads"]}["jetscale-backend"] == "error"
    assert state["deploy"]["channel"] == "events"
    assert json.loads((folder / "timeline.json").read_text(encoding="utf-8"))["iterations"][0]["ok"] is False
    if demo_env.scenario == "crashloop":
        assert backend.attrib["type"] == "CrashLoopBackOff"
        assert "FATAL: DATABASE_URL is not set" in (backend.text or "")
        assert "jetscale-backend: CrashLoopBackOff" in explanations
        assert "logs/" in "".join(files) and any(f.endswith(".previous.log") for f in files), files
        previous = next(folder.glob("logs/*backend*.previous.log")).read_text(encoding="utf-8")
        assert "FATAL: DATABASE_URL is not set" in previous
    else:
        assert backend.attrib["type"] in ("ImagePullBackOff", "ErrImagePull")
        assert "jetscale-backnd" in backend.attrib["message"]
        assert "cannot pull the image jetscale-backnd:dev" in explanations
    assert "deploy failed" in summary and "fix:" in summary
    assert SECRET not in folder_text(folder) and SECRET not in junit.read_text(encoding="utf-8")


@pytest.mark.parametrize("demo_env", ["crashloop"], indirect=True)
def test_a_failed_check_leaves_its_junit_and_report_and_bad_paths_are_refused(
    demo_env: DemoEnvironment, tmp_path: Path
) -> None:
    assert devstack(demo_env, "up", "--headless").returncode == UNHEALTHY
    junit, folder = tmp_path / "check.xml", tmp_path / "check-report"
    out = devstack(demo_env, "check", "--json", "--junit", str(junit), "--report-dir", str(folder))
    assert out.returncode == UNHEALTHY, out.stderr
    assert json.loads(out.stdout)["ok"] is False
    cases = read_junit(junit)
    assert cases["devstack.checks:backend health"].find("failure") is not None
    assert cases["devstack.checks:frontend page"].find("failure") is None
    assert {p.name for p in folder.iterdir()} >= REPORT_FILES
    assert "check failed: backend health failed at" in (folder / "summary.txt").read_text(encoding="utf-8")
    refused = devstack(demo_env, "check", "--junit", str(tmp_path))
    assert refused.returncode == USAGE and f"--junit {tmp_path}: is a folder" in refused.stderr
    assert "Traceback" not in refused.stderr
    refused = devstack(demo_env, "up", "--headless", "--report-dir", str(junit))
    assert refused.returncode == USAGE and f"--report-dir {junit}: is a file" in refused.stderr
