"""devstack simulator stand-in for `kind` (`devstack_sim/bin/kind`): NOT the real kind.

Commands: `create cluster`, `delete cluster`, `delete clusters`, `get clusters`, `get nodes`,
`get kubeconfig`, `export kubeconfig`, `load docker-image`, `version`. Output lines, streams and exit
codes follow kind v0.32.0 (TOOLS.md §1): progress and errors on stderr, `ERROR: ...` and exit 1 on any
failure. A cluster is a simulated API server daemon (`python -m devstack_sim serve`) plus, when a
Docker daemon answers, one container per node labelled like kind's. State: `$DEVSTACK_SIM_HOME`.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

import yaml

from devstack_sim import kubeconfig as kubeconfig_mod
from devstack_sim.standins import clusters, kindcreate, kindload, nodes
from devstack_sim.standins.flags import Flag, FlagError, Parsed, parse
from devstack_sim.standins.home import StandinError, kubeconfig_path, sim_home
from devstack_sim.standins.record import fail, record_invocation

VERSION_LINE = "kind v0.32.0 go1.24.0 linux/amd64"
HELP = """kind creates and manages local Kubernetes clusters using Docker container 'nodes'

(devstack simulator stand-in: clusters are simulated API servers run by devstack, NOT real kind;
 node containers are created in Docker when it answers. State: $DEVSTACK_SIM_HOME.)

Usage:
  kind [command]

Available Commands:
  create      Creates one of [cluster]
  delete      Deletes one of [cluster]
  export      Exports one of [kubeconfig]
  get         Gets one of [clusters, nodes, kubeconfig]
  load        Loads images into nodes
  version     Prints the kind CLI version

Flags:
  -h, --help              help for kind
  -q, --quiet             silence all stderr output
  -v, --verbosity int32   info log verbosity, higher value produces more output
