"""Turning a Tiltfile's objects into Tilt resources (tilt-dev/tilt `assembleK8sV2`).

Each workload (an object with a pod template) is a resource named after it; a Service joins the
workload whose pod labels its selector matches; `k8s_resource(objects=[...])` moves objects into a
resource; everything else (Namespaces, Secrets, ConfigMaps, ...) is the `uncategorized` resource.
A container image whose repository is a `docker_build` ref makes that image part of the resource.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack_sim.standins.tiltmodel import K8sResource, ResourceOptions

UNCATEGORIZED = "uncategorized"
WORKLOAD_KINDS = (
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Pod",
)


@dataclass(frozen=True)
class ImageBuild:
    """One `docker_build(ref, context, dockerfile=...)`."""

    ref: str
    context: Path
    dockerfile: Path
    build_args: dict[str, str] = field(default_factory=dict)
    target: str = ""


@dataclass
class Assembled:
    """The resources in Tilt's order, the images, and what Tilt warns about."""

    resources: list[K8sResource]
    images: list[ImageBuild]
    disabled: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    def by_name(self, name: str) -> K8sResource | None:
        """The resource called `name`."""
        return next((r for r in self.resources if r.name == name), None)


def pod_template(obj: dict[str, Any]) -> dict[str, Any]:
    """The object's pod template (the Pod itself for a Pod, the job template's for a CronJob)."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        return obj
    if kind == "CronJob":
        return ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    return spec.get("template") or {}


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """Init and app containers of a workload."""
    spec = pod_template(obj).get("spec") or {}
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or [])


def repository(image: str) -> str:
    """An image reference without its tag and digest."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return name[: len(name) - len(last)] + last.split(":", 1)[0]


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _selector_key(obj: dict[str, Any]) -> list[str]:
    meta = obj.get("metadata") or {}
    name, kind = str(meta.get("name")), str(obj.get("kind")).lower()
    return [name, f"{name}:{kind}", f"{name}:{kind}:{meta.get('namespace') or 'default'}"]


def _group(objects: list[dict[str, Any]]) -> tuple[list[K8sResource], list[dict[str, Any]]]:
    """A resource per workload (Services joined to theirs), and the objects no workload took."""
    resources: list[K8sResource] = []
    rest: list[dict[str, Any]] = []
    for obj in objects:
        if obj.get("kind") in WORKLOAD_KINDS:
            name = str((obj.get("metadata") or {}).get("name"))
            if any(r.name == name for r in resources):
                name = f"{name}:{str(obj.get('kind')).lower()}"
            resources.append(K8sResource(name=name, objects=[obj], workload=obj))
        else:
            rest.append(obj)
    unresourced = []
    for obj in rest:
        selector = (obj.get("spec") or {}).get("selector") or {}
        owner = None
        if obj.get("kind") == "Service":
            owner = next(
                (
                    r
                    for r in resources
                    if r.workload is not None
                    and _matches(
                        selector, (pod_template(r.workload).get("metadata") or {}).get("labels") or {}
                    )
                ),
                None,
            )
        if owner is not None:
            owner.objects.append(obj)
        else:
            unresourced.append(obj)
    return resources, unresourced


def _images(resources: list[K8sResource], images: list[ImageBuild]) -> list[str]:
    """Attach the docker_build refs each workload uses; returns Tilt's warning lines (unused images)."""
    refs = {image.ref for image in images}
    used: set[str] = set()
    for resource in resources:
        if resource.workload is None:
            continue
        for container in containers(resource.workload):
            ref = repository(str(container.get("image") or ""))
            if ref in refs and ref not in resource.images:
                resource.images.append(ref)
                used.add(ref)
    unused = [image.ref for image in images if image.ref not in used]
    if not unused:
        return []
    return ["Image not used in any deploy config:\n" + "\n".join(f"    ✕ {r}" for r in unused)]


def _apply_options(
    resources: list[K8sResource], unresourced: list[dict[str, Any]], options: dict[str, ResourceOptions]
) -> None:
    for key, opts in options.items():
        target = next((r for r in resources if r.name == key), None)
        if target is None and key == UNCATEGORIZED and unresourced:
            target = K8sResource(name=UNCATEGORIZED, objects=[])
            resources.append(target)
        if target is None:
            known = ", ".join(r.name for r in resources)
            # internal/tiltfile/tiltfile_state.go assembleK8sV2
            raise ValueError(f'k8s_resource specified unknown resource "{key}". known k8s resources: {known}')
        target.name = opts.new_name or target.name
        target.port_forwards = list(opts.port_forwards)
        target.links = list(opts.links)
        target.labels = list(opts.labels)
        target.resource_deps = list(opts.resource_deps)
        target.auto_init = opts.auto_init
        for selector in opts.objects:
            found = next((o for o in unresourced if selector in _selector_key(o)), None)
            if found is None:
                raise ValueError(f'No object identified by the fragment "{selector}" could be found')
            unresourced.remove(found)
            target.objects.append(found)


def _disabled(resources: list[K8sResource], enabled: list[str] | None) -> set[str]:
    """The resources not enabled: all but the named ones and their dependencies (none when None)."""
    if enabled is None:
        return set()
    names = {r.name for r in resources}
    for name in enabled:
        if name not in names:
            raise ValueError(f'no such resource "{name}"')
    wanted = set(enabled)
    while True:
        before = len(wanted)
        for resource in resources:
            if resource.name in wanted:
                wanted.update(resource.resource_deps)
        if len(wanted) == before:
            return names - wanted - {UNCATEGORIZED}


def assemble(
    objects: list[dict[str, Any]],
    images: list[ImageBuild],
    options: dict[str, ResourceOptions],
    enabled: list[str] | None,
) -> Assembled:
    """Group objects into resources and apply `k8s_resource` options.

    Raises:
        ValueError: `k8s_resource` names an unknown resource, or a dependency is unknown.
    """
    resources, unresourced = _group(objects)
    warnings = _images(resources, images)
    _apply_options(resources, unresourced, options)
    if unresourced:
        existing = next((r for r in resources if r.name == UNCATEGORIZED), None)
        if existing is None:
            resources.append(K8sResource(name=UNCATEGORIZED, objects=unresourced))
        else:
            existing.objects = unresourced + existing.objects
    names = {r.name for r in resources}
    for resource in resources:
        for dep in resource.resource_deps:
            if dep not in names:
                raise ValueError(f"resource {resource.name} specified a dependency on unknown resource {dep}")
    return Assembled(
        resources=resources, images=list(images), disabled=_disabled(resources, enabled), warnings=warnings
    )
