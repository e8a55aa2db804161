"""devstack simulator stand-in for `tilt` (`devstack_sim/bin/tilt`): NOT the real Tilt.

Commands (TILT.md, the contract): `up`, `ci`, `down`, `version`, `get`/`describe`/`wait`
(`uiresources`, `session`, `tiltfiles`), `args`, `trigger`, `enable`, `disable`. It executes the real
Tiltfile (`tiltfile.py`: starlark, real `helm template`), simulates `docker_build` (`tiltbuild.py`),
loads images with `kind load` and applies the same objects skaffold would to the cluster behind
`--context` (`tiltdeploy.py`), follows pods (`tiltengine.py`), forwards ports (`tiltforward.py`) and
serves its state to the client commands (`tiltserver.py`, `tiltclient.py`). Streams, texts and exit
codes are Tilt's; where TILT.md is silent the choice is commented and errs on the side of failing.
Not played: the web UI, live_update, local_resource, docker-compose, file watching, `tilt doctor`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import traceback
from types import FrameType
from typing import NoReturn

from devstack_sim.standins import tiltversion
from devstack_sim.standins.flags import Flag, FlagError, Parsed, parse
from devstack_sim.standins.home import HOME_ENV, StandinError, sim_home
from devstack_sim.standins.record import record_invocation
from devstack_sim.standins.tiltlog import Exit

GLOBAL = [Flag("debug", "d", "bool"), Flag("verbose", "v", "bool"), Flag("klog"), Flag("help", "h", "bool")]
SERVER = [
    Flag("port"),
    Flag("host"),
    Flag("webdev-port"),
    Flag("web-mode"),
    Flag("file", "f"),
    Flag("context"),
]
LOG_FILTERS = [Flag("log-level"), Flag("log-source"), Flag("log-resource", kind="list")]
CLIENT = [Flag("port"), Flag("host")]
KUBECTL_GET = [
    *CLIENT,
    Flag("output", "o"),
    Flag("watch", "w", "bool"),
    Flag("watch-only", kind="bool"),
    Flag("ignore-not-found", kind="bool"),
    Flag("selector", "l"),
    Flag("field-selector"),
    Flag("no-headers", kind="bool"),
    Flag("show-labels", kind="bool"),
]
CLIENT_COMMANDS = ("get", "describe", "wait", "args", "trigger", "enable", "disable")
USAGE = {
    "up": "up [<tilt flags>] [-- <Tiltfile args>]",
    "ci": "ci [<tilt flags>] [-- <Tiltfile args>]",
    "down": "down [<tilt flags>] [-- <Tiltfile args>]",
}
HELP = """Tilt helps you develop your microservices locally.
(devstack simulator stand-in: builds are simulated and deploys go to devstack's simulated clusters;
 NOT the real Tilt.)

Usage:
  tilt [command]

