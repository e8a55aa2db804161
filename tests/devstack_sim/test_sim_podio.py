"""Pod logs and WebSocket port-forward through a fake PodRuntime bridged to real local sockets."""

from __future__ import annotations

import asyncio
import datetime
import http.server
import struct
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from helpers import require
from kubernetes import client
from sim_helpers import Api, kubectl, kubectl_available, new_client, portforward_fetch, start_kubectl

from devstack_sim import errors
from devstack_sim.app import Simulator
from devstack_sim.resources import PODS
from devstack_sim.runtime import LogRequest

PF = "/api/v1/namespaces/default/pods/web/portforward"


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"hello from pod, path={self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def http_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class FakeRuntime:
    """Maps pod ports to local ports and serves canned log lines."""

    def __init__(self, ports: dict[int, int]):
        self.ports = ports
        self.requests: list[LogRequest] = []

    async def open_port(
        self, namespace: str, pod: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if port not in self.ports:
            raise errors.ApiError(
                500,
                "InternalError",
                f"failed to connect to localhost:{port} inside namespace: connection refused",
            )
        return await asyncio.open_connection("127.0.0.1", self.ports[port])

    async def _lines(self, request: LogRequest) -> AsyncIterator[bytes]:
        now = datetime.datetime.now(datetime.UTC)
        stamps = [now - datetime.timedelta(seconds=s) for s in (120, 60, 1)]
        lines = [f"{t.strftime('%Y-%m-%dT%H:%M:%S.%fZ')} line {i}\n" for i, t in enumerate(stamps)]
        if request.tail_lines is not None:
            lines = lines[len(lines) - request.tail_lines :]
        for line in lines:
            yield (line if request.timestamps else line.split(" ", 1)[1]).encode()
        if request.follow:
            for i in range(2):
                await asyncio.sleep(0.2)
                yield f"followed {i}\n".encode()

    def logs(self, request: LogRequest) -> AsyncIterator[bytes]:
        self.requests.append(request)
        if request.previous:
            raise errors.bad_request(f'previous terminated container "web" in pod "{request.pod}" not found')
        return self._lines(request)


def running_pod(sim: Simulator, name: str = "web") -> None:
    sim.store.create(
        PODS,
        {
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"nodeName": "x-control-plane", "containers": [{"name": "web", "image": "web:1"}]},
            "status": {"phase": "Running"},
        },
    )


async def read_channels(ws: aiohttp.ClientWebSocketResponse) -> dict[int, bytes]:
    """Every message until the server closes, concatenated per channel (port headers included)."""
    out: dict[int, bytes] = {}
    async for message in ws:
        assert message.type == aiohttp.WSMsgType.BINARY
        out[message.data[0]] = out.get(message.data[0], b"") + message.data[1:]
    return out


async def test_port_forward_carries_http_both_ways(api: Api, sim: Simulator, http_port: int) -> None:
    running_pod(sim)
    sim.server.runtime = FakeRuntime({8000: http_port})
    async with api.session.ws_connect(
        api.base + PF, params={"ports": "8000,9000"}, protocols=("v4.channel.k8s.io",)
    ) as ws:
        assert ws.protocol == "v4.channel.k8s.io"
        headers = [await ws.receive_bytes() for _ in range(4)]
        assert headers == [
            b"\x00" + struct.pack("<H", 8000),
            b"\x01" + struct.pack("<H", 8000),
            b"\x02" + struct.pack("<H", 9000),
            b"\x03" + struct.pack("<H", 9000),
        ]
        await ws.send_bytes(b"\x00GET /ping HTTP/1.0\r\nHost: pod\r\n\r\n")
        channels = await asyncio.wait_for(read_channels(ws), 5)
    response = channels[0]
    assert response.startswith(b"HTTP/1.0 200") and response.endswith(b"hello from pod, path=/ping")
    error = channels[3].decode()
    assert error.startswith("error forwarding port 9000 to pod ") and ", uid : failed to connect" in error
    assert 1 not in channels  # nothing on port 8000's error channel


async def test_client_close_closes_the_pod_connection(api: Api, sim: Simulator) -> None:
    closed = asyncio.Event()

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1024):
            writer.write(data.upper())
            await writer.drain()
        closed.set()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    running_pod(sim)
    sim.server.runtime = FakeRuntime({5000: port})
    try:
        async with api.session.ws_connect(
            api.base + PF, params={"ports": "5000"}, protocols=("v4.channel.k8s.io",)
        ) as ws:
            await ws.receive_bytes()
            await ws.receive_bytes()
            await ws.send_bytes(b"\x00abc")
            assert await ws.receive_bytes() == b"\x00ABC"
        await asyncio.wait_for(closed.wait(), 5)
    finally:
        server.close()
        await server.wait_closed()