"""
GLOBAL = [Flag("quiet", "q", "bool"), Flag("verbosity", "v"), Flag("help", "h", "bool")]
NAME = Flag("name", "n")
KUBECONFIG = Flag("kubeconfig")
COMMANDS: dict[tuple[str, str], list[Flag]] = {
    ("create", "cluster"): [
        NAME,
        Flag("config"),
        Flag("image"),
        Flag("retain", kind="bool"),
        Flag("wait"),
        KUBECONFIG,
    ],
    ("delete", "cluster"): [NAME, KUBECONFIG],
    ("delete", "clusters"): [Flag("all", "A", "bool"), KUBECONFIG],
    ("get", "clusters"): [],
    ("get", "nodes"): [NAME, Flag("all-clusters", "A", "bool")],
    ("get", "kubeconfig"): [NAME, Flag("internal", kind="bool")],
    ("export", "kubeconfig"): [NAME, KUBECONFIG, Flag("internal", kind="bool")],
    ("load", "docker-image"): [NAME, Flag("nodes", kind="list")],
}


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _command_words(argv: list[str]) -> tuple[list[str], list[str]]:
    """Split the command words (up to two) from the flags and arguments."""
    words: list[str] = []
    rest: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            rest.append(arg)
            skip = False
        elif arg in ("-v", "--verbosity"):
            rest.append(arg)
            skip = True
        elif arg.startswith("-") or len(words) == 2 or (words and words[0] == "version"):
            rest.append(arg)
        else:
            words.append(arg)
    return words, rest


def _cluster_name(parsed: Parsed) -> str:
    import os

    return parsed.text("name") or os.environ.get("KIND_CLUSTER_NAME", "") or "kind"


def _get_clusters(home: Path) -> int:
    names = clusters.names(home, nodes.docker_client())
    if not names:
        _err("No kind clusters found.")
    for name in names:
        print(name)
    return 0


def _get_nodes(home: Path, parsed: Parsed) -> int:
    client = nodes.docker_client()
    wanted = clusters.names(home, client) if parsed.flag("all-clusters") else [_cluster_name(parsed)]
    found = [n for name in wanted for n in clusters.state(home, name, client).node_names]
    if not found:
        which = "any cluster" if parsed.flag("all-clusters") else f'cluster "{_cluster_name(parsed)}"'
        _err(f"No kind nodes found for {which}.")
    for node in found:
        print(node)
    return 0


def _existing(home: Path, name: str) -> clusters.ClusterState:
    found = clusters.state(home, name, nodes.docker_client())
    if not found.exists:
        raise StandinError(
            f"could not locate any control plane nodes for cluster named '{name}'. "
            "Use the --name option to select a different cluster"
        )
    return found


def _get_kubeconfig(home: Path, parsed: Parsed) -> int:
    found = _existing(home, _cluster_name(parsed))
    config = clusters.kubeconfig_entries(found, internal=parsed.flag("internal"))
    print(yaml.safe_dump(config, default_flow_style=False, sort_keys=False), end="")
    return 0


def _export_kubeconfig(home: Path, parsed: Parsed) -> int:
    name = _cluster_name(parsed)
    found = _existing(home, name)
    config = clusters.kubeconfig_entries(found, internal=parsed.flag("internal"))
    kubeconfig_mod.merge_into_file(kubeconfig_path(parsed.text("kubeconfig")), config, set_current=True)
    if not parsed.flag("quiet"):
        _err(f'Set kubectl context to "{kubeconfig_mod.entry_name(name)}"')
    return 0


def _delete(home: Path, name: str, kubeconfig: str, quiet: bool) -> None:
    if not quiet:
        _err(f'Deleting cluster "{name}" ...')
    client = nodes.docker_client()
    found = clusters.state(home, name, client)
    deleted = found.node_names
    clusters.tear_down(home, found, client)
    kubeconfig_mod.remove_from_file(kubeconfig_path(kubeconfig), name)
    if deleted and not quiet:
        _err("Deleted nodes: [" + " ".join(f'"{n}"' for n in deleted) + "]")


def _delete_clusters(home: Path, parsed: Parsed) -> int:
    names = clusters.names(home, nodes.docker_client()) if parsed.flag("all") else parsed.args
    if not names:
        raise StandinError("no cluster names given (pass names, or --all)")
    for name in names:
        _delete(home, name, parsed.text("kubeconfig"), True)
    if not parsed.flag("quiet"):
        _err(f"Deleted clusters: [{' '.join(chr(34) + n + chr(34) for n in names)}]")
    return 0


def run(home: Path, argv: list[str]) -> int:
    """Dispatch one command line; returns the exit code."""
    words, rest = _command_words(argv)
    if not words or words[0] == "help":
        print(HELP, end="")
        return 0
    if words[0] == "version":
        print(VERSION_LINE)
        return 0
    key = (words[0], words[1] if len(words) > 1 else "")
    if key not in COMMANDS:
        shown = " ".join(words)
        return fail(f'ERROR: unknown command "{shown}" for "kind"\nRun \'kind --help\' for usage.')
    parsed = parse(rest, GLOBAL + COMMANDS[key])
    if parsed.flag("help"):
        print(HELP, end="")
        return 0
    if parsed.args and key not in (("load", "docker-image"), ("delete", "clusters")):
        return fail(f'ERROR: unknown command "{parsed.args[0]}" for "kind {" ".join(words)}"')
    quiet = parsed.flag("quiet")
    if key == ("create", "cluster"):
        try:
            kindcreate.create(
                home,
                parsed.text("name"),
                parsed.text("config"),
                parsed.text("wait", "0s"),
                parsed.text("kubeconfig"),
                parsed.flag("retain"),
                parsed.text("image"),
                quiet,
            )
        except StandinError as err:
            return fail(f"ERROR: failed to create cluster: {err}")
        return 0
    if key == ("delete", "cluster"):
        _delete(home, _cluster_name(parsed), parsed.text("kubeconfig"), quiet)
        return 0
    handlers = {
        ("delete", "clusters"): lambda: _delete_clusters(home, parsed),
        ("get", "clusters"): lambda: _get_clusters(home),
        ("get", "nodes"): lambda: _get_nodes(home, parsed),
        ("get", "kubeconfig"): lambda: _get_kubeconfig(home, parsed),
        ("export", "kubeconfig"): lambda: _export_kubeconfig(home, parsed),
    }
    if key in handlers:
        return handlers[key]()
    kindload.load(home, _cluster_name(parsed), parsed.args, parsed.items("nodes"))
    return 0


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `devstack_sim/bin/kind`; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGTERM, _terminate)
    try:
        home = sim_home()
    except StandinError as err:
        return fail(f"ERROR: {err}")
    record_invocation(home, "kind", args)
    try:
        return run(home, args)
    except FlagError as err:
        return fail(f"ERROR: {err}")
    except StandinError as err:
        return fail(f"ERROR: {err}")
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
