"""GitHub workflows and pre-commit hooks: schema-valid, pinned, least privilege, no zizmor findings."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from stack_helpers import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def tool(name: str) -> str:
    path = BIN / name if (BIN / name).exists() else shutil.which(name)
    assert path, f"{name} is missing: install the dev extras (pip install -e '.[dev]')"
    return str(path)


def load(path: Path) -> dict[Any, Any]:
    workflow = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_the_three_workflows_exist():
    assert {p.name for p in WORKFLOWS} == {"ci-validate.yml", "ci-kind.yml", "release-chart.yml"}


@pytest.mark.parametrize("schema", ["vendor.github-workflows", "custom.github-workflows-require-timeout"])
def test_workflows_match_the_github_schemas(schema: str):
    done = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", schema, *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing_of_high_severity():
    done = subprocess.run(
        [tool("zizmor"), "--offline", "--persona", "pedantic", "--format", "json", str(REPO / ".github")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    findings = json.loads(done.stdout)
    assert isinstance(findings, list), done.stderr
    high = [f"{f['ident']}: {f['desc']}" for f in findings if f["determinations"]["severity"] == "High"]
    assert high == []
    assert [f["ident"] for f in findings] == [], "even pedantic findings are fixed, not tolerated"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_to_commits_with_a_version_comment(path: Path):
    text = path.read_text()
    for step in steps(load(path)):
        if "uses" in step:
            assert PINNED.match(step["uses"]), step["uses"]
            assert re.search(re.escape(step["uses"]) + r" # v\d", text), f"{step['uses']}: add a # vX comment"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_and_no_persisted_credentials(path: Path):
    workflow = load(path)
    assert workflow["permissions"] in ({}, {"contents": "read"})
    for step in steps(workflow):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
        assert "${{" not in step.get("run", ""), f"expression inside run: pass it through env: {step}"


def test_ci_kind_runs_devstack_on_a_kind_cluster_and_keeps_the_report_on_failure():
    workflow = load(REPO / ".github" / "workflows" / "ci-kind.yml")
    all_steps = steps(workflow)
    runs = "\n".join(step.get("run", "") for step in all_steps)
    kind = next(s for s in all_steps if str(s.get("uses", "")).startswith("helm/kind-action@"))
    assert kind["with"] == {"cluster_name": "jetscale", "config": "profiles/kind/jetscale.yaml"}
    assert (REPO / kind["with"]["config"]).is_file()
    assert "devstack -p ci-kind up --headless" in runs and "devstack -p ci-kind check --json" in runs
    up = next(s["run"] for s in all_steps if "up --headless" in s.get("run", ""))
    check = next(s["run"] for s in all_steps if "check --json" in s.get("run", ""))
    assert "--junit devstack-reports/up.xml --report-dir devstack-reports/up" in up
    assert "--junit devstack-reports/check.xml --report-dir devstack-reports/check" in check
    report = next(s for s in all_steps if "report >" in s.get("run", ""))
    assert report["if"] == "failure()" and "> devstack-reports/report.md" in report["run"]
    upload = next(s for s in all_steps if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["if"] == "failure()" and upload["with"]["path"] == "devstack-reports/"


def test_release_pushes_the_chart_to_ghcr_on_chart_tags_only():
    workflow = load(REPO / ".github" / "workflows" / "release-chart.yml")
    assert workflow["on"] == {"push": {"tags": ["chart-v*"]}}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "packages": "write"}
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "helm dependency build" in runs and "helm package" in runs
    assert 'helm push dist/jetscale-*.tgz "oci://ghcr.io/${OWNER,,}/charts"' in runs


def test_pre_commit_runs_ruff_and_devstack_validate_as_local_system_hooks():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    hooks = {hook["id"]: hook for hook in repo["hooks"]}
    assert all(hook["language"] == "system" for hook in hooks.values())
    entries = [hook["entry"] for hook in hooks.values()]
    assert any(e.endswith("ruff check --force-exclude") for e in entries)
    assert any("ruff format --check" in e for e in entries)
    assert hooks["devstack-validate"]["entry"].endswith("devstack validate")
    assert hooks["devstack-validate"]["pass_filenames"] is False
