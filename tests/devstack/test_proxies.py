"""Which proxy a request to the API server takes: kubectl's rules (client-go and Go's httpproxy)."""

from __future__ import annotations

import pytest

from devstack.core.proxies import proxy_for

PROXY = "http://proxy.corp:3128"


@pytest.mark.parametrize(
    ("server", "proxy_url", "https_proxy", "no_proxy", "expected"),
    [
        (
            "https://api.dev.corp:6443",
            "http://bastion:8888",
            PROXY,
            "*",
            "http://bastion:8888",
        ),  # proxy-url wins, NO_PROXY ignored
        ("https://api.dev.corp:6443", "", PROXY, "", PROXY),
        ("https://api.dev.corp:6443", "", "proxy.corp:3128", "", PROXY),  # no scheme means http://
        ("https://api.dev.corp:6443", "", "", "", ""),
        ("https://127.0.0.1:6443", "", PROXY, "", ""),  # loopback is never proxied
        ("https://localhost:6443", "", PROXY, "", ""),
        ("https://[::1]:6443", "", PROXY, "", ""),
        ("https://api.dev.corp:6443", "", PROXY, "*", ""),
        ("https://api.dev.corp:6443", "", PROXY, "dev.corp", ""),  # a domain and its subdomains
        ("https://dev.corp:6443", "", PROXY, "dev.corp", ""),
        ("https://api.dev.corp:6443", "", PROXY, ".dev.corp", ""),  # subdomains only
        ("https://dev.corp:6443", "", PROXY, ".dev.corp", PROXY),
        ("https://notdev.corp:6443", "", PROXY, "dev.corp", PROXY),
        ("https://10.1.2.3:6443", "", PROXY, "10.0.0.0/8", ""),
        ("https://10.1.2.3:6443", "", PROXY, "192.168.0.0/16", PROXY),
        ("https://10.1.2.3:6443", "", PROXY, "10.1.2.3", ""),
        ("https://api.dev.corp:6443", "", PROXY, "api.dev.corp:443", PROXY),  # another port
        ("https://api.dev.corp:6443", "", PROXY, "api.dev.corp:6443", ""),
        ("https://api.dev.corp:6443", "", PROXY, "other.corp, api.dev.corp", ""),
        ("http://api.dev.corp:8080", "", PROXY, "", ""),  # HTTPS_PROXY is for https:// servers
    ],
)
def test_kubectls_proxy_rules(
    server: str, proxy_url: str, https_proxy: str, no_proxy: str, expected: str
) -> None:
    assert proxy_for(server, proxy_url, https_proxy, no_proxy) == expected


def test_settings_read_both_spellings() -> None:
    from devstack.settings import Settings

    upper = Settings.from_environ(
        {"HTTPS_PROXY": PROXY, "https_proxy": "http://other:1", "no_proxy": "dev.corp"}
    )
    assert (upper.https_proxy, upper.no_proxy) == (PROXY, "dev.corp")
    assert Settings.from_environ({"https_proxy": PROXY}).https_proxy == PROXY
