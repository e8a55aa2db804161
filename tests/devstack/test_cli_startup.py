"""`devstack --help` and `--version` stay instant: no textual, kubernetes or docker import."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from helpers import REPO

from devstack.entry import FAST

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


CLICK_PATH = "import sys; from devstack.cli import main; main(sys.argv[1:])"


@pytest.mark.parametrize("args", sorted(FAST), ids=" ".join)
@pytest.mark.parametrize("columns", ["120", "80", "60"])
def test_printing_only_answers_are_clicks_own(args: tuple[str, ...], columns: str) -> None:
    """`devstack/entry.py` answers without click exactly what click answers (regenerate with
    `python -m devstack.cli.helpgen` when this fails after a change to the group's help)."""
    env = {**os.environ, "COLUMNS": columns}
    fast = subprocess.run([sys.executable, "-m", "devstack", *args], capture_output=True, text=True, env=env)
    by_click = subprocess.run(
        [sys.executable, "-c", CLICK_PATH, *args], capture_output=True, text=True, env=env
    )
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        by_click.returncode,
        by_click.stdout,
        by_click.stderr,
    )
    assert fast.returncode == 0 and fast.stdout


@pytest.mark.parametrize("args", [*sorted(FAST), ("--help", "-v"), ("status", "--help")], ids=" ".join)
def test_printing_only_answers_import_no_click(args: tuple[str, ...]) -> None:
    code = (
        "import atexit, sys\n"
        f"sys.argv = ['devstack', *{list(args)!r}]\n"
        "atexit.register(lambda: sys.stderr.write('CLICK:' + str('click' in sys.modules)))\n"
        "from devstack.entry import main\n"
        "main()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "COLUMNS": "100"}
    )
    assert out.returncode == 0
    assert out.stderr.endswith(f"CLICK:{tuple(args) not in FAST}")


def test_the_program_and_python_m_run_the_same_entry_point() -> None:
    from devstack import __main__, entry

    assert __main__.main is entry.main
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"devstack": "devstack.entry:main"}


QUICK_PROBE = (
    "import sys\n"
    "import devstack.cli.demo as demo\n"
    "def run(options, headless=False, scenario='?', as_json=False, tool='?'):\n"
    "    print('CLICK', 'click' in sys.modules, options.profile, options.verbose, headless, scenario, tool)\n"
    "    if options.settings.environ.get('PROBE_FAIL'):\n"
    "        from devstack.errors import DevstackError\n"
    "        raise DevstackError('the probe failed', fix='nothing', exit_code=3)\n"
    "    return 7\n"
    "demo.run = run\n"
    "sys.argv = ['devstack', *sys.argv[1:]]\n"
    "from devstack.entry import main\n"
    "main()\n"
)


def _probe(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"), **env}
    return subprocess.run(
        [sys.executable, "-c", QUICK_PROBE, *args], capture_output=True, text=True, env=environ, timeout=60
    )


def test_demo_without_options_starts_without_click_as_the_click_command_would(tmp_path: Path) -> None:
    """`devstack demo` reaches the demo command with the click command's defaults, its exit code
    and nothing of click imported; with any option it is the click command (same defaults)."""
    quick = _probe(tmp_path, "demo")
    assert (quick.returncode, quick.stdout) == (7, "CLICK False None 0 False healthy skaffold\n")
    clicked = _probe(tmp_path, "demo", "--tool", "skaffold")
    assert (clicked.returncode, clicked.stdout) == (7, "CLICK True None 0 False healthy skaffold\n")


def test_a_failure_of_the_quick_demo_start_is_one_line_and_its_exit_code(tmp_path: Path) -> None:
    out = _probe(tmp_path, "demo", PROBE_FAIL="1")
    assert out.returncode == 3
    assert out.stderr == "devstack: the probe failed\n  fix: nothing\n"
    assert "Traceback" not in out.stderr


def test_the_quick_start_collects_garbage_again_when_no_app_opens(tmp_path: Path) -> None:
    """`devstack demo` starts with the cyclic collector off (until the app's first frame); without
    a terminal (the headless flow) it is on again before the demo runs."""
    code = (
        "import gc, sys\n"
        "import devstack.cli.demo as demo\n"
        "demo.provide_missing_tools = lambda options: ()\n"
        "def headless(*args, **kwargs):\n"
        "    print('GC', gc.isenabled())\n"
        "    return 5\n"
        "demo._run_headless = headless\n"
        "sys.argv = ['devstack', 'demo']\n"
        "from devstack.entry import main\n"
        "main()\n"
    )
    environ = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environ, stdin=subprocess.DEVNULL
    )
    assert (out.returncode, out.stdout) == (5, "GC True\n"), out.stderr