async def test_port_forward_refusals(api: Api, sim: Simulator, http_port: int) -> None:
    running_pod(sim)
    status, body = await api.call("GET", PF, ports="8000")
    assert status == 400 and body["reason"] == "BadRequest" and "no container runtime" in body["message"]
    sim.server.runtime = FakeRuntime({8000: http_port})
    unknown = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Protocol": "base64.channel.k8s.io",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    status, body = await api.call("GET", PF, headers=unknown, ports="8000")
    assert status == 400 and "the request offered: base64.channel.k8s.io" in body["message"]
    status, body = await api.call(
        "POST", PF, headers={"Connection": "Upgrade", "Upgrade": "SPDY/3.1"}, ports="8000"
    )
    assert status == 400 and body["kind"] == "Status"
    status, body = await api.call("GET", "/api/v1/namespaces/default/pods/nope/portforward", ports="8000")
    assert status == 404 and body["message"] == 'pods "nope" not found'
    status, body = await api.call("GET", PF, ports="0")
    assert status == 400


async def test_official_client_port_forward(sim: Simulator, http_port: int) -> None:
    running_pod(sim)
    sim.server.runtime = FakeRuntime({8000: http_port})
    core = client.CoreV1Api(new_client(sim))

    data = await asyncio.to_thread(portforward_fetch, core, "web", 8000, b"GET /official HTTP/1.0\r\n\r\n", 5)
    assert data.startswith(b"HTTP/1.0 200") and data.endswith(b"path=/official")


async def test_logs_stream_and_errors(api: Api, sim: Simulator) -> None:
    running_pod(sim)
    status, body = await api.call("GET", "/api/v1/namespaces/default/pods/web/log")
    assert status == 400 and "no container runtime" in body["message"]
    runtime = FakeRuntime({})
    sim.server.runtime = runtime
    base = "/api/v1/namespaces/default/pods/web/log"
    async with api.session.get(api.base + base, params={"tailLines": "2", "container": "web"}) as resp:
        assert resp.status == 200 and resp.content_type == "text/plain"
        assert await resp.text() == "line 1\nline 2\n"
    assert runtime.requests[-1] == LogRequest("default", "web", "web", tail_lines=2)
    async with api.session.get(api.base + base, params={"follow": "true", "tailLines": "1"}) as resp:
        assert await resp.content.readline() == b"line 2\n"  # before the follow part is produced
        assert await resp.content.read() == b"followed 0\nfollowed 1\n"
    _, since = await api.call("GET", base, sinceSeconds="30")
    assert since == "line 2\n"
    _, stamped = await api.call("GET", base, sinceSeconds="90", timestamps="true")
    assert [line.split(" ", 1)[1] for line in stamped.splitlines()] == ["line 1", "line 2"]
    _, limited = await api.call("GET", base, limitBytes="8")
    assert limited == "line 0\nl"
    status, body = await api.call("GET", base, previous="true")
    assert status == 400 and body["message"] == 'previous terminated container "web" in pod "web" not found'
    status, body = await api.call("GET", "/api/v1/namespaces/default/pods/nope/log")
    assert status == 404
    status, body = await api.call("GET", base, tailLines="x")
    assert status == 400


async def test_kubectl_logs_through_the_runtime(sim: Simulator) -> None:
    require(kubectl_available(), "kubectl")
    running_pod(sim)
    sim.server.runtime = FakeRuntime({})
    result = await kubectl(sim, "logs", "web", "--tail=2")
    assert result.code == 0, result.err
    assert result.out == "line 1\nline 2\n"
    result = await kubectl(sim, "logs", "web", "--previous")
    assert result.code == 1
    assert 'previous terminated container "web" in pod "web" not found' in result.err


class Big(http.server.BaseHTTPRequestHandler):
    body = bytes(range(256)) * 4096  # 1 MiB

    def do_POST(self) -> None:
        received = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200 if received == self.body else 400)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        return


