"""CLI exit codes and messages (README: 0 ok, 1 unhealthy, 2 usage/config, 3 prerequisite, 130)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import REPO


def devstack(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", *args], capture_output=True, text=True, cwd=cwd, timeout=60
    )


def test_version() -> None:
    from devstack import __version__

    assert devstack("--version").stdout.strip() == f"devstack {__version__}"
    assert devstack("version").stdout.strip() == f"devstack {__version__}"
    assert f'"version": "{__version__}"' in devstack("version", "--json").stdout


def test_unknown_command_and_bad_flag_exit_2() -> None:
    assert devstack("frobnicate").returncode == 2
    assert devstack("up", "--no-such-flag").returncode == 2


def test_unknown_profile_exits_2_naming_the_known_ones() -> None:
    out = devstack("-p", "nope", "status")
    assert out.returncode == 2
    assert 'no profile named "nope"' in out.stderr
    assert "ci-kind, local-kind" in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_profile_file_exits_2(tmp_path: Path) -> None:
    out = devstack("-p", str(tmp_path / "x.yaml"), "status")
    assert out.returncode == 2
    assert "profile file not found" in out.stderr


def test_no_stack_exits_2_with_a_fix(tmp_path: Path) -> None:
    out = devstack("status", cwd=tmp_path)
    assert out.returncode == 2
    assert "no stack found" in out.stderr
    assert "fix:" in out.stderr


def test_sigterm_exits_cleanly_and_reaps_children(tmp_path: Path) -> None:
    """SIGTERM during a command: devstack exits 143 and its registered children are gone."""
    script = tmp_path / "hold.py"
    marker = tmp_path / "child.pid"
    script.write_text(
        "import sys, time\n"
        "from devstack.sources import processes\n"
        "processes.install_exit_handlers()\n"
        "child = processes.spawn([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(marker)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, str(script)])
    deadline = time.monotonic() + 20
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child_pid = int(marker.read_text())
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 128 + signal.SIGTERM
    with pytest.raises(ProcessLookupError):
        for _ in range(100):
            os.kill(child_pid, 0)
            time.sleep(0.05)
