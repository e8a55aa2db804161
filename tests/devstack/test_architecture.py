"""The package boundaries are import-linter contracts (pyproject.toml) that `make lint` runs:
they hold on the tree, and a deliberate violation breaks them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("tree")
    for package in ("devstack", "devstack_sim"):
        shutil.copytree(REPO / package, tree / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_contracts_hold_on_the_tree() -> None:
    done = lint_imports(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("devstack/engine/probe.py", "import textual\n", "Textual only in devstack.tui BROKEN"),
        ("devstack/core/probe.py", "import devstack.engine.up\n", "core is pure"),
        (
            "devstack/engine/probe.py",
            "import devstack_sim.app\n",
            "The product does not import the simulator",
        ),
        (
            "devstack_sim/probe.py",
            "import devstack.core.store\n",
            "The simulator does not import the product",
        ),
        ("devstack/views/probe.py", "import devstack.tui.app\n", "Product layers"),
    ],
)
def test_a_deliberate_violation_breaks_them(tree_copy: Path, module: str, source: str, broken: str) -> None:
    probe = tree_copy / module
    probe.write_text(source)
    try:
        done = lint_imports(tree_copy)
    finally:
        probe.unlink()
    assert done.returncode != 0
    line = next((line for line in done.stdout.splitlines() if line.startswith(broken)), "")
    if not line.endswith("BROKEN"):  # long contract names wrap onto the next line
        text = done.stdout.replace("\n", " ")
        assert broken in text and "BROKEN" in text.split(broken, 1)[1].split("KEPT")[0], done.stdout


def test_an_import_cycle_breaks_them(tree_copy: Path) -> None:
    a, b = tree_copy / "devstack/sources/cycle_a.py", tree_copy / "devstack/sources/cycle_b.py"
    a.write_text("import devstack.sources.cycle_b\n")
    b.write_text("import devstack.sources.cycle_a\n")
    try:
        done = lint_imports(tree_copy)
    finally:
        a.unlink()
        b.unlink()
    assert done.returncode != 0
    assert "No cycles are allowed in devstack.sources" in done.stdout


def test_only_settings_reads_the_environment() -> None:
    """Every environment variable comes from `devstack/settings.py` (read once by the CLI)."""
    readers = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted((REPO / "devstack").rglob("*.py"))
        if path.name != "settings.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "os.environ" in line or "getenv(" in line
    ]
    assert readers == []
