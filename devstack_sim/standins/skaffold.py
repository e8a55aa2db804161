"""devstack simulator stand-in for `skaffold` (`devstack_sim/bin/skaffold`): NOT the real skaffold.

Commands `run`, `dev`, `delete`, `build`, `render`, `version` (`v2.19.0`, or
`$DEVSTACK_SIM_SKAFFOLD_VERSION`; configs newer than that release are refused, see `skversion.py`)
over the REAL skaffold.yaml
(profiles applied), with skaffold's output lines on stdout and errors on stderr (TOOLS.md §2). Builds
are simulated (images recorded in `$DEVSTACK_SIM_HOME/images.json`); releases are rendered with the
real `helm template` and applied with the official kubernetes client to the cluster behind
`--kube-context`. Exit codes: 0 success or Ctrl-C, 1 any error (status check included), 127 usage.
`--port-forward` `user` and `services` forward through the API server's WebSocket port-forward
(`pods` and `debug` are accepted and forward nothing). `run` and `dev` serve the event API v2 over
HTTP on 127.0.0.1 (`--rpc-http-port`, default 50052; on by default for `dev`, with `--enable-rpc`
for `run`; `events.py`); `--rpc-port` (gRPC) is accepted and serves nothing. Not supported: log
tailing, non-helm deployers, the local-registry-hosting push path.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import yaml

from devstack_sim.standins import build, devloop, events, portforward, render, skversion, statuscheck
from devstack_sim.standins.flags import Flag, FlagError, Parsed, parse, parse_bool
from devstack_sim.standins.home import StandinError, sim_home
from devstack_sim.standins.record import fail, record_invocation
from devstack_sim.standins.sksession import Session, forwarder, out

USAGE_EXIT = 127
PORT_FORWARD_MODES = ("user", "services", "pods", "debug", "off")
HELP = """A tool that facilitates continuous development for Kubernetes applications.

(devstack simulator stand-in: builds are simulated and deploys go to devstack's simulated clusters;
 NOT the real skaffold. State: $DEVSTACK_SIM_HOME.)

Usage:
  skaffold [command]

Commands: run, dev, delete, build, render, version

Flags: -p/--profile, -f/--filename, --kube-context, --kubeconfig (not on render), --port-forward,
  --status-check, --tail, --cleanup, --cache-artifacts, --default-repo (ignored), -n/--namespace,
  --keep-running-on-failure (dev), --enable-rpc, --rpc-port, --rpc-http-port (run, dev)
