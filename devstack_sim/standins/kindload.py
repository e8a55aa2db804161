"""`kind load docker-image` of the stand-in.

Images cannot be built here, so an image counts as present locally when `docker image inspect`
finds it or when the skaffold stand-in recorded it as built (`images.json`). Loading records the
image on each selected node (`node-images.json`) and lists it in the API node's `status.images`,
where skaffold looks for images already on the nodes.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

from devstack_sim import kubeconfig as kubeconfig_mod
from devstack_sim.cluster.images import parse_reference
from devstack_sim.standins import clusters, nodes
from devstack_sim.standins.home import StandinError, locked, read_json, write_json
from devstack_sim.standins.record import built_images

NODE_IMAGES = "node-images.json"


def normalized(image: str) -> str:
    """The ref as containerd lists it (`docker.io/library/x:latest`)."""
    return parse_reference(image).canonical


def local_image_id(home: Path, image: str, client: Any | None) -> str | None:
    """The image id when the image is present locally (docker, or built by the skaffold stand-in)."""
    if client is not None:
        from docker.errors import DockerException, ImageNotFound

        try:
            return str(client.images.get(image).id)
        except ImageNotFound:
            pass
        except DockerException:
            pass
    built = built_images(home)
    ref = image if ":" in image.rsplit("/", 1)[-1] else f"{image}:latest"
    entry = built.get(ref) or built.get(image)
    return str(entry["id"]) if isinstance(entry, dict) and entry.get("id") else None


def _patch_api_node(found: clusters.ClusterState, image: str, image_id: str) -> None:
    """List the image in the API node's status.images (best effort: the API may be down)."""
    from kubernetes import client as kclient
    from kubernetes import config as kconfig

    kubeconfig = Path(str(found.record.get("kubeconfig") or ""))
    context = kubeconfig_mod.entry_name(found.name)
    try:
        api = kconfig.new_client_from_config(config_file=str(kubeconfig), context=context)
    except (OSError, kconfig.ConfigException):
        return
    try:
        core = kclient.CoreV1Api(api)
        node_name = f"{found.name}-control-plane"
        node = core.read_node_status(node_name, _request_timeout=10)
        listed = node.status.images if node.status is not None else None
        images: list[dict[str, Any]] = [
            {"names": list(i.names or []), "sizeBytes": i.size_bytes} for i in listed or []
        ]
        names = [normalized(image), f"{parse_reference(normalized(image)).repository}@{image_id}"]
        if not any(normalized(image) in entry["names"] for entry in images):
            size = 10_000_000 + int(hashlib.sha256(image.encode()).hexdigest()[:5], 16)
            images.append({"names": names, "sizeBytes": size})
            core.patch_node_status(node_name, {"status": {"images": images}}, _request_timeout=10)
    except (kclient.ApiException, OSError, ValueError):
        return
    finally:
        api.close()


def load(home: Path, name: str, images: list[str], node_filter: list[str]) -> None:
    """Load `images` into the cluster's nodes (all, or those named in `node_filter`).

    Raises:
        StandinError: kind's messages (`image: "X" not present locally`, `no nodes found for cluster
            "N"`, `unknown node: "x"`).
    """
    if not images:
        raise StandinError("a list of image names is required")
    client = nodes.docker_client()
    ids = {}
    for image in images:
        image_id = local_image_id(home, image, client)
        if image_id is None:
            raise StandinError(f'image: "{image}" not present locally')
        ids[image] = image_id
    found = clusters.state(home, name, client)
    all_nodes = [n for n in found.node_names if not n.endswith("-external-load-balancer")]
    if not all_nodes:
        raise StandinError(f'no nodes found for cluster "{name}"')
    selected = all_nodes
    if node_filter:
        for wanted in node_filter:
            if wanted not in all_nodes:
                raise StandinError(f'unknown node: "{wanted}"')
        selected = [n for n in all_nodes if n in node_filter]
    with locked(found.folder / ".node-images.lock"):
        on_nodes: dict[str, list[str]] = read_json(found.folder / NODE_IMAGES, {}) or {}
        for image, image_id in ids.items():
            missing = [n for n in selected if image_id not in on_nodes.get(n, [])]
            if not missing:
                print(
                    f'Image: "{image}" with ID "{image_id}" found to be already present on all nodes.',
                    file=sys.stderr,
                    flush=True,
                )
                continue
            for node in missing:
                print(
                    f'Image: "{image}" with ID "{image_id}" not yet present on node "{node}", loading...',
                    file=sys.stderr,
                    flush=True,
                )
                on_nodes.setdefault(node, []).append(image_id)
            _patch_api_node(found, image, image_id)
        write_json(found.folder / NODE_IMAGES, on_nodes)
