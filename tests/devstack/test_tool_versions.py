"""Tool versions that fit the stack's files: Skaffold new enough for skaffold.yaml's apiVersion
(doctor and stand-in agree, with real Skaffold's wording), and kubectl within one minor version
of the API server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

from devstack.core.model import CheckStatus
from devstack.core.skaffold_versions import FIRST_READ_BY, cannot_read, minimum_for, newer_than_known
from devstack.sources.doctor import TOOLS, check_kubectl_server, check_tool, doctor_plan
from devstack.sources.tool_checks import check_kubectl_skew
from devstack.sources.tools import ToolEnv
from devstack_sim import standin_bin
from devstack_sim.background import BackgroundSimulator

REAL_WORDING = (
    "parsing skaffold config: error parsing skaffold configuration file: unknown skaffold config API version "
    "\"skaffold/v4beta14\". Set the config 'apiVersion' to a known value. Check "
    "https://skaffold.dev/docs/references/yaml/ for the list of valid API versions. Otherwise, check that your "
    "skaffold version is up-to-date."
)


def standin_env(tmp_path: Path, version: str | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "DEVSTACK_SIM_HOME": str(tmp_path / "sim-home"),
        "DEVSTACK_SIM_PYTHON": sys.executable,
        "DEVSTACK_SIM_TOOLS": "1",
        "PATH": f"{standin_bin()}{os.pathsep}{os.environ['PATH']}",
    }
    if version:
        env["DEVSTACK_SIM_SKAFFOLD_VERSION"] = version
    return env


def test_the_table_gives_the_introducing_release() -> None:
    assert minimum_for("skaffold/v4beta14") == (2, 19, 0)
    assert minimum_for("skaffold/v4beta13") == (2, 15, 0)
    assert minimum_for("skaffold/v2beta29") is None  # read (upgraded) by every Skaffold 2
    assert (
        cannot_read((2, 16, 1), "skaffold/v4beta14")
        == "skaffold 2.16.1 cannot read skaffold/v4beta14; needs ≥ 2.19.0"
    )
    assert cannot_read((2, 19, 0), "skaffold/v4beta14") is None
    assert newer_than_known("skaffold/v4beta15") and not newer_than_known("skaffold/v4beta14")
    assert sorted(FIRST_READ_BY.values()) == list(FIRST_READ_BY.values()), (
        "releases grow with config versions"
    )


def test_the_plan_takes_the_api_version_of_the_stacks_skaffold_yaml() -> None:
    plan = doctor_plan(None, ToolEnv(dict(os.environ)), REPO / "skaffold.yaml")
    assert plan.skaffold_config == "skaffold/v4beta14"


def test_an_old_skaffold_is_refused_for_this_skaffold_yaml_with_the_reason(tmp_path: Path) -> None:
    old = ToolEnv(standin_env(tmp_path, "v2.16.1"), allow_sim=True)
    result = check_tool(TOOLS["skaffold"], True, old, "skaffold/v4beta14")
    assert result.status is CheckStatus.FAIL and result.required
    assert result.detail == "skaffold 2.16.1 cannot read skaffold/v4beta14; needs ≥ 2.19.0"
    assert "v2.19.0" in result.fix and result.fact("needs") == "v2.19.0"
    fresh = ToolEnv(standin_env(tmp_path), allow_sim=True)
    result = check_tool(TOOLS["skaffold"], True, fresh, "skaffold/v4beta14")
    assert result.status is CheckStatus.OK, result.detail
    assert "reads skaffold/v4beta14" in result.detail


def test_the_standin_refuses_a_config_newer_than_its_release_in_skaffolds_words(tmp_path: Path) -> None:
    old = standin_env(tmp_path, "v2.16.1")
    assert (
        subprocess.run(["skaffold", "version"], env=old, capture_output=True, text=True).stdout == "v2.16.1\n"
    )
    done = subprocess.run(
        ["skaffold", "render", "-p", "ci-kind", "--offline"],
        env=old,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert REAL_WORDING in done.stderr
    fresh = subprocess.run(
        ["skaffold", "render", "-p", "ci-kind", "--offline"],
        env=standin_env(tmp_path),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fresh.returncode == 0, fresh.stderr


def test_devstack_doctor_json_fails_an_old_skaffold_naming_the_config(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "devstack", "-p", "local-kind", "doctor", "--json"],
        env=standin_env(tmp_path, "v2.16.1"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    document = json.loads(done.stdout)
    checks = {c["name"]: c for c in document["checks"]}
    assert checks["tool:skaffold"]["status"] == "fail"
    assert (
        checks["tool:skaffold"]["detail"] == "skaffold 2.16.1 cannot read skaffold/v4beta14; needs ≥ 2.19.0"
    )
    assert done.returncode == 3  # a required tool that cannot work is a missing prerequisite


@pytest.mark.parametrize(
    ("client", "server", "status"),
    [
        ("v1.33.2", "v1.33.1", CheckStatus.OK),
        ("v1.32.0", "v1.33.1", CheckStatus.OK),
        ("v1.34.1", "v1.33.1", CheckStatus.OK),
        ("v1.31.4", "v1.33.1", CheckStatus.WARN),
        ("v1.27.3", "v1.36.1", CheckStatus.WARN),
        ("v1.32.4-dispatcher", "v1.36.1", CheckStatus.OK),
    ],
)
def test_kubectl_more_than_one_minor_from_the_server_is_a_warning(
    client: str, server: str, status: CheckStatus
) -> None:
    result = check_kubectl_skew(client, server)
    assert result.status is status
    if status is CheckStatus.WARN:
        assert "minor versions apart" in result.detail and "install kubectl" in result.fix


def test_the_doctor_asks_the_api_server_for_its_version(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    sim = BackgroundSimulator("skew", tmp_path / "sim", kubeconfig, runtime=False).start()
    try:
        tools = ToolEnv({**os.environ, "KUBECONFIG": str(kubeconfig)})
        result = check_kubectl_server(sim.context, tools)
    finally:
        sim.stop()
    assert result is not None
    assert result.fact("server") == "v1.33.1"
    assert result.status is CheckStatus.OK, result.detail
    assert check_kubectl_server("no-such-context", tools) is None
