"""`python -m devstack_sim serve --name NAME --kubeconfig FILE ...`: run a simulated cluster.

Runs in the foreground, prints one line
`devstack-sim: serving kind-NAME on https://127.0.0.1:PORT (kubeconfig FILE)` and stops cleanly
on Ctrl-C or SIGTERM (runtime first, so every pod process is gone), exiting 0.
With `--follow-container NAME` it listens only while that Docker container runs and stops when the
container is removed (the kind stand-in's node; see `devstack_sim.standins.follow`).
Exit codes: 0 after a clean stop, 1 when the simulator cannot start, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from devstack_sim.app import RuntimeFactory, Simulator


def runtime_factory(images: Path | None) -> RuntimeFactory | None:
    """The node side to plug in: `devstack_sim.cluster.Cluster` when that package provides it.

    This is the single place where the cluster is wired to the API server.
    """
    try:
        from devstack_sim import cluster
    except ImportError:
        return None
    cluster_class = getattr(cluster, "Cluster", None)
    if cluster_class is None:
        return None
    # WIRING POINT: adapt this call to `Cluster`'s published constructor.
    return lambda store: cluster_class(store, images=images)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devstack_sim", description="Simulated kind cluster")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a simulated cluster in the foreground")
    serve.add_argument("--name", required=True, help="cluster name (context kind-NAME)")
    serve.add_argument("--kubeconfig", required=True, type=Path, help="kubeconfig file to merge into")
    serve.add_argument("--port", type=int, default=0, help="API port (default: saved or random)")
    serve.add_argument(
        "--state-dir", type=Path, default=None, help="certificates and port (default: next to kubeconfig)"
    )
    serve.add_argument("--images", type=Path, default=None, help="image table YAML for the pod runtime")
    serve.add_argument("--no-set-context", action="store_true", help="do not change current-context")
    serve.add_argument("--no-runtime", action="store_true", help="serve the API only (no pods run)")
    serve.add_argument(
        "--follow-container",
        default=None,
        metavar="NAME",
        help="serve only while this Docker container runs; stop when it is removed (kind stand-in nodes)",
    )
    return parser


async def _serve(args: argparse.Namespace) -> int:
    state_dir = args.state_dir or args.kubeconfig.parent / f".devstack-sim-{args.name}"
    factory = None if args.no_runtime else runtime_factory(args.images)
    simulator = Simulator(
        args.name,
        state_dir,
        args.kubeconfig,
        port=args.port,
        runtime_factory=factory,
        set_context=not args.no_set_context,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await simulator.start()
    except OSError as exc:
        print(f"devstack-sim: cannot start: {exc}", file=sys.stderr)
        await simulator.stop()
        return 1
    follower = None
    try:
        if args.follow_container:
            from devstack_sim.standins.follow import ContainerFollower

            follower = ContainerFollower(args.follow_container, simulator.server, on_removed=stop.set)
            await follower.start()
        where = f"{simulator.server.url} (kubeconfig {args.kubeconfig})"
        print(f"devstack-sim: serving {simulator.context} on {where}", flush=True)
        await stop.wait()
    finally:
        if follower is not None:
            await follower.stop()
        await simulator.stop()
    return 0


def _runner() -> asyncio.Runner:
    """uvloop's event loop where it is installed, else asyncio's.

    uvloop's TLS transport and sockets are compiled where asyncio's TLS is Python: relaying a
    port-forward (every chunk framed, encrypted and written by this process) is most of the
    simulator's work under load, for every client.
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover - not on this platform
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        with _runner() as runner:
            return runner.run(_serve(args))
    return 2


if __name__ == "__main__":
    sys.exit(main())
