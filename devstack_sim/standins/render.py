"""Rendering `deploy.helm.releases` with the real `helm template`, as skaffold's helm deployer would
install them: values files, `setValues` (`--set`), `setValueTemplates` expanded with skaffold's image
keys (`IMAGE_REPO_x`, `IMAGE_TAG_x`, `IMAGE_FULLY_QUALIFIED_x`, ... with `-`, `/`, `.` of the artifact
name written as `_`) and the environment, `setFiles`, `overrides`, the release namespace."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from devstack_sim.standins.build import Artifact
from devstack_sim.standins.home import StandinError

MANAGED_BY = "app.kubernetes.io/managed-by"
RUN_ID = "skaffold.dev/run-id"
_TEMPLATE = re.compile(r"{{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*}}")
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


@dataclass(frozen=True)
class Release:
    """One helm release of the config."""

    name: str
    chart: Path
    namespace: str
    create_namespace: bool
    spec: dict[str, Any]

    @property
    def key(self) -> str:
        """`NAMESPACE/NAME`: helm keeps a release per namespace, so the same name in two
        namespaces is two releases (upgrading one never touches the other)."""
        return f"{self.namespace}/{self.name}"


def releases(deploy: dict[str, Any], root: Path, default_namespace: str, flag: str = "") -> list[Release]:
    """The config's helm releases (chart paths resolved against the config's folder).

    The namespace is skaffold's (pkg/skaffold/helm `ReleaseNamespace`): `-n/--namespace` (`flag`)
    first, else the release's own `namespace`, else the context's default.
    """
    helm = deploy.get("helm") or {}
    result = []
    for spec in helm.get("releases") or []:
        if spec.get("remoteChart") and not spec.get("chartPath"):
            raise StandinError(
                f"helm release {spec.get('name')}: remoteChart is not supported by the devstack stand-in"
            )
        result.append(
            Release(
                name=str(spec["name"]),
                chart=(root / str(spec.get("chartPath") or ".")).resolve(),
                namespace=flag or str(spec.get("namespace") or default_namespace),
                create_namespace=bool(spec.get("createNamespace", False)),
                spec=spec,
            )
        )
    return result


def image_env(items: list[Artifact]) -> dict[str, str]:
    """skaffold's image template keys: `IMAGE_REPO`, `IMAGE_TAG`, ... suffixed with the artifact's
    index (none for the first, `2`, `3`, ...) and with `_<artifact name>`."""
    env: dict[str, str] = {}
    for index, artifact in enumerate(items):
        first, _, rest = artifact.image.partition("/")
        has_domain = bool(rest) and ("." in first or ":" in first or first == "localhost")
        values = {
            "IMAGE_NAME": artifact.image,
            "DIGEST": artifact.ref,
            "IMAGE_REPO": artifact.image,
            "IMAGE_TAG": artifact.tag,
            "IMAGE_DIGEST": "",
            "DIGEST_HEX": artifact.ref,
            "IMAGE_DOMAIN": first if has_domain else "",
            "IMAGE_REPO_NO_DOMAIN": rest if has_domain else artifact.image,
            "IMAGE_FULLY_QUALIFIED": artifact.ref,
        }
        suffix = "" if index == 0 else str(index + 1)
        name = re.sub(r"[-/.]", "_", artifact.image)
        for key, value in values.items():
            env[key + suffix] = value
            env[f"{key}_{name}"] = value
    return env


def expand(template: str, env: dict[str, str]) -> str:
    """Expand `{{.KEY}}` like Go's text/template over a map (`<no value>` for unknown keys)."""
    return _TEMPLATE.sub(lambda m: env.get(m.group(1), "<no value>"), template)


def helm_binary() -> str:
    """The real helm on PATH.

    Raises:
        StandinError: helm is not installed.
    """
    found = shutil.which("helm")
    if found is None:
        raise StandinError('exec: "helm": executable file not found in $PATH')
    return found


def _helm_args(release: Release, items: list[Artifact], root: Path, workdir: Path) -> list[str]:
    spec = release.spec
    args = ["template", release.name, str(release.chart), "--namespace", release.namespace, "--skip-tests"]
    env = {**os.environ, **image_env(items)}
    for values in spec.get("valuesFiles") or []:
        args += ["--values", str((root / expand(str(values), env)).expanduser().resolve())]
    if spec.get("overrides"):
        overrides = workdir / "overrides.yaml"
        overrides.write_text(yaml.safe_dump(spec["overrides"]), encoding="utf-8")
        args += ["--values", str(overrides)]
    for key, value in sorted((spec.get("setValues") or {}).items()):
        args += ["--set", f"{key}={value}"]
    for key, value in sorted((spec.get("setValueTemplates") or {}).items()):
        expanded = expand(str(value), env).removesuffix("@")
        # skaffold passes --set; a short all-digit tag would turn into a number there, so such values
        # go as strings.
        flag = "--set-string" if expanded.isdigit() else "--set"
        args += [flag, f"{expand(key, env)}={expanded}"]
    for key, value in sorted((spec.get("setFiles") or {}).items()):
        args += ["--set-file", f"{key}={(root / str(value)).resolve()}"]
    if spec.get("version"):
        args += ["--version", str(spec["version"])]
    return args


def render(release: Release, items: list[Artifact], root: Path) -> list[dict[str, Any]]:
    """The release's objects from `helm template` (namespaced objects without one get the release's).

    Raises:
        StandinError: helm failed (its stderr is the message).
    """
    helm = helm_binary()
    with tempfile.TemporaryDirectory(prefix="skaffold-standin-") as tmp:
        if not release.spec.get("skipBuildDependencies") and (release.chart / "Chart.yaml").exists():
            chart = yaml.safe_load((release.chart / "Chart.yaml").read_text(encoding="utf-8")) or {}
            if chart.get("dependencies"):
                _run([helm, "dependency", "build", str(release.chart)], root)
        output = _run([helm, *_helm_args(release, items, root, Path(tmp))], root)
    return [doc for doc in yaml.safe_load_all(output) if isinstance(doc, dict) and doc.get("kind")]


def _run(command: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        raise StandinError(f"{' '.join(command[:3])}: timed out after 120s") from None
    if done.returncode != 0:
        raise StandinError(done.stderr.strip() or f"{command[0]} exited with {done.returncode}")
    return done.stdout


def add_labels(objects: list[dict[str, Any]], run_id: str) -> None:
    """skaffold's labels on every object and on pod templates (so pods carry the run id)."""
    labels = {MANAGED_BY: "skaffold", RUN_ID: run_id}
    for obj in objects:
        obj.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
        if obj.get("kind") in _WORKLOADS:
            template = obj.setdefault("spec", {}).setdefault("template", {})
            template.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
        if obj.get("kind") == "CronJob":
            job = obj.setdefault("spec", {}).setdefault("jobTemplate", {}).setdefault("spec", {})
            job.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {}).update(labels)
