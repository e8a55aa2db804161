"""How devstack starts Tilt: the one allowed context, its Tiltfile, a 127.0.0.1 web port, a private
TILT_DEV_DIR, `-- --no-port-forwards` (TILT.md §1, §3, §6), and the doctor's tilt check (§7)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from devstack.core.model import CheckStatus
from devstack.sources.doctor import TOOLS, check_tool, doctor_plan
from devstack.sources.tilt import NO_PORT_FORWARDS, TiltHome, tilt_args
from devstack.sources.tools import ToolEnv


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


def fake_tilt(folder: Path, version: str) -> Path:
    """A `tilt` that answers `tilt version` as TILT.md §7 shows (nothing else is asked of it)."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / "tilt"
    program.write_text(
        f'#!/bin/sh\n[ "$1" = version ] && echo "{version}, built 2026-07-28" && exit 0\nexit 1\n'
    )
    program.chmod(0o755)
    return program


def test_doctor_requires_tilt_036_for_the_tiltfiles_helm_v4(tmp_path: Path) -> None:
    old = ToolEnv({"PATH": f"{fake_tilt(tmp_path / 'old', 'v0.35.2').parent}{os.pathsep}/usr/bin"})
    check = check_tool(TOOLS["tilt"], True, old)
    assert check.status is CheckStatus.FAIL and check.required
    assert "tilt v0.35.2 is older than v0.36.0" in check.detail and "Helm v4" in check.detail
    assert "https://docs.tilt.dev/install.html" in check.fix
    new = ToolEnv({"PATH": f"{fake_tilt(tmp_path / 'new', 'v0.37.6').parent}{os.pathsep}/usr/bin"})
    assert check_tool(TOOLS["tilt"], True, new).status is CheckStatus.OK
    dev = ToolEnv({"PATH": f"{fake_tilt(tmp_path / 'dev', 'v0.36.0-dev').parent}{os.pathsep}/usr/bin"})
    assert check_tool(TOOLS["tilt"], True, dev).status is CheckStatus.OK


def test_tilt_is_required_only_by_tilt_profiles() -> None:
    from helpers import REPO

    from devstack.profile import load

    tilt = doctor_plan(load("local-kind-tilt", REPO).profile, ToolEnv({"PATH": "/usr/bin"}))
    assert "tilt" in tilt.required_tools and "skaffold" in tilt.optional_tools
    skaffold = doctor_plan(load("local-kind", REPO).profile, ToolEnv({"PATH": "/usr/bin"}))
    assert "tilt" in skaffold.optional_tools and "tilt" not in skaffold.required_tools
