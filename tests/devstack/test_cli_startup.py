"""`devstack --help` and `--version` stay instant: no textual, kubernetes or docker import."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("textual", "kubernetes", "docker", "psutil", "aiohttp", "cryptography")


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["version"], ["up", "--help"]])
def test_cli_does_not_import_heavy_modules(args: list[str]) -> None:
    code = (
        "import sys\n"
        "from devstack.cli import cli\n"
        f"try:\n    cli.main(args={args!r}, prog_name='devstack', standalone_mode=False)\n"
        "except SystemExit:\n    pass\n"
        f"print('LOADED:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "LOADED:"


def test_help_lists_every_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "devstack", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("up", "down", "status", "check", "forward", "doctor", "validate", "demo", "version"):
        assert f"  {command} " in out.stdout
    for option in ("--profile", "--verbose", "--version"):
        assert option in out.stdout
