"""`skaffold dev` of the stand-in: build, deploy, status check, then watch the sources and redo it.

Artifact contexts, chart folders and values files are polled about once a second; a change starts a
new iteration (`Generating tags...` onwards; unchanged artifacts are `Found Locally`). SIGINT/SIGTERM
end the loop; with `--cleanup` (the default) `Cleaning up...` and the deletion of what was deployed
follow. A failing first deploy ends dev mode (`exiting dev mode because first deploy failed: ...`,
exit 1) unless `--keep-running-on-failure` is given: then it is reported like later failures, and
the loop keeps watching (what was deployed stays, so its failure can be looked at).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from devstack_sim.standins import build, statuscheck
from devstack_sim.standins.deploy import Deployer
from devstack_sim.standins.home import StandinError

Out = Callable[[str], None]
Iteration = Callable[[], str | None]


def watched_paths(contexts: list[Path], deployer: Deployer) -> list[Path]:
    """What a change anywhere in restarts the loop."""
    paths = list(contexts)
    for release in deployer.releases:
        paths.append(release.chart)
        for values in release.spec.get("valuesFiles") or []:
            paths.append((deployer.root / str(values)).resolve())
    return list(dict.fromkeys(paths))


def snapshot(paths: list[Path]) -> tuple[object, ...]:
    """A cheap fingerprint of every watched file."""
    result: list[object] = []
    for path in paths:
        if path.is_dir():
            result.append(build.fingerprint(path))
        else:
            try:
                stat = path.stat()
                result.append((str(path), stat.st_size, stat.st_mtime_ns))
            except OSError:
                result.append((str(path), None))
    return tuple(result)


def run(
    iteration: Iteration,
    paths: list[Path],
    cleanup: Callable[[], None] | None,
    out: Out,
    stop: threading.Event,
    after_first: Callable[[], None] | None = None,
    poll: float = 1.0,
    keep_running: bool = False,
) -> str | None:
    """The dev loop; returns None after a clean stop, else the error that ended dev mode.

    `after_first` runs once the first deploy succeeded (port forwarding starts there).
    `keep_running` (`--keep-running-on-failure`) keeps watching after a failed first deploy.
    """
    try:
        seen = snapshot(paths)
        try:
            error = iteration()
        except statuscheck.Cancelled:
            error = None
        if error is not None and not stop.is_set():
            if not keep_running:
                return f"exiting dev mode because first deploy failed: {error}"
            out(error)
        elif not stop.is_set() and after_first is not None:
            after_first()
        if not stop.is_set():
            out("Press Ctrl+C to exit")
            out("Watching for changes...")
        while not stop.wait(poll):
            current = snapshot(paths)
            if current == seen:
                continue
            seen = current
            try:
                error = iteration()
            except statuscheck.Cancelled:
                break
            except StandinError as err:
                error = str(err)
            if error is not None:
                out(error)
            if not stop.is_set():
                out("Watching for changes...")
        return None
    finally:
        if cleanup is not None:
            out("Cleaning up...")
            cleanup()
