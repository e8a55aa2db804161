"""Before a release: the whole flow against the real kind, skaffold, kubectl, helm and Docker
(`make test-real`, never in CI). The same steps as the ci-kind workflow — `up --headless`,
`check --json`, `status --json`, `down --delete-cluster` — on a throwaway cluster
`devstack-real` with its own kubeconfig, so the developer's clusters and kubeconfig are untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import REAL_HOME

REPO = Path(__file__).resolve().parents[2]
CLUSTER = "devstack-real"
pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A copy of the stack whose ci-kind profile targets `kind-devstack-real`, and its environment."""
    root = tmp_path_factory.mktemp("real-stack")
    for name in ("profiles", "charts", "demo"):
        shutil.copytree(REPO / name, root / name)
    for name in ("skaffold.yaml", "Tiltfile"):
        shutil.copy(REPO / name, root / name)
    profile_path = root / "profiles" / "ci-kind.yaml"
    profile = yaml.safe_load(profile_path.read_text())
    profile["cluster"]["name"] = CLUSTER
    profile.setdefault("safety", {})["allowed_contexts"] = [f"kind-{CLUSTER}"]
    profile_path.write_text(yaml.safe_dump(profile, sort_keys=False))
    env = {k: v for k, v in os.environ.items() if k != "DEVSTACK_SIM_TOOLS"}
    env["KUBECONFIG"] = str(root / "kubeconfig")
    env.setdefault("DOCKER_CONFIG", str(Path(REAL_HOME) / ".docker"))  # the developer's docker contexts
    try:
        yield root, env
    finally:
        kind = shutil.which("kind", path=env.get("PATH"))
        if kind:
            subprocess.run(
                [kind, "delete", "cluster", "--name", CLUSTER, "--kubeconfig", env["KUBECONFIG"]],
                env=env,
                capture_output=True,
                timeout=300,
                check=False,
            )


def devstack(
    stack: tuple[Path, dict[str, str]], *args: str, timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    root, env = stack
    return subprocess.run(
        [sys.executable, "-m", "devstack", "-p", "ci-kind", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_up_check_status_and_down_on_a_real_kind_cluster(stack: tuple[Path, dict[str, str]]) -> None:
    up = devstack(stack, "up", "--headless", "--json")
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    document = json.loads(up.stdout)
    assert document["ok"] is True
    assert all(step["ok"] for step in document["steps"]), document["steps"]
    assert {f["name"] for f in document["forwards"]} == {"frontend", "backend"}

    check = devstack(stack, "check", "--json", timeout=600)
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert json.loads(check.stdout)["ok"] is True

    status = devstack(stack, "status", "--json", timeout=300)
    assert status.returncode == 0, status.stdout[-3000:] + status.stderr[-3000:]

    down = devstack(stack, "down", "--delete-cluster", "--json", timeout=600)
    assert down.returncode == 0, down.stdout[-3000:] + down.stderr[-3000:]
    clusters = subprocess.run(
        [shutil.which("kind") or "kind", "get", "clusters"],
        env=stack[1],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert CLUSTER not in clusters.stdout.split()
