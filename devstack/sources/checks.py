"""Checks once the stack is up: the profile's HTTP checks, and whether the frontend's
`VITE_API_BASE_URL` reaches the backend from the browser's side (CORS included)."""

from __future__ import annotations

import http.client
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from devstack.core import apiurl
from devstack.core import events as ev
from devstack.core.checks import CheckResult, CheckStep
from devstack.profile.models import ApiBaseUrlCheck, Forward, HttpCheck, Profile, backend_forward

MAX_BODY = 4 << 20
ALLOWED_ORIGINS_ENV = "ALLOWED_ORIGINS"
"""The backend's env var listing the CORS origins it allows (the chart sets it from allowedOrigins)."""
Emit = Callable[[ev.Event], object]
EnvLookup = Callable[[str, str], str | None]


@dataclass(frozen=True)
class Response:
    """An HTTP response (headers lower-cased)."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", errors="replace")


def fetch(
    url: str, method: str = "GET", headers: dict[str, str] | None = None, timeout: float = 5
) -> Response:
    """One HTTP request, no redirects followed (raises OSError / HTTPException)."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname or "localhost", parts.port, timeout=timeout)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path, headers={"Connection": "close", **(headers or {})})
        response = connection.getresponse()
        body = response.read(MAX_BODY)
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        connection.close()