Available Commands: up, ci, down, version, get, describe, wait, args, trigger, enable, disable
"""


def command_flags(command: str) -> list[Flag]:
    """The flags a command accepts in the claimed release."""
    logs = LOG_FILTERS if tiltversion.at_least((0, 34, 0)) else []
    snapshot = [Flag("output-snapshot-on-exit"), Flag("logactions", kind="bool")]
    namespace = [Flag("namespace")]
    table: dict[str, list[Flag]] = {
        "up": [
            *SERVER,
            *namespace,
            *logs,
            *snapshot,
            Flag("update-mode"),
            Flag("legacy", kind="bool"),
            Flag("stream", kind="bool"),
        ],
        "ci": [
            *SERVER,
            *(namespace if tiltversion.at_least((0, 33, 7)) else []),
            *logs,
            *snapshot,
            Flag("timeout"),
        ],
        "down": [
            Flag("file", "f"),
            Flag("context"),
            *(namespace if tiltversion.at_least((0, 33, 7)) else []),
            Flag("delete-namespaces", kind="bool"),
            *([Flag("delete-volumes", kind="bool")] if tiltversion.at_least((0, 35, 1)) else []),
        ],
        "version": [],
        "get": KUBECTL_GET,
        "describe": [*CLIENT, Flag("selector", "l")],
        "wait": [*CLIENT, Flag("for"), Flag("timeout"), Flag("all", kind="bool"), Flag("selector", "l")],
        "args": [*CLIENT, Flag("clear", kind="bool")],
        "trigger": CLIENT,
        "enable": [*CLIENT, Flag("labels", "l", "list"), Flag("only", kind="bool"), Flag("all", kind="bool")],
        "disable": [*CLIENT, Flag("labels", "l", "list"), Flag("all", kind="bool")],
    }
    return [*table[command], *GLOBAL]


def cobra_error(message: str) -> int:
    """A cobra-level error: `Error: MSG` and a usage hint on stderr, MSG again on stdout, exit 1."""
    print(f"Error: {message}", file=sys.stderr)
    print("Run 'tilt --help' for usage.", file=sys.stderr, flush=True)
    print(message, flush=True)
    return 1


def _split(argv: list[str]) -> tuple[str, list[str]]:
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        if not arg.startswith("-"):
            return arg, argv[:index] + argv[index + 1 :]
    return "", list(argv)


def env_defaults(parsed: Parsed) -> None:
    """TILT_PORT / TILT_HOST become the defaults of --port / --host (`readEnvDefaults`).

    Raises:
        Exit: TILT_PORT is not an integer (stdout `parsing env TILT_PORT: ...`, exit 1).
    """
    port = os.environ.get("TILT_PORT", "")
    if port and not parsed.given("port"):
        if not port.lstrip("-").isdigit():
            print(f'parsing env TILT_PORT: strconv.Atoi: parsing "{port}": invalid syntax', flush=True)
            raise Exit(1)
        parsed.values["port"] = port
    if os.environ.get("TILT_HOST") and not parsed.given("host"):
        parsed.values["host"] = os.environ["TILT_HOST"]


def run(argv: list[str], stop: threading.Event) -> int:
    """Dispatch one command line; returns the exit code."""
    command, rest = _split(argv)
    if not command:
        root = [*GLOBAL, *([Flag("version", kind="bool")] if tiltversion.at_least((0, 37, 0)) else [])]
        try:
            parsed = parse(rest, root)
        except FlagError as err:
            return cobra_error(str(err))
        if parsed.flag("version"):
            print(tiltversion.stamp(), flush=True)
            return 0
    if not command or command == "help":
        print(HELP, end="", flush=True)
        return 0
    if command not in USAGE and command not in ("version", *CLIENT_COMMANDS):
        return cobra_error(f'unknown command "{command}" for "tilt"')
    try:
        parsed = parse(rest, command_flags(command))
    except FlagError as err:
        return cobra_error(str(err))
    if parsed.flag("help"):
        print(f"Usage:\n  tilt {USAGE.get(command, command)}", flush=True)
        return 0
    if "port" in [f.name for f in command_flags(command)]:
        env_defaults(parsed)
    if command == "version":
        if parsed.args:
            return cobra_error(f'unknown command "{parsed.args[0]}" for "tilt version"')
        print(tiltversion.stamp(), flush=True)
        return 0
    if command in ("up", "ci", "down"):
        from devstack_sim.standins import tiltrun  # the engine's imports only for the commands that run it

        return tiltrun.up(command, parsed, stop) if command != "down" else tiltrun.down(parsed)
    from devstack_sim.standins import tiltclient

    return tiltclient.run(command, parsed)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `devstack_sim/bin/tilt`; returns the exit code.

    Signals (`preCommand`): the first SIGINT/SIGTERM/SIGHUP cancels the command; a second one, or
    the command still running 2 s after the first, exits 1 at once.
    """
    args = sys.argv[1:] if argv is None else argv
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            os._exit(1)
        stop.set()
        watchdog = threading.Timer(2.0, lambda: os._exit(1))
        watchdog.daemon = True
        watchdog.start()

    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, on_signal)
    try:
        tiltversion.claimed()
    except ValueError as err:
        print(f"Error: {err}", file=sys.stderr, flush=True)
        return 1
    if os.environ.get(HOME_ENV, "").strip():
        record_invocation(sim_home(), "tilt", args)
    try:
        return run(args, stop)
    except Exit as done:
        return done.code
    except StandinError as err:
        print(f"Error: {err}", file=sys.stderr, flush=True)
        return 1
    except Exception as err:  # a cluster or API error Tilt would report as `Error: ...` (exit 1)
        from devstack_sim.standins.skaffold import client_error

        message = client_error(err)
        if message is None:
            raise
        print(f"Error: {message}", file=sys.stderr, flush=True)
        return 1


def exit_now(code: int) -> NoReturn:
    """Flush and leave without the interpreter's shutdown, as Tilt's Go binary does.

    Pod log followers and forward relays are daemon threads that may be writing when the command
    returns; CPython aborts (SIGABRT, exit -6: "_enter_buffered_busy: could not acquire lock for
    <stdout> at interpreter shutdown") when one holds stdout's lock then, which real Tilt never does.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    try:
        exit_code = main()
    except SystemExit as done:
        exit_code = done.code if isinstance(done.code, int) else 1
    except Exception:  # noqa: BLE001 - an unexpected failure still shows its traceback, then exits 1
        traceback.print_exc()
        exit_code = 1
    exit_now(exit_code)
