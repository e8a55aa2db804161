"""The janitor: what a devstack process could not clean up is removed as soon as that process is gone.

Two kinds of folders under the state dir are leased to the process that made them (`leases.py`):

- `demos/devstack-demo-*/`: a `devstack demo` environment (stack copy, kubeconfig, the simulator's
  state). Its record names the Docker labels of its node containers; every process it starts
  (kind and skaffold stand-ins, the simulator daemon they start, helm, kubectl) carries
  `DEVSTACK_DEMO_HOME=<folder>` in its environment, and the simulator's pod processes are the
  daemon's children (they also die with it: `PR_SET_PDEATHSIG`, see `devstack_sim.cluster.process`).
- `private/*/`: a process's credential files for the kubernetes client (`credential_files.py`).

How a demo ends with its owner (the choice for "nothing outlives devstack, even SIGKILL"): an owner
lease plus a reaper. The demo holds the lease on its folder and starts a reaper
(`python -m devstack.sources.janitor --reap FOLDER`, in a session of its own so neither Ctrl-C nor a
closed terminal reaches it) that blocks on the lease. The kernel frees the lease when the demo
process ends, however it ends, so the reaper wakes at once and removes the demo: TERM to its
processes (the simulator daemon stops its pods), KILL to whatever is left, `docker rm -f` of its
node containers, then the folder. After a clean exit (the demo removed everything, then let go) the
reaper finds nothing left, or only what a start-up interrupted at the wrong moment created late.
Nothing compares pids, so pid reuse cannot confuse it.

If the reaper could not run (it was killed too, the machine rebooted), the next devstack start
(`sweep_on_start`, any command) and `devstack down --stale` (`sweep`) remove every folder whose
lease is free, naming what they removed. When nothing is stale this costs a directory listing and no
import beyond the standard library.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.sources import leases
from devstack.sources.credential_files import PURPOSE as CREDENTIALS
from devstack.sources.credential_files import private_root

DEMOS_DIR = "demos"
DEMO_MARKER = "DEVSTACK_DEMO_HOME"
DEMO = "devstack demo"
TERM_GRACE = 10.0
PACKAGE_PARENT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Removed:
    """What was removed of one folder whose owner was gone."""

    purpose: str
    folder: str
    owner_pid: int | None
    processes: tuple[str, ...] = ()
    containers: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line naming everything removed."""
        parts = [f"process {p}" for p in self.processes] + [f"container {c}" for c in self.containers]
        parts.append(f"folder {self.folder}")
        owner = f"pid {self.owner_pid}" if self.owner_pid else "an unknown process"
        return f"removed the {self.purpose} left by {owner}, which is gone: {', '.join(parts)}"

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (`devstack down --stale --json`)."""
        return {
            "purpose": self.purpose,
            "folder": self.folder,
            "owner_pid": self.owner_pid,
            "processes": list(self.processes),
            "containers": list(self.containers),
        }


def demos_root(state_dir: Path) -> Path:
    """The folder holding one folder per `devstack demo` environment."""
    return state_dir / DEMOS_DIR


def sweep(state_dir: Path) -> list[Removed]:
    """Remove every credential folder and demo under `state_dir` whose owner is gone."""
    removed = sweep_credentials(state_dir)
    for folder in leases.subfolders(demos_root(state_dir)):
        with leases.taken(folder) as record:
            if record is not None:
                removed.append(remove_demo(folder, record))
    return removed


def sweep_credentials(state_dir: Path) -> list[Removed]:
    """Remove every credential folder under `state_dir` whose owner is gone."""
    removed = []
    for folder in leases.subfolders(private_root(state_dir)):
        with leases.taken(folder) as record:
            if record is not None:
                import shutil

                shutil.rmtree(folder, ignore_errors=True)
                removed.append(Removed(CREDENTIALS, str(folder), _pid(record)))
    return removed


def sweep_on_start(state_dir: Path) -> list[str]:
    """`sweep` as every command starts: the lines to show (never fails the command)."""
    try:
        return [f"devstack: {item.describe()}" for item in sweep(state_dir)]
    except Exception as err:  # noqa: BLE001 - a janitor problem must not stop the command the user asked for
        return [f"devstack: could not remove what an earlier run left in {state_dir}: {err}"]


def remove_demo(folder: Path, record: Mapping[str, Any]) -> Removed:
    """Stop the demo's processes, remove its node containers and its folder."""
    import shutil

    processes = stop_marked_processes(str(folder))
    containers = remove_containers([str(label) for label in record.get("container_labels") or []])
    shutil.rmtree(folder, ignore_errors=True)
    return Removed(str(record.get("purpose") or DEMO), str(folder), _pid(record), processes, containers)


