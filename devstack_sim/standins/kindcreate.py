"""`kind create cluster` of the stand-in: node containers, the simulator daemon, kind's step lines.

All progress goes to stderr, nothing to stdout (TOOLS.md §1). Without a TTY each step prints
` • <step>  ...` when it starts and ` ✓ <step>` / ` ✗ <step>` when it ends.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from devstack_sim import kubeconfig as kubeconfig_mod
from devstack_sim.cluster.images import DEFAULT_TABLE
from devstack_sim.standins import clusters, daemon, godur, kindconfig, nodes
from devstack_sim.standins.home import StandinError, cluster_dir, kubeconfig_path, write_json

DEFAULT_NODE_IMAGE = "kindest/node:v1.36.1"
GOODBYES = (
    "Have a nice day! 👋",
    "Thanks for using kind! 😊",
    "Not sure what to do next? 😅  Check out https://kind.sigs.k8s.io/docs/user/quick-start/",
    "Have a question, bug, or feature request? Let us know! https://kind.sigs.k8s.io/#community 🙂",
)


class Status:
    """kind's non-TTY status lines on stderr (silent with `--quiet`)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.current = ""

    def info(self, line: str) -> None:
        """One plain line."""
        if not self.quiet:
            print(line, file=sys.stderr, flush=True)

    def start(self, step: str) -> None:
        """A step begins."""
        self.current = step
        self.info(f" • {step}  ...")

    def end(self, ok: bool) -> None:
        """The current step ends."""
        if self.current:
            self.info(f" {'✓' if ok else '✗'} {self.current}")
        self.current = ""


def read_config(path: str) -> kindconfig.ClusterConfig:
    """The config from `--config` (`-` reads stdin); the default config without one.

    Raises:
        kindconfig.ConfigError: unreadable or invalid.
    """
    if not path:
        return kindconfig.ClusterConfig()
    if path == "-":
        return kindconfig.parse(sys.stdin.read())
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise kindconfig.ConfigError(f"open {path}: no such file or directory") from None
    except OSError as err:
        raise kindconfig.ConfigError(f"open {path}: {err.strerror}") from None
    return kindconfig.parse(text)


def _bindings(
    spec: kindconfig.NodeSpec, api: tuple[str, int] | None
) -> tuple[dict[str, list[tuple[str, str]]], list[dict[str, Any]]]:
    """Docker port bindings as kind publishes them, and the mappings as recorded (random ports chosen)."""
    bindings: dict[str, list[tuple[str, str]]] = {}
    recorded = []
    if api is not None:
        bindings["6443/tcp"] = [(api[0], str(api[1]))]
    for mapping in spec.port_mappings:
        host_port = mapping.host_port if mapping.host_port > 0 else 0
        if mapping.host_port == 0:
            host_port = nodes.free_port()
        key = f"{mapping.container_port}/{mapping.protocol.lower()}"
        bindings.setdefault(key, []).append((mapping.listen_address, str(host_port) if host_port else ""))
        recorded.append({**mapping.as_dict(), "hostPort": host_port or mapping.host_port})
    return bindings, recorded


def _provision(
    home: Path, name: str, config: kindconfig.ClusterConfig, client: Any, api_port: int, status: Status
) -> tuple[list[dict[str, Any]], str]:
    """Run the node containers; returns the recorded nodes and the container the API follows."""
    named = kindconfig.node_names(name, config)
    status.start("Preparing nodes " + "📦 " * len(named))
    api = (config.api_server_address, api_port)
    ha = config.control_planes > 1
    recorded = []
    for index, (container, spec) in enumerate(named):
        first_cp = index == next(i for i, (_, n) in enumerate(named) if n.role == "control-plane")
        bindings, mappings = _bindings(spec, api if first_cp and not ha else None)
        if client is not None:
            nodes.run_node(client, name, container, spec.role, bindings, home)
        recorded.append({"name": container, "role": spec.role, "extraPortMappings": mappings})
    status.end(True)
    follow = f"{name}-control-plane"
    if ha:
        status.start("Configuring the external load balancer ⚖️")
        follow = f"{name}-external-load-balancer"
        if client is not None:
            bindings = {"6443/tcp": [(api[0], str(api[1]))]}
            nodes.run_node(client, name, follow, "external-load-balancer", bindings, home)
        recorded.append({"name": follow, "role": "external-load-balancer", "extraPortMappings": []})
        status.end(True)
    return recorded, follow


