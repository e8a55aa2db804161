"""A `kind-<name>` context is used only when its server is the address the node container publishes."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.errors import DevstackError
from devstack.exitcodes import MISSING_PREREQUISITE, USAGE
from devstack.settings import Settings
from devstack.sources import kindcontext, nodes
from devstack.sources.kindcontext import kind_server_problem, matches, verify_kind_context
from devstack.sources.kubeconfig import ContextEntries

SETTINGS = Settings()
PUBLISHED = nodes.ApiBinding("jetscale-control-plane", "127.0.0.1", 41234)


def entries(server: str) -> ContextEntries:
    path = Path("/home/dev/.kube/config")
    name = "kind-jetscale"
    body = {"cluster": name, "user": name}
    return ContextEntries(name, name, {}, name, {"server": server}, path, body, path, path)


@pytest.mark.parametrize(
    ("server", "ok"),
    [
        ("https://127.0.0.1:41234", True),
        ("https://127.0.0.1:41234/", True),
        ("https://127.0.0.2:41234", False),  # another loopback address than the published one
        ("https://127.0.0.2:1", False),
        ("https://127.0.0.1:41235", False),
        ("http://127.0.0.1:41234", False),
        ("https://localhost:41234", False),  # a name: whatever it resolves to is not checked
        ("https://prod.example.com:41234", False),
        ("https://10.0.0.5:41234", False),
        ("https://127.0.0.1", False),
        ("https://127.0.0.1:notaport", False),
    ],
)
def test_only_the_published_loopback_address_and_port_match(server: str, ok: bool) -> None:
    assert matches(server, PUBLISHED) is ok


def test_a_binding_on_every_address_accepts_any_loopback_ip_on_its_port() -> None:
    everywhere = nodes.ApiBinding("n", "0.0.0.0", 41234)
    assert matches("https://127.0.0.1:41234", everywhere)
    assert matches("https://[::1]:41234", nodes.ApiBinding("n", "::", 41234))
    assert not matches("https://192.168.1.5:41234", everywhere)


def bindings(monkeypatch: pytest.MonkeyPatch, found: list[nodes.ApiBinding] | Exception) -> None:
    def api_bindings(cluster: str, settings: Settings) -> list[nodes.ApiBinding]:
        assert cluster == "jetscale"
        if isinstance(found, Exception):
            raise found
        return found

    monkeypatch.setattr(kindcontext.nodes, "api_bindings", api_bindings)


def test_a_forged_context_is_refused_naming_both_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    bindings(monkeypatch, [PUBLISHED])
    with pytest.raises(DevstackError) as raised:
        verify_kind_context("jetscale", entries("https://127.0.0.2:1"), allow_sim=False, settings=SETTINGS)
    assert raised.value.exit_code == USAGE
    assert "https://127.0.0.2:1" in raised.value.message
    assert (
        "https://127.0.0.1:41234" in raised.value.message and "jetscale-control-plane" in raised.value.message
    )
    assert "/home/dev/.kube/config" in raised.value.message
    verify_kind_context("jetscale", entries("https://127.0.0.1:41234"), allow_sim=False, settings=SETTINGS)


def test_without_node_containers_a_kind_context_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    bindings(monkeypatch, [])
    problem = kind_server_problem(
        "jetscale", entries("https://127.0.0.1:41234"), allow_sim=False, settings=SETTINGS
    )
    assert problem is not None and "no node container" in problem


def test_without_docker_real_tools_need_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    bindings(monkeypatch, DevstackError("Docker daemon not reachable", exit_code=MISSING_PREREQUISITE))
    with pytest.raises(DevstackError) as raised:
        kind_server_problem(
            "jetscale", entries("https://127.0.0.1:41234"), allow_sim=False, settings=SETTINGS
        )
    assert raised.value.exit_code == MISSING_PREREQUISITE


@pytest.mark.parametrize("found", [[], DevstackError("Docker daemon not reachable")])
def test_the_simulator_without_nodes_must_serve_on_kinds_default_address(
    monkeypatch: pytest.MonkeyPatch, found: list[nodes.ApiBinding] | Exception
) -> None:
    bindings(monkeypatch, found)
    assert (
        kind_server_problem("jetscale", entries("https://127.0.0.1:5555"), allow_sim=True, settings=SETTINGS)
        is None
    )
    for server in ("https://127.0.0.2:1", "https://prod.example.com:6443", "http://127.0.0.1:5555"):
        assert kind_server_problem("jetscale", entries(server), allow_sim=True, settings=SETTINGS) is not None