def _pid(record: Mapping[str, Any]) -> int | None:
    pid = record.get("pid")
    return pid if isinstance(pid, int) else None


def stop_marked_processes(home: str, grace: float = TERM_GRACE) -> tuple[str, ...]:
    """TERM every process carrying `DEVSTACK_DEMO_HOME=home` (and, after `grace`, KILL it and its
    children); returns `pid name` of each. Repeats while new ones appear (a child started meanwhile)."""
    import psutil

    stopped: dict[int, str] = {}
    for _round in range(5):
        marked = [p for p in psutil.process_iter(["environ", "name", "cmdline"]) if _carries(p, home)]
        if not marked:
            break
        family = {p.pid: p for p in marked}
        for process in marked:
            stopped[process.pid] = f"{process.pid} {_label(process.info)}"
            try:
                family.update((c.pid, c) for c in process.children(recursive=True))
                process.terminate()
            except psutil.Error:
                continue
        _, alive = psutil.wait_procs(marked, timeout=grace)
        leftovers = alive + [p for pid, p in family.items() if pid not in {m.pid for m in marked}]
        for process in leftovers:
            try:
                process.kill()  # psutil checks the create time first: a reused pid is never hit
            except psutil.Error:
                continue
        psutil.wait_procs(leftovers, timeout=5)
    return tuple(stopped[pid] for pid in sorted(stopped))


def _label(info: Mapping[str, Any]) -> str:
    """`sleep`, `python -m devstack_sim`, `kind` (a script's name rather than its interpreter's)."""
    name, cmdline = str(info.get("name") or "?"), list(info.get("cmdline") or [])
    if len(cmdline) >= 3 and cmdline[1] == "-m":
        return f"{name} -m {cmdline[2]}"
    if len(cmdline) >= 2 and name.startswith("python") and not cmdline[1].startswith("-"):
        return Path(cmdline[1]).name
    return name


def _carries(process: Any, home: str) -> bool:
    environ = process.info.get("environ") or {}
    return process.pid != os.getpid() and environ.get(DEMO_MARKER) == home


def remove_containers(labels: list[str]) -> tuple[str, ...]:
    """`docker rm -f -v` every container carrying all `labels` (none without labels or Docker)."""
    if not labels:
        return ()
    try:
        import docker
        from docker.errors import DockerException

        client = docker.from_env(timeout=30)
        client.ping()
    except Exception:  # noqa: BLE001 - no Docker (or no SDK): there can be no containers to remove
        return ()
    names = []
    try:
        for container in client.containers.list(all=True, filters={"label": labels}):
            try:
                container.remove(force=True, v=True)
            except DockerException:
                continue
            names.append(container.name)
    finally:
        client.close()
    return tuple(sorted(names))


def start_reaper(folder: Path, environ: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start the reaper of the demo in `folder` (leased already); it outlives its owner on purpose.

    Its stderr is the owner's, so a demo that was killed says there what was removed.
    """
    env = {key: value for key, value in environ.items() if key != DEMO_MARKER}
    paths = [str(PACKAGE_PARENT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return subprocess.Popen(
        [sys.executable, "-m", "devstack.sources.janitor", "--reap", str(folder)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )


def reap(folder: Path) -> int:
    """Wait for the owner of `folder` to end (or let go), then remove whatever of the demo is left."""
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    with leases.taken(folder, wait=True) as record:
        if record is None:
            return 1
        abandoned = folder.is_dir()  # a clean exit removes the folder before letting go
        removed = [remove_demo(folder, record)]
    if not abandoned and not (removed[0].processes or removed[0].containers):
        return 0
    removed += sweep_credentials(folder.parent.parent)  # the owner's client files among them
    with contextlib.suppress(OSError):  # the terminal may be gone
        for item in removed:
            print(f"{DEMO}: {item.describe()}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--reap":
        sys.exit(reap(Path(sys.argv[2])))
    print("usage: python -m devstack.sources.janitor --reap FOLDER", file=sys.stderr)
    sys.exit(2)
