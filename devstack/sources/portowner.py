"""Who holds a forward's port, proved and never guessed, and taking over only what is ours.

devstack's forwarder writes a marker (`<state dir>/forwards/<port>.json`: pid, process start time,
profile, context, forward) while it holds a port and removes it when it lets go. A holder is:

- devstack's own forward: the marker for the port names the live holder (same pid *and* start
  time, so a reused pid never matches);
- a `kubectl port-forward` to the same kube context: the program is kubectl, the subcommand
  `port-forward`, and its `--context` (or, without one, the current-context of the kubeconfig it
  reads) is the profile's context;
- anything else: never stopped, only named.

A command line merely containing "devstack" or "kubectl" proves nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from devstack.errors import DevstackError
from devstack.exitcodes import UNHEALTHY
from devstack.settings import kubeconfig_paths
from devstack.sources.ports import PortHolder, port_holder, port_is_free

MARKER_DIR = "forwards"
DEVSTACK, KUBECTL, FOREIGN = "devstack", "kubectl", "foreign"


@dataclass(frozen=True)
class ForwardMarker:
    """What a forwarder writes for each port it holds."""

    pid: int
    create_time: float
    profile: str
    context: str
    port: int
    forward: str


@dataclass(frozen=True)
class PortClaims:
    """Markers of the forwards of one profile, in `<state_dir>/forwards/`."""

    state_dir: Path
    profile: str
    context: str

    def path(self, port: int) -> Path:
        """The marker file of a port."""
        return self.state_dir / MARKER_DIR / f"{port}.json"

    def claim(self, port: int, forward: str) -> None:
        """Record that this process holds `port` for `forward` (a private file, written atomically)."""
        import psutil

        marker = ForwardMarker(
            os.getpid(), psutil.Process().create_time(), self.profile, self.context, port, forward
        )
        folder = self.path(port).parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = folder / f".{port}.{os.getpid()}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(asdict(marker), handle)
        os.replace(temporary, self.path(port))

    def release(self, port: int) -> None:
        """Remove the marker of `port` if this process wrote it."""
        marker = read_marker(self.state_dir, port)
        if marker is not None and marker.pid == os.getpid():
            with contextlib.suppress(OSError):
                self.path(port).unlink()


def read_marker(state_dir: Path, port: int) -> ForwardMarker | None:
    """The marker of `port`, or None (missing, unreadable or malformed: proves nothing)."""
    try:
        data = json.loads((state_dir / MARKER_DIR / f"{port}.json").read_text(encoding="utf-8"))
        return ForwardMarker(
            pid=int(data["pid"]),
            create_time=float(data["create_time"]),
            profile=str(data["profile"]),
            context=str(data["context"]),
            port=int(data["port"]),
            forward=str(data["forward"]),
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None


@dataclass(frozen=True)
class Ownership:
    """Whose a port holder is.

    Attributes:
        kind: `devstack` (a marked devstack forward), `kubectl` (a kubectl port-forward to the
            same context) or `foreign`.
        what: How messages name it.
        same_profile: A devstack forward of this very profile and context.
    """

    kind: str
    what: str
    same_profile: bool = False

    @property
    def ours(self) -> bool:
        """Provably a forward of this stack's kind: `--take-over` may stop it."""
        return self.kind in (DEVSTACK, KUBECTL)


def ownership(holder: PortHolder, port: int, claims: PortClaims | None) -> Ownership:
    """Decide whose `holder` (listening on `port`) is; without `claims` only kubectl can be proved."""
    if holder.pid is None:
        return Ownership(FOREIGN, "a process devstack cannot see")
    if claims is not None:
        marker = read_marker(claims.state_dir, port)
        if marker is not None and _is_live_holder(marker, holder):
            same = marker.profile == claims.profile and marker.context == claims.context
            what = f"devstack's forward {marker.forward} of profile {marker.profile}"
            what += f" (context {marker.context})"
            return Ownership(DEVSTACK, what, same_profile=same)
        context = kubectl_forward_context(holder)
        if context is not None and context == claims.context:
            return Ownership(KUBECTL, f"a kubectl port-forward to context {context}")
    return Ownership(FOREIGN, "another process")


