"""Reproducible installs and pinned tools: the lock `make setup` installs from, Dependabot keeping it
(and the actions' SHAs) moving, the Skaffold release CI installs, and `make test-real` refusing to
start where it cannot run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from stack_helpers import REPO
from test_workflows import load, tool

from devstack.core.skaffold_versions import cannot_read, minimum_for
from devstack.core.versions import parse_version

LOCK = REPO / "requirements-lock.txt"
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;#]+)$")


def pins() -> dict[str, str]:
    found = {}
    for line in LOCK.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            found[_canonical(match.group(1))] = match.group(2)
        else:
            assert not line.strip() or line.startswith("#"), f"not a pin: {line!r}"
    return found


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        found += [Requirement(r) for r in extra if not r.startswith("devstack")]
    return found


def test_every_declared_dependency_is_pinned_within_its_range() -> None:
    locked = pins()
    for requirement in declared():
        version = locked.get(_canonical(requirement.name))
        assert version is not None, f"{requirement.name} is not in requirements-lock.txt"
        assert requirement.specifier.contains(version, prereleases=True), f"{requirement} excludes {version}"


def test_kubernetes_is_capped_at_the_major_the_tests_run() -> None:
    (kubernetes,) = [r for r in declared() if r.name == "kubernetes"]
    pinned = pins()["kubernetes"]
    major = int(pinned.split(".")[0])
    assert not kubernetes.specifier.contains(f"{major + 1}.0.0"), "cap the next major"
    assert kubernetes.specifier.contains(pinned)


def test_this_environment_was_installed_from_the_lock() -> None:
    """`make setup` installs with `-c requirements-lock.txt`: what runs the tests is what is pinned."""
    differ = {}
    for name, version in pins().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            differ[name] = f"{version} pinned, not installed"
            continue
        if installed != version:
            differ[name] = f"{version} pinned, {installed} installed"
    assert differ == {}
    assert "-c $(LOCK)" in (REPO / "Makefile").read_text()


def test_dependabot_keeps_the_pins_and_the_action_shas_moving() -> None:
    path = REPO / ".github" / "dependabot.yml"
    done = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ecosystems = {u["package-ecosystem"]: u for u in yaml.safe_load(path.read_text())["updates"]}
    assert set(ecosystems) == {"pip", "github-actions"}
    assert all(u["directory"] == "/" for u in ecosystems.values())


def test_ci_installs_a_skaffold_that_reads_skaffold_yaml() -> None:
    api_version = yaml.safe_load((REPO / "skaffold.yaml").read_text())["apiVersion"]
    pinned = load(REPO / ".github" / "workflows" / "ci-kind.yml")["env"]["SKAFFOLD_VERSION"]
    version = parse_version(pinned)
    assert version is not None and minimum_for(api_version) is not None
    assert cannot_read(version, api_version) is None, f"ci-kind installs skaffold {pinned}"


def test_make_test_real_refuses_to_start_and_says_what_is_missing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "DEVSTACK_SIM_TOOLS")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin"  # no kind, no skaffold
    env["DEVSTACK_DEMO_FRONTEND_PORT"] = "3000"
    done = subprocess.run(
        [sys.executable, str(REPO / "tests" / "real" / "preflight.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "refusing to start, this machine is missing:" in done.stderr
    assert "tool:kind: kind not found on PATH" in done.stderr
    in_ci = subprocess.run(
        [sys.executable, str(REPO / "tests" / "real" / "preflight.py")],
        env={**env, "CI": "true"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert in_ci.returncode == 2 and "refusing to run in CI" in in_ci.stderr
