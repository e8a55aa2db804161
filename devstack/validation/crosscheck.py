"""Cross-checks: each profile against the files it relies on, each mismatch a `file:line` naming both.

Each file can be valid on its own and the stack still broken: a `skaffold_profile` skaffold.yaml
does not define, a forward to a Service port the chart does not render, a `frontend.apiBaseUrl` on
a port no forward serves, `backend.allowedOrigins` without the frontend's origin, a check URL on a
port nobody forwards, a tilt profile the Tiltfile disagrees with. The chart is rendered (helm
template) with the values files the profile's skaffold profile (or the Tiltfile) deploys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from devstack.core.apiurl import is_cluster_internal, is_local
from devstack.profile import Profile, ProfileError, load_profile
from devstack.profile.models import backend_forward
from devstack.profile.namespace import is_template
from devstack.validation import helm
from devstack.validation.deployfacts import (
    Deployment,
    skaffold_deployment,
    skaffold_profiles,
    tilt_deployment,
)
from devstack.validation.manifests import split_rendered
from devstack.validation.problems import shown_path
from devstack.validation.tiltfile import TILTFILE, TiltFacts, missing_forward_switch, read_tiltfile
from devstack.validation.values import ValuesLookup
from devstack.yamlfile import KeyPath, Problem, YamlDoc, dotted, load_yaml

API_URL: KeyPath = ("frontend", "apiBaseUrl")
ORIGINS: KeyPath = ("backend", "allowedOrigins")
PORT_LINE = re.compile(r"^\s*-?\s*port:", re.MULTILINE)
Render = Callable[[Deployment], "dict[str, ServiceFacts] | None"]


@dataclass(frozen=True)
class ServiceFacts:
    """A Service the chart renders: its ports and the template (`file:line`) they come from."""

    name: str
    ports: tuple[int, ...]
    where: str


@dataclass(frozen=True)
class _Profile:
    profile: Profile
    doc: YamlDoc

    def line(self, *path: str | int) -> int | None:
        return self.doc.line(path, key=True)

    def where(self, *path: str | int) -> str:
        return f"{self.doc.file}:{self.line(*path) or 1}"

    def problem(self, message: str, *path: str | int) -> Problem:
        return Problem(self.doc.file, self.line(*path), f"{dotted(path)}: {message}")


def cross_check(root: Path, helm_path: str, kube_version: str) -> list[Problem]:
    """Every mismatch between a profile and skaffold.yaml, the Tiltfile and the chart it deploys."""
    tilt = read_tiltfile(root)
    problems: list[Problem] = [tilt] if isinstance(tilt, Problem) else []
    renders: dict[tuple[str, str, tuple[str, ...]], dict[str, ServiceFacts] | None] = {}

    def render(deployment: Deployment) -> dict[str, ServiceFacts] | None:
        key = (deployment.release, deployment.namespace, deployment.values)
        if key not in renders:
            renders[key] = _render(root, helm_path, kube_version, deployment)
        return renders[key]

    for path in sorted((root / "profiles").glob("*.yaml")):
        checked = _load(path, root)
        if checked is not None:
            problems += _profile_problems(root, checked, tilt, render)
    return problems


def _load(path: Path, root: Path) -> _Profile | None:
    """The profile and its YAML (with lines); None when it does not load (reported elsewhere)."""
    try:
        profile = load_profile(path)
    except ProfileError:
        return None
    doc = load_yaml(path, shown_path(path, root))
    return None if isinstance(doc, Problem) else _Profile(profile, doc)


def _profile_problems(
    root: Path, p: _Profile, tilt: TiltFacts | Problem | None, render: Render
) -> list[Problem]:
    problems = list(_url_problems(p))
    deploy = p.profile.deploy
    deployment: Deployment | None = None
    if deploy.tool == "skaffold":
        skaffold = load_yaml(root / deploy.skaffold_file, deploy.skaffold_file)
        if isinstance(skaffold, Problem):
            return problems  # skaffold.yaml's own problems are reported by its check
        problems += _skaffold_profile_problems(p, skaffold)
        deployment = skaffold_deployment(skaffold, str(deploy.skaffold_profile))
    elif isinstance(tilt, Problem):
        return problems  # the Tiltfile's own problem is reported once, by `cross_check`
    elif tilt is None:
        problems.append(p.problem(f"tilt, but there is no {TILTFILE} in the stack", "deploy", "tool"))
    else:
        problems += _tilt_problems(p, tilt)
        deployment = tilt_deployment(tilt)
    if deployment is None:
        return problems
    # A per-user namespace ("{user}-{branch}") is devstack's to pass: it runs skaffold with --namespace.
    per_user = deploy.tool == "skaffold" and is_template(deploy.namespace)
    if deployment.namespace and deployment.namespace != deploy.namespace and not per_user:
        message = f"{deploy.namespace}, but {deployment.where} deploys into namespace {deployment.namespace}"
        problems.append(p.problem(message, "deploy", "namespace"))
    values = ValuesLookup(root, deployment.values, deployment.chart)
    services = render(deployment)
    if services is not None:
        problems += _forward_problems(p, services, deployment)
    problems += _api_url_problems(p, values)
    problems += _origin_problems(p, values)
    return problems


def _skaffold_profile_problems(p: _Profile, skaffold: YamlDoc) -> list[Problem]:
    name = str(p.profile.deploy.skaffold_profile)
    defined = skaffold_profiles(skaffold)
    if name in defined:
        return []
    listed = ", ".join(f"{n} (line {line})" for n, line in defined.items()) or "none"
    message = f"{skaffold.file} has no profile {name!r} (it defines: {listed})"
    return [p.problem(message, "deploy", "skaffold_profile")]


def _tilt_problems(p: _Profile, tilt: TiltFacts) -> list[Problem]:
    problems = []
    context = p.profile.context
    if tilt.contexts is not None and context not in tilt.contexts:
        allowed = ", ".join(tilt.contexts)
        message = f"{context}, but {TILTFILE}:{tilt.contexts_line} allows only {allowed} (allow_k8s_contexts)"
        problems.append(p.problem(message, "cluster"))
    switch = missing_forward_switch(tilt)
    if switch is not None:
        problems.append(p.problem(f"tilt, but {switch}", "deploy", "tool"))
    for index, forward in enumerate(p.profile.forwards):
        for tilted in (t for t in tilt.forwards if forward.service in (t.resource, forward.name)):
            if tilted.local != forward.local_port:
                message = (
                    f"{forward.local_port}, but {TILTFILE}:{tilted.line} forwards {tilted.resource} "
                    f"on localhost:{tilted.local}"
                )
                problems.append(p.problem(message, "forwards", index, "local_port"))
    return problems


def _render(
    root: Path, helm_path: str, kube_version: str, deployment: Deployment
) -> dict[str, ServiceFacts] | None:
    """The Services the chart renders for this deployment (None when it does not render)."""
    chart = (root / deployment.chart).resolve()
    values = [(root / v).resolve() for v in deployment.values]
    if not deployment.chart or not chart.is_dir() or not all(v.is_file() for v in values):
        return None  # a missing chart or values file is reported by the other checks
    release = deployment.release or Path(deployment.chart).name
    namespace = deployment.namespace or "default"
    rendered = helm.template(helm_path, chart, values, kube_version, release, namespace)
    documents = split_rendered(rendered.stdout, deployment.where) if rendered.ok else None
    if not isinstance(documents, list):
        return None  # rendering problems are reported by the values check
    services = {}
    for document in documents:
        body = document.body
        if not isinstance(body, dict) or body.get("kind") != "Service":
            continue
        name = str((body.get("metadata") or {}).get("name", ""))
        ports = tuple(p["port"] for p in (body.get("spec") or {}).get("ports") or [] if isinstance(p, dict))
        services[name] = ServiceFacts(name, ports, _template_line(chart, root, document.source))
    return services


def _template_line(chart: Path, root: Path, source: str | None) -> str:
    """`charts/jetscale/charts/x/templates/service.yaml:13`: the template and its `port:` line."""
    if source is None:
        return shown_path(chart, root)
    template = chart / source.partition("/")[2]
    try:
        text = template.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return shown_path(template, root)
    found = PORT_LINE.search(text)
    line = text.count("\n", 0, found.start()) + 1 if found else 1
    return f"{shown_path(template, root)}:{line}"


def _forward_problems(
    p: _Profile, services: dict[str, ServiceFacts], deployment: Deployment
) -> list[Problem]:
    problems = []
    values = ", ".join(deployment.values) or "the chart's defaults"
    for index, forward in enumerate(p.profile.forwards):
        service = services.get(forward.service)
        if service is None:
            known = ", ".join(sorted(services)) or "none"
            message = (
                f"the chart renders no Service {forward.service} with {values} ({deployment.where}; "
                f"it renders: {known})"
            )
            problems.append(p.problem(message, "forwards", index, "service"))
        elif forward.remote_port not in service.ports:
            shown = ", ".join(map(str, service.ports)) or "none"
            message = (
                f"Service {service.name} has no port {forward.remote_port} ({service.where} renders {shown})"
            )
            problems.append(p.problem(message, "forwards", index, "remote_port"))
    return problems


def _api_url_problems(p: _Profile, values: ValuesLookup) -> list[Problem]:
    profile = p.profile
    backend = backend_forward(profile.checks.api_base_url, profile.forwards)
    found = values.find(API_URL)
    if backend is None or found is None or not isinstance(found.value, str) or not found.value:
        return []
    index = profile.forwards.index(backend)
    serves = (
        f"{p.where('forwards', index, 'local_port')} serves the backend ({backend.service}) on "
        f"localhost:{backend.local_port}"
    )
    try:
        parts = urlsplit(found.value)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return []  # not a URL: the values schema says so
    host = parts.hostname or ""
    if is_cluster_internal(host):
        message = f"{found.value} is a cluster-internal name the browser cannot resolve; {serves}"
    elif is_local(host) and port != backend.local_port:
        message = f"{found.value} is on port {port}, but {serves}"
    else:
        return []
    return [Problem(found.file, found.line, f"{dotted(API_URL)}: {message}")]


def _origin_problems(p: _Profile, values: ValuesLookup) -> list[Problem]:
    api = p.profile.checks.api_base_url
    found = values.find(ORIGINS)
    if not api.enabled or not api.origin or found is None or not isinstance(found.value, list):
        return []
    origins = [str(o).rstrip("/") for o in found.value]
    if "*" in origins or api.origin.rstrip("/") in origins:
        return []
    frontend = next((i for i, f in enumerate(p.profile.forwards) if f.name == api.frontend_forward), None)
    where = p.where("forwards", frontend, "local_port") if frontend is not None else p.where("checks")
    message = (
        f"{', '.join(origins) or 'none'} does not allow the frontend's origin {api.origin} "
        f"({where}, profile {p.profile.name})"
    )
    return [Problem(found.file, found.line, f"{dotted(ORIGINS)}: {message}")]


def _url_problems(p: _Profile) -> Iterator[Problem]:
    """Check URLs written out (not derived from a forward) must be on a port a forward serves."""
    profile = p.profile
    ports = {f.local_port: index for index, f in enumerate(profile.forwards)}
    if not ports:
        return
    listed = ", ".join(
        f"{f.local_port} ({f.name}, line {p.line('forwards', i)})" for i, f in enumerate(profile.forwards)
    )
    written: list[tuple[KeyPath, str]] = [
        (("checks", "http", i, "url"), check.url)
        for i, check in enumerate(profile.checks.http)
        if check.forward is None
    ]
    if p.doc.has(("checks", "api_base_url", "frontend_url")):
        written.append((("checks", "api_base_url", "frontend_url"), profile.checks.api_base_url.frontend_url))
    for path, url in written:
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            continue
        if is_local(parts.hostname or "") and port not in ports:
            yield p.problem(f"{url} is on port {port}, which no forward serves (forwards: {listed})", *path)
