"""Tilt's command lines and its state, read from its stable interface (TILT.md §4–5).

`tilt up`/`tilt ci` run on a free 127.0.0.1 web port with a private `TILT_DEV_DIR`; every client
call (`tilt get`) passes the same `--port` and `TILT_DEV_DIR`, because Tilt finds its API server
by the port's name (`tilt-<port>`) in `<TILT_DEV_DIR>/config` (TILT.md §5.1).

`TiltPoller` follows Tilt with a bounded poll (one `tilt get uiresources -o json` and one
`tilt get session Tiltfile -o json` per second), not `tilt get -w`: see ARCHITECTURE.md
("Following Tilt") for why.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from devstack.core import events as ev
from devstack.core.tilt import TiltResource, TiltSession, resources_from_json, session_from_json
from devstack.sources import processes

POLL_SECONDS = 1.0
GET_TIMEOUT = 10.0
NO_PORT_FORWARDS = "--no-port-forwards"
"""The Tiltfile's own switch (`config.define_bool`): devstack's forwarder owns the ports (§6)."""
_REDIRECTS = ("TILT_PORT", "TILT_HOST", "TILT_CONFIG", "WMDAEMON_HOME", "WINDMILL_DIR")
"""Variables that would point Tilt at another port or settings dir than devstack's (TILT.md §0)."""


@dataclass(frozen=True)
class TiltHome:
    """Where one `tilt up` lives: its web port on 127.0.0.1 and its private settings dir."""

    program: str
    port: int
    dev_dir: Path

    @classmethod
    def create(cls, program: str, port: int, parent: Path | None = None) -> TiltHome:
        """A fresh private `TILT_DEV_DIR` (0700) for a Tilt on `port`."""
        folder = Path(tempfile.mkdtemp(prefix="devstack-tilt-", dir=parent))
        return cls(program, port, folder)

    def env(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` (already confined to the allowed context) with Tilt's own settings dir, no
        variable that redirects Tilt elsewhere, and no analytics."""
        env = {k: v for k, v in base.items() if k not in _REDIRECTS}
        env["TILT_DEV_DIR"] = str(self.dev_dir)
        env["TILT_DISABLE_ANALYTICS"] = "1"
        return env

    def server_args(self) -> list[str]:
        """The web server flags of `up`/`ci`: devstack's port, loopback only."""
        return ["--port", str(self.port), "--host", "127.0.0.1"]

    def remove(self) -> None:
        """Remove the settings dir (after Tilt exited)."""
        shutil.rmtree(self.dev_dir, ignore_errors=True)


def tilt_args(
    program: str, command: str, context: str, tiltfile: str, namespace: str, home: TiltHome | None
) -> list[str]:
    """The command line of `tilt up`, `tilt ci` or `tilt down` for the one allowed context."""
    args = [program, command, "--context", context, "--file", tiltfile, "--namespace", namespace]
    if command in ("up", "ci") and home is not None:
        args += home.server_args()
    return [*args, "--", NO_PORT_FORWARDS]


def _get(home: TiltHome, env: Mapping[str, str], *what: str) -> object:
    """One `tilt get ... -o json` against this Tilt; raises OSError with Tilt's words on failure."""
    args = [home.program, "get", *what, "-o", "json", "--port", str(home.port), "--host", "127.0.0.1"]
    found = processes.run(args, env=env, timeout=GET_TIMEOUT)
    if found.timed_out:
        raise OSError(f"tilt get {' '.join(what)} did not answer within {GET_TIMEOUT:.0f}s")
    if found.returncode != 0:
        said = (found.stderr.strip() or found.stdout.strip()).splitlines()
        raise OSError(said[-1] if said else f"tilt get {' '.join(what)} exited {found.returncode}")
    try:
        return json.loads(found.stdout)
    except ValueError as err:
        raise OSError(f"tilt get {' '.join(what)} printed no JSON: {err}") from err


def read_tilt(home: TiltHome, env: Mapping[str, str]) -> tuple[tuple[TiltResource, ...], TiltSession | None]:
    """Tilt's resources and session now (the session is None until Tilt made it).

    Raises:
        OSError: Tilt did not answer (not started yet, gone) — with Tilt's own words.
    """
    resources = resources_from_json(_get(home, env, "uiresources"))
    try:
        session = session_from_json(_get(home, env, "session", "Tiltfile"))
    except OSError:
        session = None
    return resources, session


class TiltPoller:
    """Reads Tilt's state every `POLL_SECONDS` and dispatches `TiltPolled` (or `TiltUnreachable`
    when the read fails; the same failure is reported once)."""

    def __init__(
        self,
        home: TiltHome,
        env: Mapping[str, str],
        emit: Callable[[ev.Event], None],
        images: tuple[tuple[str, str], ...] = (),
    ):
        self.home, self.env, self.emit, self.images = home, env, emit, images
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tilt-poll", daemon=True)
        self._last: object = None
        self._reading = threading.Lock()

    def start(self) -> TiltPoller:
        """Start polling on a worker thread."""
        self._thread.start()
        return self

    def poll_once(self) -> None:
        """One read, dispatched (unchanged answers are not dispatched again); one at a time."""
        with self._reading:
            self._poll()

    def _poll(self) -> None:
        try:
            resources, session = read_tilt(self.home, self.env)
        except OSError as err:
            detail = str(err)
            if self._last != detail:
                self._last = detail
                self.emit(ev.TiltUnreachable(detail, at=time.time()))
            return
        if self._last != (resources, session):
            self._last = (resources, session)
            self.emit(ev.TiltPolled(resources, session, time.time(), self.home.port, self.images))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(POLL_SECONDS)

    def stop(self) -> None:
        """Stop polling (waits for a read in flight)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=GET_TIMEOUT + 2)
