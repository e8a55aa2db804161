"""`devstack init`: profiles from a stack's skaffold.yaml and chart, explained, never overwritten
without --force, ending with `devstack validate`; on this repository (its profiles removed: the result
also comes up on the simulator) and on a differently named stack."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from helpers import REPO, require

STACK_DIR = REPO / "tests" / "stack"


@pytest.fixture(scope="module", autouse=True)
def helm_on_path() -> None:
    require(shutil.which("helm") is not None, "helm on PATH")


def init(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", "init", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def repo_stack(target: Path) -> Path:
    target.mkdir()
    for name in ("charts", "demo"):
        shutil.copytree(REPO / name, target / name)
    for name in ("skaffold.yaml", "Tiltfile"):
        shutil.copy2(REPO / name, target / name)
    return target


def shop_stack(target: Path) -> Path:
    sys.path.insert(0, str(STACK_DIR))
    try:
        from shop_stack import write_shop_stack
    finally:
        sys.path.remove(str(STACK_DIR))
    return write_shop_stack(target)


def test_init_on_this_repo_without_profiles_writes_profiles_that_validate(tmp_path: Path) -> None:
    stack = repo_stack(tmp_path / "stack")
    run = init(stack)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert (
        "frontend: Service jetscale-frontend (it selects Deployment jetscale-frontend, which sets VITE_API_BASE_URL="
        in out
    )
    assert "backend: Service jetscale-backend" in out
    assert "local-kind: skaffold profile local-kind (its name says local/dev), mode dev" in out
    assert "ci-kind: skaffold profile ci-kind (its name says ci), mode run" in out
    assert "wrote profiles/local-kind.yaml" in out and "wrote profiles/ci-kind.yaml" in out
    assert out.rstrip().endswith("devstack validate: ok, 6 files validated")
    local = yaml.safe_load((stack / "profiles" / "local-kind.yaml").read_text())
    assert local["deploy"] == {
        "tool": "skaffold",
        "skaffold_profile": "local-kind",
        "mode": "dev",
        "namespace": "jetscale",
    }
    assert [(f["service"], f["remote_port"], f["local_port"]) for f in local["forwards"]] == [
        ("jetscale-frontend", 3000, 3000),
        ("jetscale-backend", 8000, 8000),
    ]
    assert local["safety"] == {"allowed_contexts": ["kind-jetscale"]}


def test_init_twice_without_force_changes_nothing_and_says_so(tmp_path: Path) -> None:
    stack = repo_stack(tmp_path / "stack")
    assert init(stack).returncode == 0
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (stack / "profiles").iterdir()}
    time.sleep(0.01)
    again = init(stack)
    assert again.returncode == 0
    assert "profiles/local-kind.yaml exists: left as it is (--force replaces it)" in again.stdout
    assert "profiles/ci-kind.yaml exists: left as it is (--force replaces it)" in again.stdout
    assert "nothing changed" in again.stdout
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (stack / "profiles").iterdir()} == before
    (stack / "profiles" / "ci-kind.yaml").write_text("# mine\n")
    forced = init(stack, "--force")
    assert forced.returncode == 0 and "wrote profiles/ci-kind.yaml" in forced.stdout
    assert (stack / "profiles" / "ci-kind.yaml").read_text().startswith("# Written by `devstack init`")


def test_init_on_a_differently_named_stack(tmp_path: Path) -> None:
    stack = shop_stack(tmp_path / "shop")
    run = init(stack)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "cluster: kind cluster shop" in run.stdout
    assert "namespace: storefront" in run.stdout
    assert "local-kind: skaffold profile dev" in run.stdout and "ci-kind: skaffold profile ci" in run.stdout
    local = yaml.safe_load((stack / "profiles" / "local-kind.yaml").read_text())
    assert [(f["name"], f["service"], f["remote_port"]) for f in local["forwards"]] == [
        ("frontend", "shop-web", 5173),
        ("backend", "shop-api", 9090),
    ]
    assert local["checks"]["api_base_url"]["deployment"] == "shop-web"
    written = "".join(p.read_text() for p in (stack / "profiles").iterdir())
    assert "jetscale" not in written
    validate = subprocess.run(
        [sys.executable, "-m", "devstack", "validate"], cwd=stack, capture_output=True, text=True, timeout=300
    )
    assert validate.returncode == 0, validate.stdout
    # a profile whose forward names a Service the chart does not render is caught in the shop's own terms
    path = stack / "profiles" / "local-kind.yaml"
    path.write_text(path.read_text().replace("service: shop-api", "service: shop-apii"))
    validate = subprocess.run(
        [sys.executable, "-m", "devstack", "validate"], cwd=stack, capture_output=True, text=True, timeout=300
    )
    assert validate.returncode == 2
    assert "shop-apii" in validate.stdout and "charts/shop" in validate.stdout


def test_init_without_skaffold_yaml_says_where_to_run_it(tmp_path: Path) -> None:
    (tmp_path / "Tiltfile").write_text("k8s_yaml('x.yaml')\n")
    run = init(tmp_path)
    assert run.returncode == 2
    assert f"devstack: no skaffold.yaml in {tmp_path} (a Tiltfile-only stack:" in run.stderr
    assert "fix: run devstack init at the root of your stack's repository" in run.stderr
    assert not (tmp_path / "profiles").exists()


@pytest.mark.slow
def test_init_output_for_this_repo_comes_up_on_the_simulator() -> None:
    from helpers import demo_settings

    from devstack.cli.demo_stack import DemoEnvironment
    from devstack.core.store import Store
    from devstack.engine.context import EngineContext
    from devstack.engine.up import UpRun
    from devstack.exitcodes import OK

    with DemoEnvironment(demo_settings(), "healthy") as env:
        shutil.rmtree(env.stack / "profiles")
        run = subprocess.run(
            [sys.executable, "-m", "devstack", "init"],
            cwd=env.stack,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ},
        )
        assert run.returncode == 0, run.stdout + run.stderr
        for path in sorted((env.stack / "profiles").glob("*.yaml")):
            env._write_profile(path)  # the demo's sealing: its one cluster and its ports
        ctx = EngineContext(env.load("local-kind"), Store(), env.tools, state_dir=env.state_dir)
        up = UpRun(ctx)
        try:
            assert up.run() == OK, [s for s in ctx.store.state.steps if s.error]
            assert all(check.ok for check in ctx.store.state.checks)
        finally:
            up.stop()
