"""The simulator daemon behind each stand-in cluster: `python -m devstack_sim serve` in the background.

It runs detached (new session, stdio to `daemon.log` in the cluster folder, pid in `daemon.pid`), so it
outlives the `kind create cluster` that started it and a TERM to kind's process group never reaches
it. `kind delete cluster` stops it: TERM (the simulator stops every pod process), then KILL. Its pod
processes die with it however it ends (`devstack_sim.cluster.process`). Like a kind node it does not
know who asked for the cluster: whoever owns the cluster ends it (`devstack demo` through its
reaper, which finds the daemon by the environment it inherits).
"""

from __future__ import annotations

import base64
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

import devstack_sim
from devstack_sim import kubeconfig as kubeconfig_mod
from devstack_sim.standins.home import StandinError, read_json, write_json

PID_FILE = "daemon.pid"
LOG_FILE = "daemon.log"
SERVING = "devstack-sim: serving"
# The folder holding the devstack_sim package (a clone, or site-packages): on the daemon's PYTHONPATH.
PACKAGE_PARENT = Path(devstack_sim.__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(PACKAGE_PARENT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def start(
    folder: Path,
    name: str,
    kubeconfig: Path,
    port: int,
    images: Path,
    follow_container: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start the daemon for cluster `name` (its state in `folder`) and record its pid."""
    command = [
        sys.executable,
        "-m",
        "devstack_sim",
        "serve",
        "--name",
        name,
        "--kubeconfig",
        str(kubeconfig),
        "--state-dir",
        str(folder),
        "--images",
        str(images),
        "--port",
        str(port),
    ]
    if follow_container:
        command += ["--follow-container", follow_container]
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOG_FILE, "wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=folder,
            env=_env(),
            start_new_session=True,
        )
    created = psutil.Process(process.pid).create_time()
    write_json(folder / PID_FILE, {"pid": process.pid, "create_time": created, "command": command})
    return process


def running(folder: Path) -> psutil.Process | None:
    """The live daemon process of the cluster in `folder` (a reused pid does not count)."""
    info = read_json(folder / PID_FILE)
    if not isinstance(info, dict):
        return None
    try:
        process = psutil.Process(int(info["pid"]))
        if abs(process.create_time() - float(info["create_time"])) > 0.5:
            return None
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
    except (psutil.Error, KeyError, ValueError, TypeError):
        return None
    return process


def stop(folder: Path, grace: float = 20.0) -> None:
    """TERM the daemon, wait up to `grace` seconds, then KILL it and anything it left behind."""
    process = running(folder)
    if process is None:
        return
    try:
        leftovers = process.children(recursive=True)
        process.terminate()
        _, alive = psutil.wait_procs([process], timeout=grace)
        if alive:
            leftovers = process.children(recursive=True) + leftovers
            process.kill()
            psutil.wait_procs([process], timeout=5)
    except psutil.NoSuchProcess:
        leftovers = []
    stragglers = [p for p in leftovers if p.is_running()]
    for child in stragglers:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(stragglers, timeout=5)


def log_tail(folder: Path, lines: int = 8) -> str:
    """The last lines of the daemon's log (for error messages)."""
    try:
        text = (folder / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def _context_tls(kubeconfig: Path, context: str, workdir: Path) -> tuple[str, ssl.SSLContext]:
    config = kubeconfig_mod.read(kubeconfig) or {}

    def entry(section: str, name: str) -> dict[str, str]:
        for item in config.get(section) or []:
            if isinstance(item, dict) and item.get("name") == name:
                return dict(item.get(section[:-1]) or {})
        raise StandinError(f"{kubeconfig}: no {section[:-1]} named {name}")

    ctx = entry("contexts", context)
    cluster = entry("clusters", str(ctx.get("cluster")))
    user = entry("users", str(ctx.get("user")))
    tls = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    fd, pem = tempfile.mkstemp(prefix=".client-", suffix=".pem", dir=workdir)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(base64.b64decode(user["client-certificate-data"]))
            handle.write(base64.b64decode(user["client-key-data"]))
        tls.load_cert_chain(pem)
    finally:
        Path(pem).unlink(missing_ok=True)
    return str(cluster["server"]), tls


def api_answers(kubeconfig: Path, context: str, workdir: Path, timeout: float = 2.0) -> bool:
    """Whether `GET /readyz` answers 200 over TLS with the context's client certificate."""
    try:
        server, tls = _context_tls(kubeconfig, context, workdir)
        with urllib.request.urlopen(f"{server}/readyz", context=tls, timeout=timeout) as response:
            return bool(response.status == 200)
    except (OSError, StandinError, KeyError, ValueError, ssl.SSLError, urllib.error.URLError):
        return False


def wait_ready(
    folder: Path,
    process: subprocess.Popen[bytes],
    kubeconfig: Path,
    context: str,
    timeout: float = 90.0,
) -> float:
    """Wait until the daemon says it serves and the API answers; returns the seconds it took.

    Raises:
        StandinError: the daemon exited, or the API did not answer within `timeout`.
    """
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StandinError(
                f"the simulated API server exited with code {process.returncode}:\n{log_tail(folder)}"
            )
        log = (
            (folder / LOG_FILE).read_text(encoding="utf-8", errors="replace")
            if (folder / LOG_FILE).exists()
            else ""
        )
        if SERVING in log and api_answers(kubeconfig, context, folder):
            return time.monotonic() - started
        time.sleep(0.1)
    raise StandinError(f"the simulated API server did not answer within {timeout:.0f}s:\n{log_tail(folder)}")
