"""Helpers for the tilt stand-in tests: its environment, a stack folder to run Tiltfiles from, and a
running `tilt up` that is always stopped."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from helpers import REPO
from standin_helpers import EKS_CONTEXT, eks_kubeconfig

from devstack_sim import standin_bin

TILT = str(standin_bin() / "tilt")


def tilt_env(tmp: Path, kubeconfig: Path | None = None) -> dict[str, str]:
    """The stand-ins first on PATH, a private sim home, TILT_DEV_DIR and kubeconfig under `tmp`."""
    if kubeconfig is None:
        kubeconfig = tmp / "kube" / "config"
        kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        kubeconfig.write_text(yaml.safe_dump(eks_kubeconfig()), encoding="utf-8")
    env = dict(os.environ)
    for key in (
        "TILT_PORT",
        "TILT_HOST",
        "TILT_CONFIG",
        "CI",
        "DEVSTACK_SIM_TILT_VERSION",
        "KIND_CLUSTER_NAME",
    ):
        env.pop(key, None)
    env.update(
        DEVSTACK_SIM_HOME=str(tmp / "simhome"),
        DEVSTACK_SIM_PYTHON=sys.executable,
        DEVSTACK_SIM_DOCKER="off",
        KUBECONFIG=str(kubeconfig),
        KUBECACHEDIR=str(tmp / "kube" / "cache"),
        TILT_DEV_DIR=str(tmp / "tiltdev"),
        PATH=os.pathsep.join([str(standin_bin()), str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    return env


def stack(tmp: Path, tiltfile: str | None = None, copy: tuple[str, ...] = ()) -> Path:
    """A folder to run a Tiltfile from: the repo's Tiltfile (or `tiltfile`), `charts` and `demo` linked
    to the repository's (those named in `copy` are copied, so a test may break them)."""
    folder = tmp / "stack"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Tiltfile").write_text(tiltfile or (REPO / "Tiltfile").read_text(), encoding="utf-8")
    for part in ("charts", "demo"):
        if part in copy:
            shutil.copytree(REPO / part, folder / part, ignore=shutil.ignore_patterns("__pycache__", "*.tgz"))
        else:
            (folder / part).symlink_to(REPO / part)
    return folder


def run(
    env: dict[str, str], *args: str, cwd: Path = REPO, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the tilt stand-in to completion."""
    return subprocess.run(
        [TILT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@dataclass
class Running:
    """A `tilt up` in the background (its own process group), stopped by `stop()`."""

    process: subprocess.Popen[str]
    log: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def output(self) -> str:
        """Everything it printed so far (stdout and stderr)."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        """Signal it and wait; returns the exit code (kills the group if it hangs)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
            raise


def start(env: dict[str, str], *args: str, cwd: Path, log: Path) -> Running:
    """Start `tilt ARGS` with stdout and stderr into `log`."""
    handle = open(log, "w", encoding="utf-8")  # noqa: SIM115 - the child writes it while we poll
    process = subprocess.Popen(
        [TILT, *args],
        cwd=cwd,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    handle.close()
    return Running(process, log)


__all__ = ["EKS_CONTEXT", "TILT", "Running", "run", "stack", "start", "tilt_env"]
