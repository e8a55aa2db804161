"""The simulator authenticates as kube-apiserver does: client certificates, a static token file,
issued tokens that expire, 401 with the real Status otherwise; HTTP 410 on a watch request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sim_helpers import Api, anonymous_ssl, client_ssl

from devstack_sim.app import Simulator
from devstack_sim.auth import read_token_file
from devstack_sim.connect_proxy import ConnectProxy

UNAUTHORIZED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Unauthorized",
    "reason": "Unauthorized",
    "code": 401,
}


@pytest.fixture
async def token_sim(tmp_path: Path, sim_kubeconfig: Path) -> AsyncIterator[Simulator]:
    tokens = tmp_path / "tokens.csv"
    tokens.write_text('s3cret,alice,1,"devs,ops"\n')
    simulator = Simulator("t", tmp_path / "state", sim_kubeconfig, bookmark_interval=0.2, token_file=tokens)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def admin(token_sim: Simulator) -> AsyncIterator[Api]:
    """`token_sim`'s client with the admin certificate."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_ssl(token_sim))) as session:
        yield Api(session, token_sim.server.url)


async def call(
    sim: Simulator, path: str, token: str | None = None, method: str = "GET", body: Any = None
) -> tuple[int, Any]:
    """A request without a client certificate (and with a bearer token when given)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=anonymous_ssl(sim))) as session:
        return await Api(session, sim.server.url).call(method, path, body, headers=headers)


async def test_static_tokens_are_accepted_and_others_get_the_real_401(token_sim: Simulator) -> None:
    assert (await call(token_sim, "/api/v1/namespaces/default/pods", "s3cret"))[0] == 200
    assert await call(token_sim, "/api/v1/namespaces/default/pods", "wrong") == (401, UNAUTHORIZED)
    assert await call(token_sim, "/api/v1/namespaces/default/pods") == (401, UNAUTHORIZED)


async def test_issued_tokens_expire_and_can_be_revoked(token_sim: Simulator, admin: Api) -> None:
    status, issued = await admin.call("POST", "/admin/tokens", {"user": "bob", "seconds": 2})
    assert status == 200 and issued["expirationTimestamp"].endswith("Z")
    assert (await call(token_sim, "/api/v1/namespaces", issued["token"]))[0] == 200
    for _ in range(200):  # the token outlives its two seconds at most by the polling step
        if (await call(token_sim, "/api/v1/namespaces", issued["token"]))[0] == 401:
            break
        await asyncio.sleep(0.05)
    assert await call(token_sim, "/api/v1/namespaces", issued["token"]) == (401, UNAUTHORIZED)
    status, fresh = await admin.call("POST", "/admin/tokens", {"seconds": 600})
    assert (await call(token_sim, "/api/v1/namespaces", fresh["token"]))[0] == 200
    assert (await admin.call("POST", "/admin/faults", {"fault": "expire_tokens"}))[1]["result"] == 1
    assert await call(token_sim, "/api/v1/namespaces", fresh["token"]) == (401, UNAUTHORIZED)
    assert (await admin.call("POST", "/admin/tokens", {"seconds": 0}))[0] == 400


def test_a_token_file_line_with_too_few_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tokens.csv"
    path.write_text("only,two\n")
    with pytest.raises(ValueError, match="at least 3 columns"):
        read_token_file(path)


async def test_watch_gone_answers_http_410_to_resuming_watches_only(token_sim: Simulator, admin: Api) -> None:
    status, listed = await admin.call("GET", "/api/v1/namespaces/default/pods")
    old = listed["metadata"]["resourceVersion"]
    await admin.call("POST", "/admin/faults", {"fault": "watch_gone"})
    await admin.call("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "bump"}})
    status, body = await admin.call(
        "GET", "/api/v1/namespaces/default/pods", watch="true", resourceVersion=old, timeoutSeconds="1"
    )
    assert status == 410
    assert body["reason"] == "Expired" and body["message"].startswith(f"too old resource version: {old} (")
    _, relisted = await admin.call("GET", "/api/v1/namespaces/default/pods")
    status, _ = await admin.call(
        "GET",
        "/api/v1/namespaces/default/pods",
        watch="true",
        resourceVersion=relisted["metadata"]["resourceVersion"],
        timeoutSeconds="1",
    )
    assert status == 200


def test_the_connect_proxy_tunnels_to_loopback_only() -> None:
    import socket

    proxy = ConnectProxy().start()
    try:
        for target, expected in (("10.0.0.1:443", b"403"), ("api.devstack.test:1", b"502")):
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
                sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
                assert expected in sock.recv(100)
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
            sock.sendall(b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n")
            assert b"405" in sock.recv(100)
    finally:
        proxy.stop()
    assert proxy.tunnels == 0
