"""The built wheel carries what devstack needs, and works installed, from an empty folder.

`python -m build` makes the sdist and, from it, the wheel; the wheel is installed into a fresh venv
(`installed.py` says how, offline) and run with the working directory an empty folder, far from the
clone: `devstack version`, `devstack validate` on a copied stack, `devstack demo --headless` to a
healthy stack and back down on Ctrl-C.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from helpers import REPO, require
from installed import Built, InstalledDevstack, build, clean_env, copy_stack, install, run_demo, wheel_names

pytestmark = pytest.mark.slow

DEMO_STACK = "devstack_sim/demo_stack/"
STACK_FILES = [
    *(
        p.relative_to(REPO).as_posix()
        for part in ("charts", "profiles", "demo")
        for p in sorted((REPO / part).rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    ),
    "skaffold.yaml",
    "Tiltfile",
]


@pytest.fixture(scope="module")
def helm() -> str:
    path = shutil.which("helm")
    require(path is not None, "helm on PATH (`make setup` puts one in .venv/bin)")
    assert path is not None
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> InstalledDevstack:
    return install(built.wheel, tmp_path_factory.mktemp("venv") / "venv")


def test_the_wheel_carries_the_demo_stack_and_schemas_built_from_the_clones_files(built: Built) -> None:
    names = wheel_names(built.wheel)
    assert "devstack/validation/schemas/skaffold-v4beta14.json" in names
    missing = [f for f in STACK_FILES if DEMO_STACK + f not in names]
    assert missing == []
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".tgz"))]
    with zipfile.ZipFile(built.wheel) as wheel:
        differ = [f for f in STACK_FILES if wheel.read(DEMO_STACK + f) != (REPO / f).read_bytes()]
        standins = [
            i
            for i in wheel.infolist()
            if i.filename.startswith("devstack_sim/bin/") and "." not in i.filename[17:]
        ]
    assert differ == [], "the package data is the repository's files, byte for byte"
    assert standins and all((i.external_attr >> 16) & 0o111 for i in standins), "stand-ins stay executable"


def test_the_sdist_holds_the_stack_so_the_wheel_builds_from_it(built: Built) -> None:
    listing = subprocess.run(
        ["tar", "tzf", str(built.sdist)], capture_output=True, text=True, check=True
    ).stdout
    for name in (
        "charts/jetscale/Chart.yaml",
        "demo/backend/app.py",
        "skaffold.yaml",
        "Tiltfile",
        "profiles/local-kind.yaml",
    ):
        assert f"/{name}\n" in listing


def test_the_metadata_is_complete(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        (meta,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        text = wheel.read(meta).decode()
    for field in (
        "Requires-Python: >=3.11",
        "License-Expression: Apache-2.0",
        "Classifier: Programming Language :: Python :: 3.11",
        "Keywords:",
        "Provides-Extra: sim",
        "Description-Content-Type: text/markdown",
    ):
        assert field in text


def test_installed_devstack_runs_from_an_empty_folder(installed: InstalledDevstack, tmp_path: Path) -> None:
    assert REPO not in installed.origin("devstack").parents
    assert REPO not in installed.origin("devstack_sim").parents
    empty = tmp_path / "empty"
    empty.mkdir()
    run = subprocess.run(
        [installed.devstack, "version"],
        cwd=empty,
        env=clean_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("devstack ")
    assert list(empty.iterdir()) == []


def test_installed_validate_checks_a_copied_stack(
    installed: InstalledDevstack, tmp_path: Path, helm: str
) -> None:
    stack = copy_stack(tmp_path / "stack")
    env = clean_env(tmp_path / "home")
    run = subprocess.run(
        [installed.devstack, "validate"], cwd=stack, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok:" in run.stdout
    # the schema follows the file's apiVersion: an unknown one names the versions devstack knows
    config = stack / "skaffold.yaml"
    config.write_text(config.read_text().replace("skaffold/v4beta14", "skaffold/v9beta1"))
    run = subprocess.run(
        [installed.devstack, "validate"], cwd=stack, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 2
    assert (
        'apiVersion: unknown Skaffold config version "skaffold/v9beta1"; known: skaffold/v4beta14'
        in run.stdout
    )


def test_installed_demo_comes_up_healthy_and_goes_down_on_ctrl_c(
    installed: InstalledDevstack, tmp_path: Path, helm: str
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    home = tmp_path / "home"
    demo = run_demo([installed.devstack, "demo", "--headless"], clean_env(home), empty)
    assert "ok: the stack is up and healthy" in demo.stdout, demo.stderr
    assert "http://localhost:" in demo.config_js, demo.stderr
    assert demo.exit_code == 130
    assert list(empty.iterdir()) == []
    demos = home / ".local" / "state" / "devstack" / "demos"
    assert not demos.exists() or list(demos.iterdir()) == []
    assert "internal error" not in demo.stderr, demo.stderr


def test_the_build_hook_packs_every_part_the_simulator_looks_for() -> None:
    import importlib.util

    import devstack_sim

    spec = importlib.util.spec_from_file_location("hatch_build", REPO / "hatch_build.py")
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    assert hook.DEMO_STACK_PARTS == devstack_sim.DEMO_STACK_PARTS
    assert hook.PACKAGED_AT == "devstack_sim/demo_stack"
