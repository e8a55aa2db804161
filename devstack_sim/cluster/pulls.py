"""Image pulls as the kubelet shows them: events, ErrImagePull and ImagePullBackOff in turn."""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING, Any

from .context import go_duration
from .events import NORMAL, WARNING
from .images import ImageRef, ImageSpec, parse_reference, valid_reference

if TYPE_CHECKING:
    from .container import ContainerWorker


def reported_image(image: str) -> str:
    """The image as containerd reports it in a container status (`docker.io/library/x:latest`)."""
    return parse_reference(image).canonical


def pull_policy(container: dict[str, Any], ref: ImageRef) -> str:
    """The effective imagePullPolicy: explicit, else Always for `:latest`/untagged, else IfNotPresent."""
    explicit = container.get("imagePullPolicy")
    if explicit:
        return str(explicit)
    if ref.digest or (ref.tag and ref.tag != "latest"):
        return "IfNotPresent"
    return "Always"


def _size(ref: ImageRef) -> int:
    return 10_000_000 + int(hashlib.sha256(ref.canonical.encode()).hexdigest()[:6], 16) * 4


async def pull(worker: ContainerWorker) -> ImageSpec:
    """Pull the worker's image (waiting out failures with back-off) and return what runs for it."""
    node = worker.pod.node
    options = node.options
    image = worker.image
    attempt = 0
    while True:
        if not valid_reference(image):
            message = (
                f'Failed to apply default image tag "{image}": couldn\'t parse image name "{image}": '
                "invalid reference format"
            )
            worker.waiting("InvalidImageName", message)
            worker.event(WARNING, "InspectFailed", message)
            worker.event(WARNING, "Failed", "Error: InvalidImageName")
            await asyncio.get_running_loop().create_future()  # the image of a pod never changes
        ref = parse_reference(image)
        spec = node.images.resolve(image)
        policy = pull_policy(worker.spec, ref)
        delay = min(
            options.image_pull_backoff_seconds * 2**attempt,
            max(options.backoff_cap_seconds, options.image_pull_backoff_seconds),
        )
        if policy != "Always" and ref.canonical in node.pulled and spec is not None:
            worker.image_id = ref.image_id()
            worker.event(NORMAL, "Pulled", f'Container image "{image}" already present on machine')
            return spec
        if policy == "Never":
            message = f'Container image "{image}" is not present with pull policy of Never'
            worker.waiting("ErrImageNeverPull", message)
            worker.event(WARNING, "ErrImageNeverPull", message)
            await asyncio.sleep(delay)
            attempt += 1
            continue
        worker.event(NORMAL, "Pulling", f'Pulling image "{image}"')
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.sleep(options.image_pull_seconds)
        if spec is not None:
            node.pulled.add(ref.canonical)
            worker.image_id = ref.image_id()
            took = go_duration(round(loop.time() - started, 3))
            worker.event(
                NORMAL,
                "Pulled",
                f'Successfully pulled image "{image}" in {took} ({took} including waiting). '
                f"Image size: {_size(ref)} bytes.",
            )
            return spec
        canonical = ref.canonical
        message = (
            f'rpc error: code = NotFound desc = failed to pull and unpack image "{canonical}": '
            f'failed to resolve reference "{canonical}": {canonical}: not found'
        )
        worker.waiting("ErrImagePull", message)
        worker.event(WARNING, "Failed", f'Failed to pull image "{image}": {message}')
        worker.event(WARNING, "Failed", "Error: ErrImagePull")
        await asyncio.sleep(min(delay / 2, 1.0))  # until the kubelet's next sync of the pod
        worker.waiting("ImagePullBackOff", f'Back-off pulling image "{image}": ErrImagePull: {message}')
        worker.event(NORMAL, "BackOff", f'Back-off pulling image "{image}"')
        worker.event(WARNING, "Failed", "Error: ImagePullBackOff")
        await asyncio.sleep(delay)
        attempt += 1