def _wait_ready(kubeconfig: Path, name: str, folder: Path, wait: float, status: Status) -> None:
    status.start(f"Waiting ≤ {godur.round_seconds(wait)} for control-plane = Ready ⏳")
    started = time.monotonic()
    while not daemon.api_answers(kubeconfig, kubeconfig_mod.entry_name(name), folder):
        if time.monotonic() - started > wait:
            status.end(False)
            status.info(" • WARNING: Timed out waiting for Ready ⚠️")
            return
        time.sleep(0.2)
    status.end(True)
    status.info(f" • Ready after {godur.round_seconds(time.monotonic() - started)} 💚")


def create(
    home: Path,
    name_flag: str,
    config_path: str,
    wait_text: str,
    kubeconfig_flag: str,
    retain: bool,
    image: str,
    quiet: bool,
) -> None:
    """Create cluster; progress on stderr.

    Raises:
        StandinError: kind's cause text (the caller prefixes `ERROR: failed to create cluster: `).
    """
    try:
        config = read_config(config_path)
    except kindconfig.ConfigError as err:
        raise StandinError(str(err)) from None
    name = name_flag or os.environ.get("KIND_CLUSTER_NAME", "") or config.name or "kind"
    try:
        wait = godur.parse(wait_text or "0s")
    except ValueError as err:
        raise StandinError(f'invalid argument "{wait_text}" for "--wait" flag: {err}') from None
    client = nodes.docker_client()
    found = clusters.state(home, name, client)
    if found.exists or (client is not None and nodes.list_nodes(client, name)):
        raise StandinError(f'node(s) already exist for a cluster with the name "{name}"')
    try:
        kindconfig.validate_name(name)
    except kindconfig.ConfigError as err:
        raise StandinError(str(err)) from None
    kubeconfig = kubeconfig_path(kubeconfig_flag)
    clusters.tear_down(home, found, client)  # leftovers of a cluster whose nodes are gone
    folder = cluster_dir(home, name)
    status = Status(quiet)
    status.info(f'Creating cluster "{name}" ...')
    try:
        _create(home, name, config, client, kubeconfig, wait, image, folder, status)
    except BaseException:
        status.end(False)
        if not retain:
            clusters.tear_down(home, clusters.state(home, name, client), client)
            kubeconfig_mod.remove_from_file(kubeconfig, name)
        raise
    context = kubeconfig_mod.entry_name(name)
    status.info(f'Set kubectl context to "{context}"')
    status.info("You can now use your cluster with:")
    status.info("")
    extra = f" --kubeconfig {kubeconfig_flag}" if kubeconfig_flag else ""
    status.info(f"kubectl cluster-info --context {context}{extra}")
    status.info("")
    status.info(random.choice(GOODBYES))  # kind picks its goodbye line at random too


def _create(
    home: Path,
    name: str,
    config: kindconfig.ClusterConfig,
    client: Any | None,
    kubeconfig: Path,
    wait: float,
    image: str,
    folder: Path,
    status: Status,
) -> None:
    node_image = image or next((n.image for n in config.nodes if n.image), "") or DEFAULT_NODE_IMAGE
    status.start(f"Ensuring node image ({node_image}) 🖼️")
    if client is not None:
        nodes.ensure_node_image(client)
    status.end(True)
    api_port = config.api_server_port or nodes.free_port()
    recorded, follow = _provision(home, name, config, client, api_port, status)
    status.start("Writing configuration 📜")
    images = Path(os.environ.get("DEVSTACK_SIM_IMAGES") or DEFAULT_TABLE).resolve()
    record = {
        "name": name,
        "kubeconfig": str(kubeconfig),
        "api_port": api_port,
        "api_server_address": config.api_server_address,
        "docker": client is not None,
        "follow": follow if client is not None else None,
        "internal_host": follow,
        "node_image": node_image,
        "images": str(images),
        "nodes": recorded,
        "created": time.time(),
    }
    write_json(folder / clusters.RECORD, record)
    status.end(True)
    status.start("Starting control-plane 🕹️")
    process = daemon.start(folder, name, kubeconfig, api_port, images, follow if client is not None else None)
    daemon.wait_ready(folder, process, kubeconfig, kubeconfig_mod.entry_name(name))
    status.end(True)
    if not config.disable_default_cni:
        status.start("Installing CNI 🔌")
        status.end(True)
    status.start("Installing StorageClass 💾")
    status.end(True)
    if config.control_planes > 1:
        status.start("Joining more control-plane nodes 🎮")
        status.end(True)
    if config.workers:
        status.start("Joining worker nodes 🚜")
        status.end(True)
    if wait > 0:
        _wait_ready(kubeconfig, name, folder, wait, status)
