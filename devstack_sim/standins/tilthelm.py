"""`helm(...)` of the tilt stand-in: the REAL `helm template`, as Tilt runs it.

TOOLS.md §4: `helm template <name or "chart"> <path> [--namespace NS] [--kube-version V]
[--include-crds] [--values F]... [--set K=V]...`, templates under `tests/` dropped. Tilt then gives
namespaced objects without a namespace the `namespace=` argument (helm template does not write it
into charts that leave it out); it does NOT create the namespace.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

_TEST_SOURCE = re.compile(r"^# Source: .*/tests/", re.MULTILINE)
# Kinds that live outside namespaces (the ones charts usually hold).
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "PersistentVolume",
        "StorageClass",
        "PriorityClass",
        "IngressClass",
        "APIService",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    }
)


class HelmError(Exception):
    """helm is missing or failed (the message is what Tilt reports)."""


def _check_helm_version(helm: str, env: dict[str, str] | None) -> None:
    """Tilt before v0.36.0 reads only Helm v3 versions (internal/tiltfile/helm.go `parseVersion`)."""
    from devstack_sim.standins import tiltversion

    if tiltversion.at_least((0, 36, 0)):
        return
    done = subprocess.run(
        [helm, "version", "--client", "--short"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    version = lines[-1] if lines else ""
    if not version.startswith("v3."):
        raise HelmError(f"could not parse Helm version from string: {done.stdout!r}".replace("'", '"'))


def template(
    chart: Path,
    name: str,
    namespace: str,
    values: list[str],
    sets: list[str],
    kube_version: str,
    skip_crds: bool,
    flags: list[str],
    cwd: Path,
    env: dict[str, str] | None,
) -> str:
    """The rendered YAML (tests/ templates dropped, namespaces filled in).

    Raises:
        HelmError: helm is not on PATH or `helm template` failed.
    """
    helm = shutil.which("helm", path=(env or {}).get("PATH")) if env else shutil.which("helm")
    if helm is None:
        raise HelmError("Unable to find Helm installation. Make sure `helm` is on your $PATH.")
    _check_helm_version(helm, env)
    args = [helm, "template", name or "chart", str(chart)]
    if namespace:
        args += ["--namespace", namespace]
    if kube_version:
        args += ["--kube-version", kube_version]
    if not skip_crds:
        args += ["--include-crds"]
    for file in values:
        args += ["--values", file]
    for item in sets:
        args += ["--set", item]
    args += flags
    try:
        done = subprocess.run(
            args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
        )
    except subprocess.TimeoutExpired:
        raise HelmError(f"command '{' '.join(args)}' timed out after 120s") from None
    if done.returncode != 0:
        # internal/tiltfile/files.go execLocalCmdArgv's wording
        raise HelmError(
            f"command '{args}' failed.\nerror: 'exit status {done.returncode}'\nstdout: '{done.stdout}'\n"
            f"stderr: '{done.stderr}'"
        )
    kept = [doc for doc in done.stdout.split("---\n") if not _TEST_SOURCE.search(doc)]
    if not namespace:
        return "---\n".join(kept)
    docs = []
    for doc in yaml.safe_load_all("---\n".join(kept)):
        if not isinstance(doc, dict) or not doc:
            continue
        if doc.get("kind") not in CLUSTER_SCOPED:
            doc.setdefault("metadata", {}).setdefault("namespace", namespace)
        docs.append(doc)
    return yaml.safe_dump_all(docs, sort_keys=False)
