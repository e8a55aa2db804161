"""What a profile (`profiles/NAME.yaml`) may say, as pydantic models.

Unknown keys are errors everywhere: a typo must never be silently ignored.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from devstack.core.shown import show_value
from devstack.profile.namespace import DNS_LABEL, PLACEHOLDERS, is_template, placeholders

KIND_NAME = re.compile(r"^[a-z0-9.-]+$")


PORT_TEXT = re.compile(r"[0-9]{1,5}")
MAX_SECONDS = 7 * 24 * 3600
"""The longest time limit a profile may give (a week): larger ones overflow timers."""


def _port(value: Any) -> int:
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and PORT_TEXT.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None or not 1 <= number <= 65535:
        raise PydanticCustomError(
            "port", "expected an integer 1-65535, got {got}", {"got": show_value(value)}
        )
    return number


def _seconds(value: Any) -> float:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not 0 < value <= MAX_SECONDS or not math.isfinite(value):
        raise PydanticCustomError(
            "seconds",
            "expected a number of seconds > 0 and at most {most} (a week), got {got}",
            {"got": show_value(value), "most": MAX_SECONDS},
        )
    return float(value)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PydanticCustomError(
            "count", "expected a whole number >= 1, got {got}", {"got": show_value(value)}
        )
    return value


Port = Annotated[int, BeforeValidator(_port)]
Seconds = Annotated[float, BeforeValidator(_seconds)]
Count = Annotated[int, BeforeValidator(_count)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Registry(_Strict):
    """A local image registry container next to the kind cluster (kind's local-registry recipe)."""

    name: str = "kind-registry"
    """Container name of the registry."""
    host_port: Port = 5001
    """Port on 127.0.0.1 where the registry is reachable from the host."""


class Cluster(_Strict):
    """Which cluster the stack runs on."""

    provider: Literal["kind", "existing"]
    """`kind`: devstack creates or reuses a local kind cluster. `existing`: use a named context."""
    name: str = "jetscale"
    """kind cluster name (the kube context is `kind-<name>`)."""
    kind_config: str | None = None
    """kind config file, relative to the profile file."""
    context: str | None = None
    """For `existing`: the kube context to use (it must also be in safety.allowed_contexts)."""
    registry: Registry | None = None
    """Optional local registry for image pushes."""

    @model_validator(mode="after")
    def _check(self) -> Cluster:
        if self.provider == "kind" and not KIND_NAME.match(self.name):
            raise PydanticCustomError(
                "kind_name",
                "kind cluster names must match ^[a-z0-9.-]+$, got {got}",
                {"got": show_value(self.name), "field": "name"},
            )
        if self.provider == "existing" and not self.context:
            raise PydanticCustomError(
                "context_required", "required when provider is existing", {"field": "context"}
            )
        return self


class Timeouts(_Strict):
    """How long each stage may take, in seconds."""

    cluster: Seconds = 300
    """Creating or starting the cluster."""
    deploy: Seconds = 900
    """Building and deploying (skaffold run)."""
    ready: Seconds = 300
    """Waiting for every workload to become Ready."""


class Deploy(_Strict):
    """How the stack gets deployed."""

    tool: Literal["skaffold", "tilt"] = "skaffold"
    """The deploy tool devstack drives."""
    skaffold_profile: str | None = None
    """Skaffold profile passed as `-p` (required for tool skaffold)."""
    mode: Literal["dev", "run"] = "dev"
    """`dev`: rebuild on change (inner loop). `run`: deploy once (CI)."""
    namespace: str = "default"
    """Namespace the workloads live in: a DNS label, or a template with `{user}` and `{branch}`
    (e.g. `"{user}-{branch}"`) so people share one cluster; devstack deploys with `--namespace`."""
    skaffold_file: str = "skaffold.yaml"
    """skaffold.yaml, relative to the stack root."""
    tiltfile: str = "Tiltfile"
    """The Tiltfile (tool tilt), relative to the stack root."""
    timeouts: Timeouts = Field(default_factory=Timeouts)
    """Time limits per stage."""

    @model_validator(mode="after")
    def _check(self) -> Deploy:
        if not is_template(self.namespace) and not DNS_LABEL.match(self.namespace):
            raise PydanticCustomError(
                "namespace",
                "expected a DNS label (a-z, 0-9 and '-', at most 63) or a template with {user} "
                "and {branch}, got {got}",
                {"got": show_value(self.namespace), "field": "namespace"},
            )
        if is_template(self.namespace):
            try:
                unknown = [f for f in placeholders(self.namespace) if f not in PLACEHOLDERS]
            except ValueError as err:
                unknown = [str(err)]
            if unknown:
                raise PydanticCustomError(
                    "namespace",
                    "unknown placeholder {got}; use {user} and {branch}",
                    {"got": show_value(unknown[0]), "field": "namespace"},
                )
        if self.tool == "skaffold" and not self.skaffold_profile:
            raise PydanticCustomError(
                "skaffold_profile_required", "required when tool is skaffold", {"field": "skaffold_profile"}
            )
        return self


class Forward(_Strict):
    """localhost:`local_port` → Service `service` port `remote_port`."""

    name: str
    """Short name shown in the views (frontend, backend)."""
    service: str
    """Service name in the deploy namespace."""
    remote_port: Port
    """The Service port."""
    local_port: Port
    """The port on 127.0.0.1 devstack owns for this forward."""
    wait_ready: Seconds = 30
    """How long a new connection waits for a ready endpoint before it is closed."""
    idle_timeout: Seconds = 300
    """A tunnel that moved no byte either way for this long is closed (frees its pod connection)."""
    max_connections: Count = 1000
    """Connections this forward serves at once; beyond it new ones are closed at once (and said so)."""


def _http_url(value: str, field: str) -> str:
    """An explicit http(s) URL, or an error naming the field."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError(
            "http_url",
            "expected an http:// or https:// URL, got {got}",
            {"got": show_value(value), "field": field},
        )
    return value


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class HttpCheck(_Strict):
    """An HTTP request that must succeed once the stack is up."""

    name: str
    """Name shown in the views."""
    url: str = ""
    """The URL to GET; or leave it out and name a `forward` (and a `path`)."""
    forward: str | None = None
    """A forward's name: the URL becomes http://localhost:<its local_port><path>."""
    path: str = "/"
    """The path requested on the forward's port (with `forward`)."""
    expect_status: int = 200
    """Expected HTTP status code."""
    timeout: Seconds = 5
    """Request timeout."""
    body_pattern: str | None = None
    """Optional regular expression the body must match."""

    @model_validator(mode="after")
    def _check(self) -> HttpCheck:
        if bool(self.url) == bool(self.forward):
            raise PydanticCustomError(
                "url_or_forward",
                "give either url or forward (with path), not both or neither",
                {"field": "url"},
            )
        if self.url:
            _http_url(self.url, "url")
        if not self.path.startswith("/"):
            raise PydanticCustomError(
                "path",
                "expected a path starting with /, got {got}",
                {"got": show_value(self.path), "field": "path"},
            )
        if self.body_pattern is not None:
            try:
                re.compile(self.body_pattern)
            except (re.error, RecursionError, OverflowError) as err:
                raise PydanticCustomError(
                    "body_pattern",
                    "not a valid regular expression: {why}",
                    {"why": show_value(str(err)), "field": "body_pattern"},
                ) from None
        return self


class ApiBaseUrlCheck(_Strict):
    """Check that the frontend's API base URL reaches the backend from the browser's side."""

    enabled: bool = True
    """Run this check."""
    frontend_forward: str = "frontend"
    """The forward that serves the frontend (where `frontend_url` comes from)."""
    frontend_url: str = ""
    """Where the browser loads the frontend (default: http://localhost:<the frontend forward's port>)."""
    config_paths: tuple[str, ...] = ("/config.js", "/env.json")
    """Runtime config documents the frontend serves, tried in order."""
    env_var: str = "VITE_API_BASE_URL"
    """Name of the setting."""
    deployment: str = "jetscale-frontend"
    """Frontend Deployment (last-resort source of the value: its env)."""
    health_path: str = "/healthz"
    """Path on the API that must answer 2xx."""
    cors_path: str | None = None
    """Path the CORS preflight and GET are sent to (default: health_path)."""
    origin: str = ""
    """Origin the browser sends (CORS; default: the origin of `frontend_url`)."""

    @model_validator(mode="after")
    def _check(self) -> ApiBaseUrlCheck:
        if self.frontend_url:
            _http_url(self.frontend_url, "frontend_url")
            if not self.origin:
                object.__setattr__(self, "origin", _origin_of(self.frontend_url))
        if self.origin:
            _http_url(self.origin, "origin")
        return self


class Checks(_Strict):
    """Checks run after the stack is up."""

    http: tuple[HttpCheck, ...] = ()
    """Plain HTTP checks."""
    api_base_url: ApiBaseUrlCheck = Field(default_factory=ApiBaseUrlCheck)
    """The VITE_API_BASE_URL connectivity check."""


class Safety(_Strict):
    """Guards against touching the wrong cluster."""

    allowed_contexts: tuple[str, ...] = ()
    """Kube contexts devstack may act on. The kind profile's own context is always allowed."""


def backend_forward(api: ApiBaseUrlCheck, forwards: tuple[Forward, ...]) -> Forward | None:
    """The forward that serves the backend (the API the frontend calls): the one named `backend`,
    else the only one that is not the frontend's; None when that cannot be told."""
    named = next((f for f in forwards if f.name == "backend"), None)
    if named is not None:
        return named
    others = [f for f in forwards if f.name != api.frontend_forward]
    return others[0] if len(others) == 1 else None


def _unknown_forward(name: str, ports: dict[str, int], field: str) -> PydanticCustomError:
    known = ", ".join(ports) or "none"
    return PydanticCustomError(
        "unknown_forward",
        "no forward named {name} (forwards: {known})",
        {"name": show_value(name), "known": known, "field": field},
    )


class Profile(_Strict):
    """A devstack profile: one way to run the stack."""

    name: str
    """Profile name (usually the file name)."""
    description: str = ""
    """One line shown in `devstack status` and the TUI header."""
    cluster: Cluster
    """Which cluster to use."""
    deploy: Deploy
    """How to deploy."""
    forwards: tuple[Forward, ...] = ()
    """Local ports devstack owns."""
    checks: Checks = Field(default_factory=Checks)
    """Checks after deploy."""
    safety: Safety = Field(default_factory=Safety)
    """Context allowlist."""

    @model_validator(mode="after")
    def _unique_forwards(self) -> Profile:
        seen: dict[int, str] = {}
        for forward in self.forwards:
            if forward.local_port in seen:
                raise PydanticCustomError(
                    "duplicate_port",
                    "local port {port} is used by both {a} and {b}",
                    {
                        "port": forward.local_port,
                        "a": seen[forward.local_port],
                        "b": forward.name,
                        "field": "forwards",
                    },
                )
            seen[forward.local_port] = forward.name
        return self

    @model_validator(mode="after")
    def _urls_from_forwards(self) -> Profile:
        """Each port is written once, in `forwards`: check URLs and the frontend URL come from it."""
        ports = {f.name: f.local_port for f in self.forwards}
        http = []
        for index, check in enumerate(self.checks.http):
            if check.forward is None:
                http.append(check)
                continue
            if check.forward not in ports:
                raise _unknown_forward(check.forward, ports, f"checks.http.{index}.forward")
            url = f"http://localhost:{ports[check.forward]}{check.path}"
            http.append(check.model_copy(update={"url": url}))
        api = self.checks.api_base_url
        if api.enabled and not api.frontend_url:
            if api.frontend_forward not in ports:
                raise _unknown_forward(api.frontend_forward, ports, "checks.api_base_url.frontend_forward")
            url = f"http://localhost:{ports[api.frontend_forward]}"
            api = api.model_copy(update={"frontend_url": url, "origin": api.origin or url})
        object.__setattr__(
            self, "checks", self.checks.model_copy(update={"http": tuple(http), "api_base_url": api})
        )
        return self

    @property
    def context(self) -> str:
        """The kube context this profile targets: never the kubeconfig's current-context."""
        if self.cluster.provider == "kind":
            return f"kind-{self.cluster.name}"
        return self.cluster.context or ""

    @property
    def kind_cluster(self) -> str:
        """The kind cluster's name ("" when the cluster is not kind): for `kind` calls and hints."""
        return self.cluster.name if self.cluster.provider == "kind" else ""

    @property
    def allowed_contexts(self) -> tuple[str, ...]:
        """Contexts devstack may act on for this profile."""
        own = (f"kind-{self.cluster.name}",) if self.cluster.provider == "kind" else ()
        return tuple(dict.fromkeys((*own, *self.safety.allowed_contexts)))
