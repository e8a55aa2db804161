"""devstack/core is pure: no Textual, no I/O libraries, nothing reaching out at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

CORE = REPO / "devstack" / "core"
FORBIDDEN = {
    "textual",
    "kubernetes",
    "docker",
    "psutil",
    "subprocess",
    "socket",
    "requests",
    "httpx",
    "aiohttp",
    "asyncio",
    "urllib.request",
    "http.client",
    "http.server",
    "ssl",
    "os",
    "shutil",
    "pathlib",
    "yaml",
    "click",
    "rich",
    "devstack.sources",
    "devstack_sim",
    "devstack.tui",
    "devstack.engine",
    "devstack.views",
    "devstack.profile",
    "devstack.settings",
    "devstack.cli",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_core_module_imports_nothing_impure(path: Path) -> None:
    bad = {name for name in _imports(path) if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)}
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_importing_core_loads_no_io_module() -> None:
    code = (
        "import sys, devstack.core.store, devstack.core.reducer, devstack.core.events, "
        "devstack.core.state, devstack.core.pipeline, devstack.core.versions\n"
        "import devstack.core as c, pkgutil, importlib\n"
        "[importlib.import_module('devstack.core.' + m.name) for m in pkgutil.iter_modules(c.__path__)]\n"
        "bad = [m for m in ('textual', 'kubernetes', 'docker', 'psutil', 'subprocess', 'aiohttp', 'yaml') "
        "if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
