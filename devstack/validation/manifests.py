"""Validate rendered manifests against the Kubernetes API schemas (kubernetes-validate, strict mode)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import kubernetes_validate
from kubernetes_validate.utils import all_versions

from devstack.yamlfile import Problem, dotted, parse_yaml

SOURCE = re.compile(r"^# Source: (?P<source>\S+)", re.MULTILINE)
DOCUMENT_SEPARATOR = re.compile(r"^---[ \t]*$", re.MULTILINE)
KUBE_VERSION = re.compile(r"^v?(?P<major>\d+)\.(?P<minor>\d+)(\.\d+)?$")
# API groups served by Kubernetes itself. Kinds of any other group (e.g. external-secrets.io) come from
# CRDs, whose schemas kubernetes-validate does not have: those are skipped, not reported.
BUILTIN_GROUPS = frozenset(
    {"", "apps", "batch", "autoscaling", "policy"}
    | {
        f"{name}.k8s.io"
        for name in (
            "admissionregistration", "apiextensions", "apiregistration", "authentication",
            "authorization", "certificates", "coordination", "discovery", "events", "networking",
            "node", "rbac.authorization", "resource", "scheduling", "storage", "storagemigration",
            "flowcontrol.apiserver", "internal.apiserver",
        )
    }
)  # fmt: skip


@dataclass(frozen=True)
class Rendered:
    """One rendered manifest and the chart file it came from (helm's ``# Source:`` comment)."""

    source: str | None
    body: Any


def kube_version_problem(kube_version: str) -> str | None:
    """Return why ``kube_version`` cannot be validated against, or None when it can."""
    match = KUBE_VERSION.match(kube_version)
    if match is None:
        return f"--kube-version {kube_version!r}: expected MAJOR.MINOR, e.g. 1.33"
    wanted = (int(match["major"]), int(match["minor"]))
    known = sorted({tuple(int(p) for p in v.split(".")[:2]) for v in all_versions()})
    if not known[0] <= wanted <= known[-1]:
        lowest, highest = ".".join(map(str, known[0])), ".".join(map(str, known[-1]))
        return f"--kube-version {kube_version}: kubernetes-validate knows {lowest} to {highest}"
    return None


def split_rendered(text: str, shown: str) -> list[Rendered] | Problem:
    """Split ``helm template`` output into documents, skipping empty ones.

    Args:
        text: The rendered output.
        shown: What a problem names as the file (the values file it was rendered with).

    Returns:
        The documents, or the problem with the first that is not valid YAML (or passes a limit).
    """
    documents = []
    for chunk in DOCUMENT_SEPARATOR.split(text):
        doc = parse_yaml(chunk, shown)
        if isinstance(doc, Problem):
            return Problem(shown, None, f"helm rendered {doc.message}")
        if doc.data is not None:
            found = SOURCE.search(chunk)
            documents.append(Rendered(found["source"] if found else None, doc.data))
    return documents


def manifest_problems(manifest: Rendered, kube_version: str) -> list[str]:
    """Return what is wrong with one manifest for Kubernetes ``kube_version`` (empty when valid)."""
    body = manifest.body
    if not isinstance(body, dict) or not isinstance(body.get("kind"), str) or "apiVersion" not in body:
        return ["not a Kubernetes object (no apiVersion/kind)"]
    name = f"{body['kind']}/{(body.get('metadata') or {}).get('name', '?')}"
    try:
        kubernetes_validate.validate(body, kube_version, strict=True)
    except kubernetes_validate.ValidationError as err:
        where = dotted(list(err.path)) or "(top level)"
        return [f"{name}: {where}: {err.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        group = str(body["apiVersion"]).rpartition("/")[0]
        if group in BUILTIN_GROUPS:
            return [
                f"{name}: Kubernetes {kube_version} does not serve {body['kind']} in {body['apiVersion']}"
            ]
    return []


def rendered_problems(text: str, kube_version: str, chart_shown: str, values_shown: str) -> list[Problem]:
    """Validate every manifest in ``helm template`` output.

    Args:
        text: The rendered output.
        kube_version: The Kubernetes version to validate against, e.g. "1.33".
        chart_shown: The chart directory as reports show it, e.g. "charts/jetscale".
        values_shown: The values file the output was rendered with, named in each message.
    """
    manifests = split_rendered(text, values_shown)
    if isinstance(manifests, Problem):
        return [manifests]
    problems = []
    for manifest in manifests:
        # helm names sources "<chart name>/templates/x.yaml"; show them as paths in the repo.
        file = f"{chart_shown}/{manifest.source.partition('/')[2]}" if manifest.source else chart_shown
        for message in manifest_problems(manifest, kube_version):
            problems.append(Problem(file, None, f"{message} (rendered with {values_shown})"))
    return problems