def _failure(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def run_http_check(check: HttpCheck) -> CheckResult:
    """GET the URL; status (and body pattern) must match."""
    try:
        response = fetch(check.url, timeout=check.timeout)
    except (OSError, http.client.HTTPException) as err:
        return CheckResult(
            check.name, (CheckStep(f"GET {check.url}", False, _failure(err), _unreachable_hint(check.url)),)
        )
    if response.status != check.expect_status:
        step = CheckStep(
            f"GET {check.url}",
            False,
            f"HTTP {response.status}, expected {check.expect_status}",
            "see `devstack status` for the workload behind this URL",
        )
        return CheckResult(check.name, (step,))
    if check.body_pattern and not re.search(check.body_pattern, response.text):
        step = CheckStep(f"GET {check.url}", False, f"body does not match /{check.body_pattern}/", "")
        return CheckResult(check.name, (step,))
    return CheckResult(check.name, (CheckStep(f"GET {check.url}", True, f"HTTP {response.status}"),))


def _unreachable_hint(url: str) -> str:
    port = urlsplit(url).port
    return f"is `devstack up` (or `devstack forward`) running? nothing answered on port {port}"


class ApiBaseUrlChecker:
    """Steps a–e of the API base URL check, stopping at the first failure."""

    def __init__(self, config: ApiBaseUrlCheck, forwards: tuple[Forward, ...], env_lookup: EnvLookup | None):
        self.config = config
        self.forwards = forwards
        self.env_lookup = env_lookup
        backend = backend_forward(config, forwards)
        self.suggested = f"http://localhost:{backend.local_port}" if backend is not None else ""
        self.api_forward: Forward | None = None

    def _env(self, deployment: str, name: str) -> str | None:
        """A Deployment's env value, None when there is no lookup or it fails (no such Deployment)."""
        if self.env_lookup is None:
            return None
        try:
            return self.env_lookup(deployment, name)
        except Exception:  # noqa: BLE001 - the value is just not known from this source
            return None

    def run(self) -> CheckResult:
        """Every step until one fails."""
        steps: list[CheckStep] = []
        found = self.find_value()
        steps.append(found[0])
        if not found[0].ok or found[1] is None:
            return CheckResult("api-base-url", tuple(steps))
        base = found[1].rstrip("/")
        for step in (self.judge, self.reachable, self.health, self.cors):
            result = step(base)
            steps.append(result)
            if not result.ok:
                break
        return CheckResult("api-base-url", tuple(steps))

    def find_value(self) -> tuple[CheckStep, str | None]:
        """a. The value the browser really uses, and where it came from."""
        name, front = self.config.env_var, self.config.frontend_url.rstrip("/")
        for path in self.config.config_paths:
            try:
                response = fetch(front + path)
            except (OSError, http.client.HTTPException):
                continue
            value = apiurl.from_config_document(response.text, name) if response.status == 200 else None
            if value:
                return CheckStep(
                    "find the value", True, f"{value} (from runtime config {front}{path})"
                ), value
        value, source = self._from_assets(front, name)
        if value is None and self.env_lookup is not None:
            value = self._env(self.config.deployment, name)
            source = f"env {name} of Deployment {self.config.deployment}"
        if value:
            return CheckStep("find the value", True, f"{value} (from {source})"), value
        hint = (
            f"the frontend serves no {' or '.join(self.config.config_paths)} with {name}, its JS bundle "
            f"has no API URL and Deployment {self.config.deployment} sets no {name}: set frontend.apiBaseUrl "
            "in the chart values"
        )
        return CheckStep("find the value", False, f"no {name} found", hint), None

    def _from_assets(self, front: str, name: str) -> tuple[str | None, str]:
        try:
            page = fetch(front + "/")
        except (OSError, http.client.HTTPException):
            return None, ""
        for src in apiurl.script_sources(page.text):
            url = urljoin(front + "/", src)
            if not apiurl.is_local(urlsplit(url).hostname or ""):
                continue
            try:
                value = apiurl.from_bundle(fetch(url).text, name)
            except (OSError, http.client.HTTPException):
                continue
            if value:
                return value, f"JS asset {url} (baked in at build time)"
        return None, ""

    def judge(self, base: str) -> CheckStep:
        """b. An absolute http(s) URL the browser can resolve."""
        suggested = self.suggested or "http://localhost:<the backend forward's local_port>"
        verdict = apiurl.judge_url(base, suggested, self.config.env_var)
        return CheckStep("browser can resolve it", verdict.ok, verdict.detail, verdict.hint)

    def reachable(self, base: str) -> CheckStep:
        """c. Its host:port is one of devstack's forwards, or otherwise reachable."""
        parts = urlsplit(base)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        forward = next((f for f in self.forwards if f.local_port == port), None)
        if apiurl.is_local(host) and forward is not None:
            self.api_forward = forward
            return CheckStep(
                "reaches a forward", True, f"{host}:{port} is devstack's forward to {forward.service}"
            )
        try:
            with socket.create_connection((host, port), timeout=2):
                pass
        except OSError as err:
            ports = ", ".join(f"{f.local_port} ({f.name})" for f in self.forwards)
            to = f" to {self.suggested}" if self.suggested else " to the backend's forward"
            return CheckStep(
                "reaches a forward",
                False,
                f"nothing answers on {host}:{port}: {err.strerror or err}",
                f"devstack forwards {ports}: set {self.config.env_var} (frontend.apiBaseUrl){to}",
            )
        return CheckStep("reaches a forward", True, f"{host}:{port} is not a devstack forward but answers")

    def health(self, base: str) -> CheckStep:
        """d. `GET <base><health_path>` answers 2xx."""
        url = base + self.config.health_path
        try:
            response = fetch(url)
        except (OSError, http.client.HTTPException) as err:
            return CheckStep(
                "API answers", False, f"GET {url}: {_failure(err)}", "see `devstack status` for the backend"
            )
        if not 200 <= response.status < 300:
            return CheckStep(
                "API answers",
                False,
                f"GET {url}: HTTP {response.status}",
                f"{self.config.health_path} must answer 2xx; is the base URL pointing at the backend?",
            )
        return CheckStep("API answers", True, f"GET {url}: HTTP {response.status}")

    def cors(self, base: str) -> CheckStep:
        """e. A CORS preflight is allowed, and the real GET carries a matching ACAO.

        A failure names the origins the backend answered with and those it is configured with
        (its Deployment's ALLOWED_ORIGINS), so the fix says what to add to what.
        """
        origin = self.config.origin
        url = base + (self.config.cors_path or self.config.health_path)
        try:
            preflight = fetch(url, "OPTIONS", {"Origin": origin, "Access-Control-Request-Method": "GET"})
            real = fetch(url, "GET", {"Origin": origin})
        except (OSError, http.client.HTTPException) as err:
            return CheckStep("CORS allows the frontend", False, f"{url}: {_failure(err)}", self._cors_hint())
        allowed = preflight.headers.get("access-control-allow-origin", "")
        if not 200 <= preflight.status < 300 or allowed not in (origin, "*"):
            detail = (
                f"preflight OPTIONS {url} from {origin}: HTTP {preflight.status}, "
                f"Access-Control-Allow-Origin {allowed or 'missing'}"
            )
            return CheckStep(
                "CORS allows the frontend", False, detail + self._configured(), self._cors_hint()
            )
        answer = real.headers.get("access-control-allow-origin", "")
        if answer not in (origin, "*"):
            detail = f"GET {url} from {origin}: Access-Control-Allow-Origin {answer or 'missing'}"
            return CheckStep(
                "CORS allows the frontend", False, detail + self._configured(), self._cors_hint()
            )
        return CheckStep("CORS allows the frontend", True, f"preflight and GET allow {origin}")

    def allowed_origins(self) -> tuple[str, list[str]] | None:
        """(Deployment, origins) the backend behind the API's forward is configured to allow."""
        if self.api_forward is None:
            return None
        deployment = self.api_forward.service
        value = self._env(deployment, ALLOWED_ORIGINS_ENV)
        if value is None:
            return None
        return deployment, [o.strip() for o in value.split(",") if o.strip()]

    def _configured(self) -> str:
        found = self.allowed_origins()
        if found is None:
            return ""
        deployment, origins = found
        shown = ", ".join(origins) or "none"
        return f"; the backend allows {shown} ({ALLOWED_ORIGINS_ENV} of Deployment {deployment})"

    def _cors_hint(self) -> str:
        origin = self.config.origin
        found = self.allowed_origins()
        now = f" (now: {', '.join(found[1]) or 'none'})" if found is not None else ""
        where = f"backend.allowedOrigins ({ALLOWED_ORIGINS_ENV})"
        return f"the backend must allow origin {origin}: add it to {where}{now}"


def run_checks(profile: Profile, emit: Emit, env_lookup: EnvLookup | None = None) -> list[CheckResult]:
    """Every check of the profile; emits ChecksStarted and one CheckReported per check."""
    names = tuple(c.name for c in profile.checks.http)
    api = profile.checks.api_base_url
    if api.enabled:
        names = (*names, "api-base-url")
    emit(ev.ChecksStarted(names, at=time.time()))
    results = []
    for check in profile.checks.http:
        results.append(run_http_check(check))
        emit(ev.CheckReported(results[-1], at=time.time()))
    if api.enabled:
        results.append(ApiBaseUrlChecker(api, profile.forwards, env_lookup).run())
        emit(ev.CheckReported(results[-1], at=time.time()))
    return results
