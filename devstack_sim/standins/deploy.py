"""The deploy phase of the skaffold stand-in: image loading into kind, helm-style releases applied
with the kubernetes client, cleanup of exactly what was applied."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack_sim.standins import apply, godur, render
from devstack_sim.standins.build import Artifact
from devstack_sim.standins.home import StandinError
from devstack_sim.standins.kindload import normalized

Out = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """The cluster skaffold deploys to."""

    kubeconfig: str | None
    context: str
    cluster: str  # the kubeconfig cluster name of the context
    namespace: str  # default namespace for releases without one
    namespace_flag: str = ""  # -n/--namespace: every release goes there

    @property
    def is_kind(self) -> bool:
        """skaffold's kind detection: context `kind-*` or `*@kind`."""
        return self.context.startswith("kind-") or self.context.endswith("@kind")

    @property
    def kind_cluster(self) -> str:
        """The kind cluster name (the kubeconfig cluster name without `kind-`)."""
        name = self.cluster or self.context
        return name.removeprefix("kind-").removesuffix("@kind")


class Deployer:
    """Deploys the config's helm releases to one target and keeps the record of it."""

    def __init__(
        self, home: Path, root: Path, deploy_config: dict[str, Any], target: Target, run_id: str, out: Out
    ):
        self.home = home
        self.root = root
        self.target = target
        self.run_id = run_id
        self.out = out
        self.releases = render.releases(deploy_config, root, target.namespace, target.namespace_flag)
        self.record = apply.record_path(home, target.context)
        self._kube: apply.Kube | None = None

    @property
    def kube(self) -> apply.Kube:
        """The client of the target context (created on first use)."""
        if self._kube is None:
            self._kube = apply.Kube(self.target.kubeconfig, self.target.context)
        return self._kube

    def close(self) -> None:
        """Release the client."""
        if self._kube is not None:
            self._kube.close()

    def load_images(self, items: list[Artifact]) -> None:
        """skaffold's kind loader: `kind load docker-image` for images not yet on the nodes.

        Raises:
            StandinError: kind failed to load an image.
        """
        if not self.target.is_kind or not items:
            return
        started = time.monotonic()
        self.out("Loading images into kind cluster nodes...")
        known: set[str] = set()
        for node in self.kube.list("/api/v1/nodes"):
            for image in (node.get("status") or {}).get("images") or []:
                known.update(str(n) for n in image.get("names") or [])
        kind = shutil.which("kind")
        for artifact in items:
            if normalized(artifact.ref) in known:
                self.out(f" - {artifact.ref} -> Found")
                continue
            if kind is None:
                self.out(f" - {artifact.ref} -> Failed")
                raise StandinError(
                    f'loading images into kind nodes: unable to load image "{artifact.ref}" into cluster: '
                    'exec: "kind": executable file not found in $PATH'
                )
            command = [kind, "load", "docker-image", "--name", self.target.kind_cluster, artifact.ref]
            done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
            if done.returncode != 0:
                self.out(f" - {artifact.ref} -> Failed")
                raise StandinError(
                    f'loading images into kind nodes: unable to load image "{artifact.ref}" into cluster: '
                    f"exit status {done.returncode}, {(done.stdout + done.stderr).strip()}"
                )
            self.out(f" - {artifact.ref} -> Loaded")
        self.out(f"Images loaded in {godur.humanize(time.monotonic() - started)}")

    def _ensure_namespace(self, namespace: str) -> None:
        ref = apply.ObjectRef("v1", "Namespace", "", namespace)
        if self.kube.get(ref) is None:
            self.kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}, ref)

    def deploy(self, items: list[Artifact]) -> list[str]:
        """Render and apply every release; returns the namespaces to status-check.

        Raises:
            StandinError: helm or the API refused.
        """
        from kubernetes.client import ApiException

        namespaces: list[str] = []
        for release in self.releases:
            objects = render.render(release, items, self.root)
            render.add_labels(objects, self.run_id)
            previous = apply.read_record(self.record).get(release.key)
            try:
                if release.create_namespace:
                    self._ensure_namespace(release.namespace)
                applied = []
                for obj in sorted(objects, key=apply.order_key):
                    ref = apply.ref_of(obj, release.namespace, self.kube)
                    self.kube.apply(obj, ref)
                    applied.append(ref)
                kept = {r.as_dict().__repr__() for r in applied}
                for ref in reversed(apply.refs(previous or {})):
                    if ref.as_dict().__repr__() not in kept:
                        self.kube.delete(ref)
            except ApiException as err:
                raise StandinError(f"install failed: {_api_message(err)}") from None
            revision = int((previous or {}).get("revision") or 0) + 1
            self._helm_lines(release, revision, previous is None)
            apply.save_release(
                self.record,
                release.key,
                {
                    "namespace": release.namespace,
                    "revision": revision,
                    "run_id": self.run_id,
                    "chart": str(release.chart),
                    "objects": [r.as_dict() for r in applied],
                    "time": time.time(),
                },
            )
            namespaces += [release.namespace] + [r.namespace for r in applied if r.namespace]
        return list(dict.fromkeys(namespaces))

    def _helm_lines(self, release: render.Release, revision: int, first: bool) -> None:
        if first:
            self.out(f'Release "{release.name}" does not exist. Installing it now.')
        else:
            self.out(f'Release "{release.name}" has been upgraded. Happy Helming!')
        self.out(f"NAME: {release.name}")
        self.out(f"LAST DEPLOYED: {time.strftime('%a %b %e %H:%M:%S %Y')}")
        self.out(f"NAMESPACE: {release.namespace}")
        self.out("STATUS: deployed")
        self.out(f"REVISION: {revision}")
        self.out("TEST SUITE: None")

    def cleanup(self) -> None:
        """Delete what this config's releases applied through the target (helm uninstall)."""
        from kubernetes.client import ApiException

        recorded = apply.read_record(self.record)
        for release in self.releases:
            entry = recorded.get(release.key)
            if entry is None:
                self.out(f' - release "{release.name}" was not deployed by this stand-in: nothing to delete')
                continue
            try:
                for ref in reversed(apply.refs(entry)):
                    self.kube.delete(ref)
            except ApiException as err:
                raise StandinError(f"uninstall: {_api_message(err)}") from None
            apply.save_release(self.record, release.key, None)
            self.out(f'release "{release.name}" uninstalled')


def _api_message(err: Any) -> str:
    import json

    try:
        body = json.loads(err.body or "{}")
        return str(body.get("message") or err.reason)
    except (TypeError, ValueError):
        return str(err.reason or err)