async def _kubectl_forward(sim: Simulator, remote: int) -> tuple[asyncio.subprocess.Process, int]:
    proc = await start_kubectl(sim, "port-forward", "pod/web", f":{remote}", "--address", "127.0.0.1")
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
    assert line.startswith("Forwarding from 127.0.0.1:") and line.rstrip().endswith(f"-> {remote}"), line
    return proc, int(line.split(":")[1].split()[0])


async def _http(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 20)
    writer.close()
    return data


async def test_kubectl_port_forward_over_spdy_tunnel(sim: Simulator) -> None:
    require(kubectl_available(), "kubectl")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Big)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    running_pod(sim)
    sim.server.runtime = FakeRuntime({8000: server.server_address[1]})
    proc, local = await _kubectl_forward(sim, 8000)
    try:
        for _ in range(2):  # two connections: two stream pairs in one SPDY session
            request = b"POST / HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % len(Big.body) + Big.body
            answer = await _http(local, request)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.0 200") and body == Big.body
    finally:
        proc.kill()
        await proc.wait()
        server.shutdown()
        server.server_close()


async def test_kubectl_port_forward_reports_pod_side_errors(sim: Simulator) -> None:
    require(kubectl_available(), "kubectl")
    running_pod(sim)
    sim.server.runtime = FakeRuntime({})
    proc, local = await _kubectl_forward(sim, 9999)
    assert await _http(local, b"GET / HTTP/1.0\r\n\r\n") == b""
    code = await asyncio.wait_for(proc.wait(), 20)
    assert proc.stderr is not None
    err = (await proc.stderr.read()).decode()
    assert code == 1
    assert "error forwarding port 9999 to pod " in err and "connection refused" in err
    assert "lost connection to pod" in err


class SlowToRelayRuntime(FakeRuntime):
    """Hands the pod connection over only after the pod has spoken (its greeting is buffered by then)."""

    async def open_port(
        self, namespace: str, pod: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await super().open_port(namespace, pod, port)
        await asyncio.sleep(0.2)
        return reader, writer


async def test_a_pod_that_speaks_first_is_relayed_from_its_first_byte(api: Api, sim: Simulator) -> None:
    """A server that greets on connect (SMTP, MySQL, SSH...): the greeting, read before the relay took
    the connection over, comes first and whole; a large answer after it arrives byte for byte."""
    bulk = bytes(range(256)) * 4096  # 1 MiB: several reads and frames

    async def greeter(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 pod ready\r\n")
        await writer.drain()
        if await reader.readline() == b"SEND\r\n":
            writer.write(bulk)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(greeter, "127.0.0.1", 0)
    running_pod(sim)
    sim.server.runtime = SlowToRelayRuntime({25: server.sockets[0].getsockname()[1]})
    async with (
        server,
        api.session.ws_connect(api.base + PF, params={"ports": "25"}, protocols=("v4.channel.k8s.io",)) as ws,
    ):
        assert [await ws.receive_bytes() for _ in range(2)] == [b"\x00\x19\x00", b"\x01\x19\x00"]
        greeting = await asyncio.wait_for(ws.receive_bytes(), 5)
        assert greeting == b"\x00220 pod ready\r\n"
        await ws.send_bytes(b"\x00SEND\r\n")
        channels = await asyncio.wait_for(read_channels(ws), 10)
    assert channels[0] == bulk


async def test_an_idle_port_forward_is_dropped_as_the_kubelet_drops_it(
    api: Api, sim: Simulator, http_port: int
) -> None:
    """`--streaming-connection-idle-timeout`: a stream that moves bytes stays, a silent one is cut
    without a close frame (the client sees an abnormal closure, 1006)."""
    running_pod(sim)
    sim.server.runtime = FakeRuntime({8000: http_port})
    sim.server.context.streaming_idle_timeout = 0.6
    async with api.session.ws_connect(
        api.base + PF, params={"ports": "8000"}, protocols=("v4.channel.k8s.io",)
    ) as talking, api.session.ws_connect(
        api.base + PF, params={"ports": "8000"}, protocols=("v4.channel.k8s.io",)
    ) as silent:
        for ws in (talking, silent):
            assert len([await ws.receive_bytes() for _ in range(2)]) == 2
        for _ in range(6):  # 1.2 s of a byte every 0.2 s
            await talking.send_bytes(b"\x00 ")
            await asyncio.sleep(0.2)
        ended = await asyncio.wait_for(silent.receive(), 5)
        assert ended.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        assert silent.close_code == 1006
        assert not talking.closed