def _is_live_holder(marker: ForwardMarker, holder: PortHolder) -> bool:
    return (
        marker.pid == holder.pid
        and holder.create_time is not None
        and abs(marker.create_time - holder.create_time) < 0.01
    )


def _flag(argv: tuple[str, ...], name: str) -> str | None:
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def kubectl_forward_context(holder: PortHolder) -> str | None:
    """The kube context of a `kubectl port-forward` holder (None when it is not one, or unknown)."""
    argv = holder.argv
    if not argv or os.path.basename(argv[0]) not in ("kubectl", "kubectl.exe"):
        return None
    if "port-forward" not in argv[1:]:
        return None
    explicit = _flag(argv, "--context")
    if explicit is not None:
        return explicit
    return _current_context(holder, _flag(argv, "--kubeconfig"))


def _current_context(holder: PortHolder, kubeconfig: str | None) -> str | None:
    """The current-context kubectl `holder` runs with (its --kubeconfig, KUBECONFIG or HOME)."""
    import psutil

    from devstack.sources.kubeconfig import read_kubeconfig

    assert holder.pid is not None
    try:
        process = psutil.Process(holder.pid)
        environ = process.environ()
        cwd = Path(process.cwd())
    except psutil.Error:
        return None
    home = Path(environ.get("HOME") or "/nonexistent")
    value = kubeconfig if kubeconfig is not None else environ.get("KUBECONFIG", "")
    for path in kubeconfig_paths(value, home):
        try:
            current = read_kubeconfig(cwd / path).get("current-context")
        except Exception:  # noqa: BLE001 - an unreadable kubeconfig proves nothing
            return None
        if current:
            return str(current)
    return None


@dataclass(frozen=True)
class HeldPort:
    """A forward's port, held by `holder`, which is `owner`'s."""

    port: int
    forward: str
    holder: PortHolder
    owner: Ownership

    def message(self) -> str:
        """`port 3000 (frontend) is held by pid 12 (python3: …): another process`."""
        return f"port {self.port} ({self.forward}) is held by {self.holder.describe()}: {self.owner.what}"

    def fix(self) -> str:
        """How to free the port."""
        if self.holder.pid is None:
            return (
                f"find it with `sudo ss -ltnp 'sport = :{self.port}'` and stop it, "
                f"or change forwards[].local_port of {self.forward}"
            )
        if self.owner.ours:
            return f"`--take-over` (devstack up/forward) stops it, or `kill {self.holder.pid}`"
        return f"stop it (`kill {self.holder.pid}`) or change forwards[].local_port of {self.forward}"

    def facts(self) -> dict[str, str]:
        """For JSON documents and doctor data (the command line is already redacted)."""
        return {
            "port": str(self.port),
            "forward": self.forward,
            "pid": str(self.holder.pid or ""),
            "process": self.holder.name,
            "cmdline": self.holder.cmdline,
            "owner": self.owner.kind,
        }


class PortBusy(DevstackError):
    """A profile port is held by another process: refuse, never remap."""

    def __init__(self, held: HeldPort):
        super().__init__(held.message(), fix=held.fix(), exit_code=UNHEALTHY)
        self.held = held

    @property
    def stale(self) -> bool:
        """A forward of this stack that `--take-over` may stop."""
        return self.held.owner.ours


def stop_holder(holder: PortHolder) -> None:
    """Stop the process holding a port: TERM, wait, KILL; only if it is still the same process."""
    import psutil

    if holder.pid is None:
        return
    with contextlib.suppress(psutil.Error):
        process = psutil.Process(holder.pid)
        if holder.create_time is None or abs(process.create_time() - holder.create_time) >= 0.01:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except psutil.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def port_owner(port: int, forward: str, claims: PortClaims | None) -> HeldPort | None:
    """Who holds 127.0.0.1:`port` (of `forward`) and whose it is (None when the port is free)."""
    if port_is_free(port):
        return None
    holder = port_holder(port)
    return HeldPort(port, forward, holder, ownership(holder, port, claims))


def serves_this_profile(owner: Ownership) -> bool:
    """The holder forwards this profile's context: devstack's own forward, or kubectl's."""
    return (owner.kind == DEVSTACK and owner.same_profile) or owner.kind == KUBECTL