"""
COMMON = [
    Flag("profile", "p", "list"),
    Flag("filename", "f"),
    Flag("default-repo", "d"),
    Flag("verbosity", "v"),
    Flag("profile-auto-activation", kind="bool"),
    Flag("help", "h", "bool"),
    Flag("interactive", kind="bool"),
    Flag("update-check", kind="bool"),
    Flag("namespace", "n"),
    Flag("cache-artifacts", kind="bool"),
    Flag("detect-minikube", kind="bool"),
]
KUBE = [Flag("kube-context"), Flag("kubeconfig")]
DEPLOY = [
    Flag("status-check", kind="bool"),
    Flag("port-forward", bare="true"),
    Flag("tail", kind="bool"),
    Flag("cleanup", kind="bool"),
]
RPC = [Flag("enable-rpc", kind="bool"), Flag("rpc-port"), Flag("rpc-http-port")]
COMMANDS = {
    "run": [*COMMON, *KUBE, *DEPLOY, *RPC],
    "dev": [
        *COMMON,
        *KUBE,
        *DEPLOY,
        *RPC,
        Flag("trigger"),
        Flag("watch-poll-interval", "i"),
        Flag("keep-running-on-failure", kind="bool"),
    ],
    "delete": [*COMMON, *KUBE, Flag("dry-run", kind="bool")],
    "build": [*COMMON, *KUBE, Flag("quiet", "q", "bool"), Flag("file-output"), Flag("push", kind="bool")],
    "render": [*COMMON, Flag("output", "o"), Flag("offline", kind="bool"), Flag("digest-source")],
    "version": [Flag("help", "h", "bool"), Flag("verbosity", "v"), Flag("output", "o")],
}


class UsageError(StandinError):
    """A command-line error (exit 127)."""


def _env_defaults(parsed: Parsed, flags: list[Flag]) -> None:
    """skaffold reads any flag from `SKAFFOLD_<NAME>` when it is not on the command line."""
    for flag in flags:
        value = os.environ.get("SKAFFOLD_" + flag.name.upper().replace("-", "_"))
        if value is None or parsed.given(flag.name):
            continue
        if flag.kind == "bool":
            parsed.values[flag.name] = parse_bool(value, flag.name)
        elif flag.kind == "list":
            parsed.values[flag.name] = [v for v in value.split(",") if v]
        else:
            parsed.values[flag.name] = value


def port_forward_modes(value: str) -> list[str]:
    """Parse `--port-forward` (pkg/skaffold/config/portforward.go).

    Raises:
        UsageError: an unknown mode, or a boolean/off mixed with other modes.
    """
    parts = [p.strip() for p in value.split(",") if p.strip()] or ["true"]
    modes: list[str] = []
    for part in parts:
        try:
            enabled = parse_bool(part, "port-forward")
        except FlagError:
            if part not in PORT_FORWARD_MODES:
                raise UsageError(
                    f'invalid argument "{value}" for "--port-forward" flag: unknown port-forward option '
                    f'"{part}": expected: user, services, pods, debug, off'
                ) from None
            modes.append(part)
            continue
        modes += ["user", "services"] if enabled else ["off"]
    if len(parts) > 1 and ("off" in modes or any(p.lower() in ("true", "false", "1", "0") for p in parts)):
        raise UsageError(
            f'invalid argument "{value}" for "--port-forward" flag: a boolean or "off" must be used alone'
        )
    return ["off"] if "off" in modes else modes


def _run(session: Session) -> int:
    deployer = session.deployer()
    forwards = None
    try:
        error = session.iteration(deployer)
        if error is None:
            forwards = forwarder(session, deployer)
    except statuscheck.Cancelled:
        return 0
    finally:
        if forwards is None:
            deployer.close()
    if error is not None:
        session.failure = error
        return fail(error)
    if forwards is not None:
        out("Press Ctrl+C to exit")
        session.stop.wait()
        forwards.stop()
        deployer.close()
        return 0
    out("You can also run [skaffold run --tail] to get the logs")
    return 0


def _dev(session: Session) -> int:
    deployer = session.deployer()
    items = session.artifacts()
    out("Listing files to watch...")
    for artifact in items:
        out(f" - {artifact.image}")
    paths = devloop.watched_paths([a.context for a in items], deployer)
    cleanup = deployer.cleanup if session.parsed.flag("cleanup", True) else None
    forwarders: list[portforward.PortForwarder] = []

    def start_forwarding() -> None:
        started = forwarder(session, deployer)
        if started is not None:
            forwarders.append(started)

    try:
        error = devloop.run(
            lambda: session.dev_iteration(deployer),
            paths,
            cleanup,
            out,
            session.stop,
            start_forwarding,
            keep_running=session.parsed.flag("keep-running-on-failure"),
        )
    finally:
        for running in forwarders:
            running.stop()
        deployer.close()
    if error:
        session.failure = error
        return fail(error)
    return 0


def _delete(session: Session) -> int:
    deployer = session.deployer()
    try:
        out("Cleaning up...")
        if not session.parsed.flag("dry-run"):
            deployer.cleanup()
    finally:
        deployer.close()
    return 0


def _build(session: Session) -> int:
    quiet = session.parsed.flag("quiet")
    items = build.artifacts(session.loaded.artifacts, session.loaded.root)
    build.build(session.home, items, (lambda _line: None) if quiet else out)
    builds = {"builds": [{"imageName": a.image, "tag": a.ref} for a in items]}
    if session.parsed.text("file-output"):
        import json

        Path(session.parsed.text("file-output")).write_text(json.dumps(builds) + "\n", encoding="utf-8")
    if quiet:
        import json

        print(json.dumps(builds), flush=True)
    return 0


def _render(session: Session) -> int:
    items = build.artifacts(session.loaded.artifacts, session.loaded.root)
    namespace = session.parsed.text("namespace") or "default"
    documents = []
    flag = session.parsed.text("namespace")
    for release in render.releases(session.loaded.deploy, session.loaded.root, namespace, flag):
        documents += render.render(release, items, session.loaded.root)
    text = yaml.safe_dump_all(documents, default_flow_style=False, sort_keys=False)
    if session.parsed.text("output"):
        Path(session.parsed.text("output")).write_text(text, encoding="utf-8")
    else:
        print(text, end="", flush=True)
    return 0


def _split_command(argv: list[str]) -> tuple[str, list[str]]:
    """The command word, and everything else (flags may come before it; -v/--verbosity take a value)."""
    skip = False
    for index, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg in ("-v", "--verbosity", "-f", "--filename", "-p", "--profile"):
            skip = True
        elif not arg.startswith("-"):
            return arg, argv[:index] + argv[index + 1 :]
    return "", list(argv)


def run(home: Path, argv: list[str], stop: threading.Event) -> int:
    """Dispatch one command line; returns the exit code."""
    command, rest = _split_command(argv)
    if not command or command == "help":
        print(HELP, end="")
        return 0
    if command not in COMMANDS:
        return fail(f'unknown command "{command}" for "skaffold"', USAGE_EXIT)
    parsed = parse(rest, COMMANDS[command])
    _env_defaults(parsed, COMMANDS[command])
    if parsed.flag("help"):
        print(HELP, end="")
        return 0
    if command == "version":
        print(skversion.claimed_version())
        return 0
    if parsed.args:
        return fail(f'unknown command "{parsed.args[0]}" for "skaffold {command}"', USAGE_EXIT)
    modes = ["off"]
    if command in ("run", "dev"):
        default = "user" if command == "dev" else "off"
        modes = port_forward_modes(parsed.text("port-forward", default))
    session = Session(home, command, parsed, stop)
    session.forward_modes = modes
    handlers = {"run": _run, "dev": _dev, "delete": _delete, "build": _build, "render": _render}
    server = _serve_events(session) if command in ("run", "dev") else None
    try:
        code = handlers[command](session)
    except Exception as err:
        session.failure = session.failure or str(err)
        raise
    finally:
        if server is not None:
            session.events.termination(session.failure)
            server.stop()
    return code


def _serve_events(session: Session) -> events.EventServer | None:
    """The event API (skaffold starts it before building), when `--enable-rpc` is on."""
    parsed = session.parsed
    if not parsed.flag("enable-rpc", session.command == "dev"):
        return None
    requested = parsed.text("rpc-http-port", str(events.DEFAULT_HTTP_PORT))
    server = events.start(session.events, requested, parsed.given("rpc-http-port"), warn)
    config_version = session.loaded.config.get("apiVersion", "")
    session.events.meta(
        f"Starting Skaffold: &{{Version:{skversion.claimed_version()} ConfigVersion:{config_version}}}"
    )
    return server


def warn(line: str) -> None:
    """A logrus warning (stderr)."""
    print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `devstack_sim/bin/skaffold`; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        home = sim_home()
    except StandinError as err:
        return fail(str(err))
    record_invocation(home, "skaffold", args)
    try:
        return run(home, args, stop)
    except (UsageError, FlagError) as err:
        return fail(str(err), USAGE_EXIT)
    except StandinError as err:
        return fail(str(err))
    except OSError as err:
        return fail(f"{type(err).__name__}: {err}")
    except Exception as err:  # client errors become skaffold-style messages; anything else re-raises
        message = client_error(err)
        if message is None:
            raise
        return fail(message)


def client_error(err: Exception) -> str | None:
    """A one-line message for a kubernetes client or connection error (None for anything else)."""
    if "kubernetes" not in sys.modules:
        return None
    from kubernetes.client import ApiException
    from urllib3.exceptions import HTTPError, MaxRetryError

    if isinstance(err, ApiException):
        return f"the API server answered {err.status} {err.reason}: {(err.body or '').strip()[:300]}"
    if isinstance(err, MaxRetryError):
        reason = str(err.reason or err)
        refused = "Connection refused" in reason or "connection refused" in reason
        where = f"{err.pool.host}:{err.pool.port}" if err.pool is not None else "the API server"
        detail = "connect: connection refused" if refused else reason
        return f'Get "https://{where}{err.url or ""}": dial tcp {where}: {detail}'
    if isinstance(err, HTTPError):
        return f"talking to the API server: {err}"
    return None


if __name__ == "__main__":
    sys.exit(main())
