"""The opt-in real-world suite (`make test-real`): only with DEVSTACK_TEST_REAL=1 (which `make test-real`
sets after tests/real/preflight.py found everything it needs). In the ordinary suite its tests are
deselected — visibly, in pytest's summary — never skipped one by one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REAL_HOME = os.environ.get("HOME", "")
"""The developer's HOME before the test fixtures isolate it (docker contexts live there)."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("DEVSTACK_TEST_REAL") == "1":
        return
    real = [item for item in items if HERE in Path(str(item.path)).resolve().parents]
    if real:
        config.hook.pytest_deselected(items=real)
        items[:] = [item for item in items if item not in real]
