"""One credential source for every request devstack sends to the API server.

Lists, watches, logs, snapshots (the `kubernetes` client) and the forwarder's WebSockets (aiohttp)
all authenticate through one `Credentials` per kube target, built from the official kubeconfig
loader's result — `Configuration.auth_settings()` (which calls `get_api_key_with_prefix` and
the loader's `refresh_api_key_hook`) — never by copying dictionary keys. So client certificates,
static bearer tokens, token files, exec plugins (`client.authentication.k8s.io/v1` and
`v1beta1`), username/password, `certificate-authority(-data)`, `insecure-skip-tls-verify`,
`tls-server-name` and `proxy-url` mean the same thing on every path.

Exec-plugin credentials with an `expirationTimestamp` are renewed before they expire (the loader
re-runs the plugin; a lock makes concurrent callers share one run). A 401 answer re-runs the
plugin (or re-reads the token file) once and the request is sent again; if the new credential
is refused as well, the 401 stands.

Proxies follow kubectl: the cluster's `proxy-url`, else `HTTPS_PROXY`/`NO_PROXY` from `Settings`
(carried by the `KubeTarget`), never for loopback servers (`devstack.core.proxies`).
"""

from __future__ import annotations

import datetime
import os
import ssl
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from devstack.core.proxies import proxy_for
from devstack.sources.kubeconfig import context_entries

EXPIRY_MARGIN = datetime.timedelta(minutes=5)  # the loader's own EXPIRY_SKEW_PREVENTION_DELAY
RETRY_FAILED_RENEWAL = datetime.timedelta(seconds=1)
_CACHE_SIZE = 8


@dataclass(frozen=True)
class KubeTarget:
    """Which cluster and namespace to talk to: always an explicit context, never current-context.

    Attributes:
        context: The kube context (from the profile).
        namespace: The namespace devstack watches.
        kubeconfig: The kubeconfig file holding the context (None: `~/.kube/config`).
        https_proxy: `HTTPS_PROXY` from `Settings` (used when the cluster has no `proxy-url`).
        no_proxy: `NO_PROXY` from `Settings`.
        origin: The user's kubeconfig file(s) `kubeconfig` was made from (named in errors).
        prepare: Writes and checks `kubeconfig` (the engine's private single-context copy,
            `sources/confine.py`); clients call it before they read the file.
    """

    context: str
    namespace: str
    kubeconfig: str | None = None
    https_proxy: str = ""
    no_proxy: str = ""
    origin: str = ""
    prepare: Callable[[], object] | None = field(default=None, compare=False, repr=False)


class Credentials:
    """How to reach and authenticate to one kube context, shared by every API path.

    Args:
        target: The explicit context (and kubeconfig file) to load.
    """

    def __init__(self, target: KubeTarget):
        from kubernetes.config import kube_config

        from devstack.sources.credential_files import credentials_dir

        self.target = target
        self._lock = threading.Lock()
        self.generation = 0
        """Bumped every time a new credential is loaded (callers compare it to avoid double renewals)."""
        path = target.kubeconfig or os.pathsep.join(str(p) for p in _default_paths())
        merged = kube_config.KubeConfigMerger(path).config
        if merged is None:
            raise kube_config.ConfigException(f"Invalid kube-config file {path}: no configuration found")
        self._loader = kube_config.KubeConfigLoader(
            config_dict=merged,
            active_context=target.context,
            config_base_path=None,
            temp_file_path=credentials_dir(),  # CA/cert/key files in devstack's private folder, not $TMPDIR
        )
        self.configuration: Any = _configuration_class()(proxy="", no_proxy="")
        self.configuration.credentials = weakref.ref(self)
        # A call that times out is retried once, not three times (urllib3's default would turn a
        # 5 s timeout against a hung API server into 20 s).
        self.configuration.retries = _retries()
        self._loader.load_and_set(self.configuration)
        if not self.configuration.verify_ssl:
            _quiet_insecure_warnings()  # the kubeconfig asked for it; kubectl does not warn either
        self.proxy = proxy_for(self.host, self.configuration.proxy or "", target.https_proxy, target.no_proxy)
        """The proxy URL requests go through ("" for none), as kubectl chooses it."""
        self.configuration.proxy = self.proxy or None
        self.configuration.no_proxy = ""
        entries = context_entries(_paths(path), target.context)
        self.user = entries.user_name if entries else ""
        """The kubeconfig user entry of the context ("" when the context names none)."""
        self.renewable = bool(entries and {"exec", "tokenFile", "auth-provider"} & set(entries.user))
        """The credential can change when loaded again (exec plugin, token file, auth provider)."""
        self._refresh_at: datetime.datetime | None = None
        self._note_expiry()

    # ------------------------------------------------------------------ where and how
    @property
    def host(self) -> str:
        """The API server URL."""
        return str(self.configuration.host)

    @property
    def server_hostname(self) -> str | None:
        """The name TLS sends and verifies (`tls-server-name`), None for the URL's host."""
        return self.configuration.tls_server_name or None

    def ssl_context(self) -> ssl.SSLContext:
        """A TLS context equal to the one the official client builds from the same kubeconfig."""
        conf = self.configuration
        context = ssl.create_default_context(cafile=conf.ssl_ca_cert or None)
        if not conf.verify_ssl:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if conf.cert_file:
            context.load_cert_chain(conf.cert_file, conf.key_file)
        return context

    # ------------------------------------------------------------------ the credential itself
    def headers(self) -> dict[str, str]:
        """The authentication headers of the next request (renewing an expiring credential first).

        May run the exec plugin (blocking): call it off the event loop when `renewal_due()`.
        """
        return {
            str(setting["key"]): str(setting["value"])
            for setting in self.configuration.auth_settings().values()
            if setting.get("in") == "header" and setting.get("value")
        }

    def renewal_due(self) -> bool:
        """The credential expires soon: the next `headers()` runs the exec plugin."""
        refresh_at = self._refresh_at
        return refresh_at is not None and _now() >= refresh_at

    def renew_after_unauthorized(self, generation: int) -> bool:
        """A request sent with credential `generation` got 401: load the credential again, once.

        Returns whether a new credential is now in place (the request may be sent again).
        Concurrent callers that saw the same 401 share one renewal.
        """
        if not self.renewable:
            return False
        with self._lock:
            if self.generation != generation:
                return True
            self._loader.load_and_set(self.configuration)
            self.configuration.proxy = self.proxy or None
            self._note_expiry()
            self.generation += 1
            return True

    def api_client(self) -> Any:
        """A `kubernetes` ApiClient on these credentials (one 401 renewal and retry per request)."""
        return _client_class()(self)

    # ------------------------------------------------------------------ internals
    def _refresh_hook(self, configuration: Any) -> None:
        """`refresh_api_key_hook` seen by the client: the loader's own hook, when renewal is due."""
        if not self.renewal_due():
            return
        with self._lock:
            if not self.renewal_due():
                return
            loader_hook = configuration.loader_refresh_hook
            if loader_hook is not None:
                loader_hook(configuration)
            self._note_expiry()
            self.generation += 1

    def _note_expiry(self) -> None:
        expiry = getattr(self._loader, "expiry", None)
        if not isinstance(expiry, datetime.datetime):
            self._refresh_at = None
            return
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=datetime.UTC)
        now = _now()
        lifetime = max(expiry - now, datetime.timedelta(0))
        # A plugin that failed leaves the old, expiring credential: try again in a while, not on
        # every request (requests meanwhile carry the old one; a 401 still renews once).
        self._refresh_at = max(expiry - min(EXPIRY_MARGIN, lifetime / 3), now + RETRY_FAILED_RENEWAL)


