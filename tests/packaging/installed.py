"""An installed devstack, apart from the clone: build the wheel, install it into a fresh venv, run it.

Offline on purpose: the fresh venv gets the wheel with `--no-deps --no-index`, and its dependencies
come from the development venv's site-packages through a `.pth` line naming that folder. Python
adds a `.pth` line's folder to `sys.path` after the venv's own site-packages and does NOT process
the `.pth` files inside it, so the development venv's editable devstack (a `.pth` pointing at the
clone) is not importable there: `devstack` and `devstack_sim` come from the wheel only
(`InstalledDevstack.origin` proves it).
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

from helpers import REPO


@dataclass(frozen=True)
class Built:
    """The wheel and sdist `python -m build` made from the clone."""

    wheel: Path
    sdist: Path


def build(out: Path) -> Built:
    """`python -m build` (sdist, then the wheel from the unpacked sdist) into `out`."""
    run = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (wheel,) = out.glob("devstack-*.whl")
    (sdist,) = out.glob("devstack-*.tar.gz")
    return Built(wheel, sdist)


def wheel_names(wheel: Path) -> set[str]:
    """Every file name in the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@dataclass(frozen=True)
class InstalledDevstack:
    """A venv holding only the wheel's devstack (dependencies borrowed, see the module docstring)."""

    venv: Path

    @property
    def bin(self) -> Path:
        """The venv's scripts folder."""
        return self.venv / "bin"

    @property
    def devstack(self) -> str:
        """The `devstack` console script the wheel installed."""
        return str(self.bin / "devstack")

    def origin(self, module: str) -> Path:
        """Where the venv's Python imports `module` from."""
        run = subprocess.run(
            [str(self.bin / "python"), "-c", f"import {module}; print({module}.__file__)"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=self.venv,
        )
        assert run.returncode == 0, run.stderr
        return Path(run.stdout.strip())


def install(wheel: Path, venv: Path) -> InstalledDevstack:
    """A fresh venv (no pip of its own) with `wheel` installed from the file, no index, no deps."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    borrowed = [sysconfig.get_paths()["purelib"], *site.getsitepackages()]
    Path(purelib, "devstack-test-dependencies.pth").write_text(
        "\n".join(dict.fromkeys(borrowed)) + "\n", encoding="utf-8"
    )
    return InstalledDevstack(venv)


def copy_stack(target: Path) -> Path:
    """A copy of the clone's stack files (no schemas: those ship with devstack)."""
    target.mkdir(parents=True)
    for name in ("charts", "profiles", "demo"):
        shutil.copytree(REPO / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("skaffold.yaml", "Tiltfile"):
        shutil.copy2(REPO / name, target / name)
    return target


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """This test's environment for a child devstack, without anything pointing into the clone."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "DEVSTACK_SIM_TOOLS")
    }
    env.update(
        HOME=str(home),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        KUBECONFIG=str(home / ".kube" / "config"),
        NO_COLOR="1",
    )
    env.update(extra)
    return env


@dataclass(frozen=True)
class DemoRun:
    """What one `devstack demo --headless` printed, what it served, and how it ended."""

    stderr: str
    stdout: str
    config_js: str
    exit_code: int


def run_demo(command: list[str], env: dict[str, str], cwd: Path, timeout: float = 300) -> DemoRun:
    """Start `command` (a `devstack demo --headless`, or a `make run` that ends in one) in its own
    process group, wait until the demo holds, fetch the frontend's /config.js through its forward,
    then Ctrl-C it (SIGINT to the group, as a terminal does) and wait for it to end."""
    import http.client
    import signal

    from helpers import free_port, read_lines_until

    frontend, backend = free_port(), free_port()
    env = {**env, "DEVSTACK_DEMO_FRONTEND_PORT": str(frontend), "DEVSTACK_DEMO_BACKEND_PORT": str(backend)}
    demo = subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines, ready = read_lines_until(
        demo.stderr, lambda seen: "holds until Ctrl-C" in seen[-1] or "Ctrl-C ends it" in seen[-1]
    )
    config_js = ""
    try:
        # not `lines[-1]`: the reader thread may have appended the next line already
        if ready.wait(timeout) and any("holds until Ctrl-C" in line for line in lines):
            conn = http.client.HTTPConnection("127.0.0.1", frontend, timeout=10)
            conn.request("GET", "/config.js")
            config_js = conn.getresponse().read().decode()
            conn.close()
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGINT)
        code = demo.wait(timeout=120)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert demo.stdout is not None
    return DemoRun("".join(lines), demo.stdout.read(), config_js, code)
