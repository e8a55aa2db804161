"""Which proxy an HTTPS request to the API server goes through, decided as kubectl decides it.

kubectl (client-go, Go's `net/http` `ProxyFromEnvironment`, golang.org/x/net/http/httpproxy):

- a kubeconfig cluster's `proxy-url` wins and applies to every request of that cluster
  (`NO_PROXY` does not apply to it);
- otherwise `HTTPS_PROXY` applies to `https://` servers, except that `localhost` and loopback
  addresses are never proxied, and `NO_PROXY` entries (`*`, a host or domain — `example.com`
  matches it and its subdomains, `.example.com` only subdomains —, an IP, a CIDR, each with an
  optional `:port`) bypass it;
- a proxy written without a scheme means `http://`.

Pure text and address handling; the environment is read by `devstack.settings`.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def proxy_for(server: str, proxy_url: str, https_proxy: str, no_proxy: str) -> str:
    """The proxy URL for requests to `server`, or "" to connect directly.

    Args:
        server: The API server URL from the kubeconfig (`https://host:port`).
        proxy_url: The cluster's `proxy-url` ("" when it has none).
        https_proxy: `HTTPS_PROXY` from the environment ("" when unset).
        no_proxy: `NO_PROXY` from the environment ("" when unset).
    """
    if proxy_url:
        return _with_scheme(proxy_url)
    parts = urlsplit(server)
    if parts.scheme != "https" or not https_proxy:
        return ""
    host = (parts.hostname or "").lower()
    port = str(parts.port or 443)
    if not host or host == "localhost" or _is_loopback(host) or bypassed(host, port, no_proxy):
        return ""
    return _with_scheme(https_proxy)


def bypassed(host: str, port: str, no_proxy: str) -> bool:
    """Whether a `NO_PROXY` entry matches `host` (and `port`, when the entry names one)."""
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        if _matches(entry, host, port):
            return True
    return False


def _matches(entry: str, host: str, port: str) -> bool:
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        network = None
    if network is not None and "/" in entry:
        address = _address(host)
        return address is not None and address in network
    wanted_port = ""
    if entry.count(":") == 1:
        entry, wanted_port = entry.split(":", 1)
    if wanted_port and wanted_port != port:
        return False
    if _address(entry) is not None:
        return _address(entry) == _address(host)
    if entry.startswith("*."):
        entry = entry[1:]
    if entry.startswith("."):
        return host.endswith(entry)
    return host == entry or host.endswith("." + entry)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _is_loopback(host: str) -> bool:
    address = _address(host)
    return address is not None and address.is_loopback


def _with_scheme(proxy: str) -> str:
    return proxy if "://" in proxy else f"http://{proxy}"
