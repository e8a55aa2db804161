"""kind's node containers in a real Docker daemon, without kind's node image.

Each node is a container named and labelled as kind names and labels them, with network mode
`none` and kind's port bindings recorded in `HostConfig.PortBindings` (docker keeps them even though
nothing is published), so code that inspects kind nodes sees what it sees on a laptop. The image,
`devstack-sim/node:<version>`, is a busybox rootfs imported once with `docker import` (no registry
pull); its PID 1 sleeps and exits on SIGTERM, so `docker stop` is prompt.

`DEVSTACK_SIM_DOCKER`: `off` never uses Docker, `on` makes an unreachable daemon an error, anything
else uses Docker when it answers.
"""

from __future__ import annotations

import io
import os
import socket
import tarfile
from pathlib import Path
from typing import Any

from devstack_sim.standins.home import StandinError

CLUSTER_LABEL = "io.x-k8s.kind.cluster"
ROLE_LABEL = "io.x-k8s.kind.role"
HOME_LABEL = "dev.devstack_sim.home"
NODE_IMAGE = "devstack-sim/node:v1.36.1"
RECIPE = "1"
BUSYBOX = Path("/bin/busybox")
_APPLETS = ("sh", "sleep", "cat", "ls", "ps", "echo", "true", "hostname")
_PID1 = "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"


def docker_client() -> Any | None:
    """A connected docker SDK client, or None when Docker is off or unreachable.

    Raises:
        StandinError: `DEVSTACK_SIM_DOCKER=on` and the daemon does not answer.
    """
    mode = os.environ.get("DEVSTACK_SIM_DOCKER", "auto").strip().lower()
    if mode == "off":
        return None
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except (DockerException, OSError) as err:
        if mode == "on":
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise StandinError(
                f"DEVSTACK_SIM_DOCKER=on but the Docker daemon is not reachable: {reason}"
            ) from None
        return None
    return client


def _rootfs() -> bytes:
    if not BUSYBOX.is_file():
        raise StandinError(
            f"{BUSYBOX} is missing: the simulated kind nodes run busybox "
            "(install it with `apt-get install busybox-static`, or set DEVSTACK_SIM_DOCKER=off)"
        )
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for folder in ("bin", "dev", "etc", "proc", "run", "sys", "tmp", "var"):
            info = tarfile.TarInfo(folder)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if folder == "tmp" else 0o755
            tar.addfile(info)
        tar.add(str(BUSYBOX), arcname="bin/busybox")
        for applet in _APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type = tarfile.SYMTYPE
            link.linkname = "busybox"
            tar.addfile(link)
    return buffer.getvalue()


def ensure_node_image(client: Any) -> str:
    """The node image reference, imported from a busybox rootfs the first time.

    Raises:
        StandinError: busybox is missing or docker refuses the import.
    """
    from docker.errors import APIError, ImageNotFound

    try:
        image = client.images.get(NODE_IMAGE)
        if (image.labels or {}).get("dev.devstack_sim.node-recipe") == RECIPE:
            return NODE_IMAGE
    except ImageNotFound:
        pass
    repository, _, tag = NODE_IMAGE.rpartition(":")
    changes = [
        f"LABEL dev.devstack_sim.node-recipe={RECIPE}",
        "LABEL org.opencontainers.image.description=devstack-simulator-kind-node",
        f'CMD ["/bin/sh", "-c", "{_PID1}"]',
    ]
    try:
        client.api.import_image_from_data(_rootfs(), repository=repository, tag=tag, changes=changes)
    except APIError as err:
        raise StandinError(
            f"could not import the node image {NODE_IMAGE}: {err.explanation or err}"
        ) from None
    return NODE_IMAGE


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_node(
    client: Any,
    cluster: str,
    name: str,
    role: str,
    bindings: dict[str, list[tuple[str, str]]],
    home: Path,
) -> Any:
    """Create and start one node container.

    Args:
        client: Docker SDK client.
        cluster: Cluster name (label `io.x-k8s.kind.cluster`).
        name: Container name and hostname.
        role: `control-plane`, `worker` or `external-load-balancer`.
        bindings: `"6443/tcp"` → [(host ip, host port or "")], as kind publishes them.
        home: The stand-ins' state folder (label, so only our containers are ever touched).
    """
    from docker.errors import APIError

    image = ensure_node_image(client)
    labels = {CLUSTER_LABEL: cluster, ROLE_LABEL: role, HOME_LABEL: str(home)}
    host_config = client.api.create_host_config(
        network_mode="none",
        port_bindings={port: [tuple(b) for b in hosts] for port, hosts in bindings.items()},
        restart_policy={"Name": "on-failure", "MaximumRetryCount": 1},
    )
    try:
        created = client.api.create_container(
            image,
            name=name,
            hostname=name,
            labels=labels,
            host_config=host_config,
            ports=[tuple(port.split("/")) for port in bindings],
            detach=True,
        )
        client.api.start(created["Id"])
    except APIError as err:
        raise StandinError(f'command "docker run --name {name}" failed: {err.explanation or err}') from None
    return client.containers.get(created["Id"])


def list_nodes(client: Any, cluster: str | None = None, home: Path | None = None) -> list[Any]:
    """kind node containers (running or not), of one cluster or all, made from `home` or by anyone."""
    selectors = [f"{CLUSTER_LABEL}={cluster}" if cluster else CLUSTER_LABEL]
    if home is not None:
        selectors.append(f"{HOME_LABEL}={home}")
    found = client.containers.list(all=True, filters={"label": selectors})
    return sorted(found, key=lambda c: c.name)


def remove_nodes(client: Any, containers: list[Any]) -> None:
    """`docker rm -f -v` each container (gone already is fine)."""
    from docker.errors import APIError, NotFound

    for container in containers:
        try:
            container.remove(force=True, v=True)
        except NotFound:
            continue
        except APIError as err:
            raise StandinError(f"failed to delete node {container.name}: {err.explanation or err}") from None