def credentials_for(target: KubeTarget) -> Credentials:
    """The shared `Credentials` of a target (loaded again when its kubeconfig file changes)."""
    key = (target, _stamp(target))
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    credentials = Credentials(target)
    with _CACHE_LOCK:
        credentials = _CACHE.setdefault(key, credentials)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return credentials


_CACHE: OrderedDict[tuple[KubeTarget, tuple[tuple[int, int], ...]], Credentials] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _stamp(target: KubeTarget) -> tuple[tuple[int, int], ...]:
    stamps = []
    for path in _paths(target.kubeconfig or ""):
        try:
            status = path.stat()
        except OSError:
            stamps.append((0, 0))
        else:
            stamps.append((status.st_mtime_ns, status.st_size))
    return tuple(stamps)


def _paths(value: str) -> tuple[Path, ...]:
    return tuple(Path(part).expanduser() for part in value.split(os.pathsep) if part)


def _default_paths() -> tuple[Path, ...]:
    return (Path.home() / ".kube" / "config",)


def _retries() -> Any:
    from urllib3.util.retry import Retry

    return Retry(total=1, read=0, backoff_factor=0)


def _quiet_insecure_warnings() -> None:
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@cache
def _configuration_class() -> type:
    """`Configuration` whose `refresh_api_key_hook` always goes through the owning `Credentials`.

    The loader installs (and re-installs, on each renewal) its own hook; it is kept as
    `loader_refresh_hook` and called only when a renewal is due, under the credentials' lock.
    """
    from kubernetes import client

    class CredentialConfiguration(client.Configuration):
        credentials: Any = None
        loader_refresh_hook: Any = None

        @property
        def refresh_api_key_hook(self) -> Any:
            owner = self.credentials() if self.credentials is not None else None
            return owner._refresh_hook if owner is not None else self.loader_refresh_hook

        @refresh_api_key_hook.setter
        def refresh_api_key_hook(self, hook: Any) -> None:
            self.loader_refresh_hook = hook

        def auth_settings(self) -> Any:
            # kubectl trims a token file's whitespace (client-go's tokenFile source); the Python
            # loader keeps the trailing newline, which no server accepts.
            settings: Any = super().auth_settings()
            for setting in settings.values():
                if isinstance(setting.get("value"), str):
                    setting["value"] = setting["value"].strip()
            return settings

    return CredentialConfiguration


@cache
def _client_class() -> type:
    """`ApiClient` that answers a 401 by renewing the credential once and sending the request again."""
    from kubernetes import client

    class RenewingApiClient(client.ApiClient):
        def __init__(self, credentials: Credentials):
            super().__init__(configuration=credentials.configuration)
            self.credentials = credentials

        def call_api(
            self,
            method: str,
            url: str,
            header_params: dict[str, str] | None = None,
            body: Any = None,
            post_params: Any = None,
            _request_timeout: Any = None,
        ) -> Any:
            generation = self.credentials.generation
            response = super().call_api(method, url, header_params, body, post_params, _request_timeout)
            if response.status != 401 or not self.credentials.renew_after_unauthorized(generation):
                return response
            response.read()
            headers = {k: v for k, v in (header_params or {}).items() if k.lower() != "authorization"}
            headers.update(self.credentials.headers())
            return super().call_api(method, url, headers, body, post_params, _request_timeout)

    return RenewingApiClient
