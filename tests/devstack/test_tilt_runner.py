"""How devstack starts Tilt: the one allowed context, its Tiltfile, a 127.0.0.1 web port, a private
TILT_DEV_DIR, `-- --no-port-forwards` (TILT.md §1, §3, §6), and the doctor's tilt check (§7)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from devstack.core.model import CheckStatus
from devstack.sources.doctor import TOOLS, check_tool, doctor_plan
from devstack.sources.tilt import NO_PORT_FORWARDS, TiltHome, tilt_args
from devstack.sources.tools import ToolEnv
from devstack_sim import standin_bin


def test_up_and_ci_args_pin_context_file_port_and_turn_tilts_forwards_off(tmp_path: Path) -> None:
    home = TiltHome("/bin/tilt", 10399, tmp_path)
    for command in ("up", "ci"):
        args = tilt_args("/bin/tilt", command, "kind-jetscale", "Tiltfile", "jetscale", home)
        assert args[:2] == ["/bin/tilt", command]
        flags = args[2:-2]
        pairs = dict(zip(flags[::2], flags[1::2], strict=True))
        assert pairs == {
            "--context": "kind-jetscale",
            "--file": "Tiltfile",
            "--namespace": "jetscale",
            "--port": "10399",
            "--host": "127.0.0.1",
        }
        assert args[-2:] == ["--", NO_PORT_FORWARDS]


def test_down_has_no_server_flags(tmp_path: Path) -> None:
    """`tilt down` does not contact a running Tilt: no --port/--host (TILT.md §3)."""
    args = tilt_args("/bin/tilt", "down", "kind-jetscale", "Tiltfile", "jetscale", None)
    assert "--port" not in args and "--host" not in args
    assert args[args.index("--context") + 1] == "kind-jetscale" and args[-1] == NO_PORT_FORWARDS


def test_private_dev_dir_and_no_redirecting_variables(tmp_path: Path) -> None:
    home = TiltHome.create("/bin/tilt", 10399, parent=tmp_path)
    assert home.dev_dir.is_dir() and stat.S_IMODE(home.dev_dir.stat().st_mode) == 0o700
    base = {
        "KUBECONFIG": "/private/kubeconfig",
        "TILT_PORT": "10350",
        "TILT_HOST": "0.0.0.0",
        "TILT_CONFIG": "/home/u/.tilt-dev/config",
        "TILT_DEV_DIR": "/home/u/.tilt-dev",
        "PATH": "/usr/bin",
    }
    env = home.env(base)
    assert env["TILT_DEV_DIR"] == str(home.dev_dir)
    assert env["KUBECONFIG"] == "/private/kubeconfig" and env["TILT_DISABLE_ANALYTICS"] == "1"
    assert not {"TILT_PORT", "TILT_HOST", "TILT_CONFIG"} & env.keys()
    home.remove()
    assert not home.dev_dir.exists()


def tilt_standin(tmp_path: Path, version: str) -> ToolEnv:
    """The simulator's tilt (its `tilt version` as TILT.md §7 shows it) claiming `version`."""
    env = {
        **os.environ,
        "DEVSTACK_SIM_HOME": str(tmp_path / "sim-home"),
        "DEVSTACK_SIM_PYTHON": sys.executable,
        "DEVSTACK_SIM_TILT_VERSION": version,
        "PATH": f"{standin_bin()}{os.pathsep}{os.environ['PATH']}",
    }
    return ToolEnv(env, allow_sim=True)


def test_doctor_requires_tilt_036_for_the_tiltfiles_helm_v4(tmp_path: Path) -> None:
    check = check_tool(TOOLS["tilt"], True, tilt_standin(tmp_path, "0.35.2"))
    assert check.status is CheckStatus.FAIL and check.required
    assert "tilt v0.35.2 is older than v0.36.0" in check.detail and "Helm v4" in check.detail
    assert "https://docs.tilt.dev/install.html" in check.fix
    assert check_tool(TOOLS["tilt"], True, tilt_standin(tmp_path, "0.37.6")).status is CheckStatus.OK
    assert check_tool(TOOLS["tilt"], True, tilt_standin(tmp_path, "0.36.0")).status is CheckStatus.OK
    optional = check_tool(TOOLS["tilt"], False, tilt_standin(tmp_path, "0.35.2"))
    assert optional.status is CheckStatus.WARN and not optional.required


def test_tilt_is_required_only_by_tilt_profiles() -> None:
    from helpers import REPO

    from devstack.profile import load

    tilt = doctor_plan(load("local-kind-tilt", REPO).profile, ToolEnv({"PATH": "/usr/bin"}))
    assert "tilt" in tilt.required_tools and "skaffold" in tilt.optional_tools
    skaffold = doctor_plan(load("local-kind", REPO).profile, ToolEnv({"PATH": "/usr/bin"}))
    assert "tilt" in skaffold.optional_tools and "tilt" not in skaffold.required_tools
