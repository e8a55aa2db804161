"""Where the browser's API base URL comes from, and whether the browser can use it.

Pure text handling for the `VITE_API_BASE_URL` check; the HTTP requests live in
`devstack.sources.checks`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
_ORIGIN_LITERAL = re.compile(r"[\"'`](https?://[A-Za-z0-9.\-\[\]:]+)/?[\"'`]")
_TEMPLATE_LITERAL = re.compile(r"\$\{\s*[\"'](https?://[^\"']+)[\"']\s*\}")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")


def assignment_pattern(name: str) -> re.Pattern[str]:
    """`NAME: "value"`, `"NAME" = 'value'`, … as JS and JSON write it."""
    return re.compile(rf"[\"']?{re.escape(name)}[\"']?\s*[:=]\s*[\"'`]([^\"'`]+)[\"'`]")


def from_config_document(text: str, name: str) -> str | None:
    """The value in a runtime config (`/config.js` assignments or `/env.json`)."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get(name), str):
            return str(data[name])
    match = assignment_pattern(name).search(text)
    return match.group(1) if match else None


def script_sources(html: str) -> list[str]:
    """The `src` of every `<script>` in a page, in order."""
    return _SCRIPT_SRC.findall(html)


def from_bundle(js: str, name: str) -> str | None:
    """The value Vite baked into a JS bundle: an assignment to the name, a `${"url"}` template,
    a `BUILD_TIME_…` constant, or the only absolute origin literal in the file."""
    for pattern in (assignment_pattern(name), assignment_pattern(f"BUILD_TIME_{name.removeprefix('VITE_')}")):
        match = pattern.search(js)
        if match:
            return match.group(1)
    template = _TEMPLATE_LITERAL.search(js)
    if template:
        return template.group(1)
    origins = sorted(set(_ORIGIN_LITERAL.findall(js)))
    return origins[0] if len(origins) == 1 else None


@dataclass(frozen=True)
class UrlVerdict:
    """Can a browser on this machine use the URL?"""

    ok: bool
    detail: str
    hint: str = ""
    host: str = ""
    port: int = 0


def is_cluster_internal(host: str) -> bool:
    """A Service name or cluster DNS name: resolvable inside the cluster, not in the browser."""
    host = host.lower().rstrip(".")
    if host in LOCAL_HOSTS or re.fullmatch(r"[\d.]+", host) or host.startswith("["):
        return False
    return "." not in host or host.endswith((".svc", ".svc.cluster.local", ".cluster.local"))


def judge_url(value: str, suggested: str, env_var: str = "VITE_API_BASE_URL") -> UrlVerdict:
    """Step b: an absolute http(s) URL whose host a browser can resolve (`env_var` names the setting)."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return UrlVerdict(
            False,
            f"{value!r} is not an absolute http(s) URL",
            f"set {env_var} to an absolute URL such as {suggested}",
        )
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return UrlVerdict(False, f"{value!r} has an invalid port", f"use {suggested}")
    if is_cluster_internal(host):
        return UrlVerdict(
            False,
            f"{host} is a cluster-internal name: pods resolve it, the browser does not",
            f"the browser calls the API from your machine: set {env_var} (chart value "
            f"frontend.apiBaseUrl) to {suggested}",
            host,
            port,
        )
    return UrlVerdict(True, f"{value} is an absolute URL the browser can resolve", "", host, port)


def is_local(host: str) -> bool:
    """A loopback host name or address."""
    return host.lower() in LOCAL_HOSTS or host.startswith("127.")
