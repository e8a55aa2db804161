"""What a stack's own files say, for `devstack init`: skaffold's profiles, the release it deploys,
and the Services, ports and frontend the chart renders.

The chart is rendered with the real `helm template` as skaffold.yaml deploys it (its first helm
release, values files and namespace). The frontend is the Deployment whose containers set
`VITE_API_BASE_URL`, served by the Service that selects its pods; the backend is the Service on the
port that URL names (else the one other Service).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from devstack.validation import helm
from devstack.validation.deployfacts import skaffold_deployment, skaffold_profiles
from devstack.validation.skaffold import SKAFFOLD_FILE
from devstack.yamlfile import YamlDoc, load_yaml

API_ENV = "VITE_API_BASE_URL"
LOCAL_HOSTS = ("localhost", "127.0.0.1")
LOCAL_ORIGIN = re.compile(r"https?://(?:localhost|127\.0\.0\.1):(\d{1,5})\b")


class StackFactsError(ValueError):
    """The stack's files do not say enough to write a profile (the message says what is missing)."""


@dataclass(frozen=True)
class Service:
    """A Service the chart renders: its name, ports and pod selector."""

    name: str
    ports: tuple[int, ...]
    selector: dict[str, str]


@dataclass(frozen=True)
class StackFacts:
    """What `devstack init` builds profiles from."""

    name: str
    skaffold_profiles: tuple[str, ...]
    release: str
    namespace: str
    chart: str
    services: tuple[Service, ...]
    frontend: Service | None = None
    frontend_deployment: str = ""
    api_base_url: str = ""
    backend: Service | None = None
    backend_local_port: int | None = None
    """The localhost port VITE_API_BASE_URL names: the browser looks for the API there."""
    frontend_local_port: int | None = None
    """A localhost origin the backend's env names (its CORS allow list): the frontend's port."""


def read_stack(root: Path, kube_version: str = "1.33") -> StackFacts:
    """Read skaffold.yaml and render its chart.

    Raises:
        StackFactsError: no skaffold.yaml, no helm release, or a chart that does not render.
        HelmMissing: helm is not on PATH.
    """
    doc = load_yaml(root / SKAFFOLD_FILE, SKAFFOLD_FILE)
    if not isinstance(doc, YamlDoc) or not isinstance(doc.data, dict):
        raise StackFactsError(f"{SKAFFOLD_FILE}: {doc}" if not isinstance(doc, YamlDoc) else "not a mapping")
    profiles = tuple(skaffold_profiles(doc))
    deployment = skaffold_deployment(doc, "")
    if deployment is None or not deployment.chart:
        raise StackFactsError(f"{SKAFFOLD_FILE}: no deploy.helm.releases[0] with a chartPath to render")
    metadata = doc.data.get("metadata")
    named = metadata.get("name") if isinstance(metadata, dict) else None
    name = str(named or deployment.release or root.resolve().name)
    namespace = (
        deployment.namespace if deployment.namespace and "{{" not in deployment.namespace else "default"
    )
    chart = (root / deployment.chart).resolve()
    values = [(root / v).resolve() for v in deployment.values]
    rendered = helm.template(
        helm.find_helm(), chart, values, kube_version, deployment.release or name, namespace
    )
    if not rendered.ok:
        raise StackFactsError(f"{deployment.chart}: helm template failed: {helm.one_line(rendered.stderr)}")
    documents = [d for d in yaml.safe_load_all(rendered.stdout) if isinstance(d, dict)]
    services = tuple(_service(d) for d in documents if d.get("kind") == "Service")
    facts = StackFacts(name, profiles, deployment.release, namespace, deployment.chart, services)
    return _with_frontend(facts, documents)


def _service(document: dict[str, Any]) -> Service:
    spec = document.get("spec") or {}
    ports = tuple(int(p["port"]) for p in spec.get("ports") or [] if isinstance(p, dict) and "port" in p)
    selector = {str(k): str(v) for k, v in (spec.get("selector") or {}).items()}
    return Service(str((document.get("metadata") or {}).get("name")), ports, selector)


def _with_frontend(facts: StackFacts, documents: list[dict[str, Any]]) -> StackFacts:
    pods = [(_pod_labels(d), _pod_spec(d), d) for d in documents if d.get("kind") == "Deployment"]
    for labels, spec, document in pods:
        url = _env_value(spec, API_ENV)
        if url is None:
            continue
        frontend = next((s for s in facts.services if _selects(s, labels)), None)
        parts = urlsplit(url)
        local = parts.hostname in LOCAL_HOSTS
        others = [s for s in facts.services if s is not frontend]
        backend = next((s for s in others if parts.port in s.ports), None)
        if backend is None and len(others) == 1:
            backend = others[0]
        origin = None
        if backend is not None:
            backend_spec = next((spec for labels, spec, _ in pods if _selects(backend, labels)), {})
            origin = _local_origin_port(backend_spec)
        name = str((document.get("metadata") or {}).get("name"))
        return StackFacts(
            facts.name, facts.skaffold_profiles, facts.release, facts.namespace, facts.chart,
            facts.services, frontend, name, url, backend, parts.port if local else None, origin,
        )  # fmt: skip
    return facts


def _pod_labels(document: dict[str, Any]) -> dict[str, str]:
    template = (document.get("spec") or {}).get("template") or {}
    return {str(k): str(v) for k, v in ((template.get("metadata") or {}).get("labels") or {}).items()}


def _pod_spec(document: dict[str, Any]) -> dict[str, Any]:
    spec = ((document.get("spec") or {}).get("template") or {}).get("spec")
    return spec if isinstance(spec, dict) else {}


def _selects(service: Service, labels: dict[str, str]) -> bool:
    return bool(service.selector) and service.selector.items() <= labels.items()


def _local_origin_port(pod_spec: dict[str, Any]) -> int | None:
    """The port of the first `http://localhost:N` in the containers' env values."""
    for container in pod_spec.get("containers") or []:
        for env in (container or {}).get("env") or []:
            value = env.get("value") if isinstance(env, dict) else None
            found = LOCAL_ORIGIN.search(value) if isinstance(value, str) else None
            if found:
                return int(found.group(1))
    return None


def _env_value(pod_spec: dict[str, Any], name: str) -> str | None:
    for container in pod_spec.get("containers") or []:
        for env in (container or {}).get("env") or []:
            if isinstance(env, dict) and env.get("name") == name and isinstance(env.get("value"), str):
                return str(env["value"])
    return None
