"""The forwarder's own WebSocket client (`wstunnel`, `wsopen`, `localconn`) against a raw server on
127.0.0.1 that writes the frames byte by byte: every frame form a server may send (split anywhere,
fragmented, 7/16/64-bit lengths, pings between fragments, text messages, which carry no channel) reaches the local client intact, the
client's frames are masked, the error channel and a refused upgrade fail with the server's words.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from devstack.sources.kube import KubeTarget
from devstack.sources.localconn import LocalConnection
from devstack.sources.tunnel import Counters, TunnelFailed, load_credentials
from devstack.sources.wsopen import open_tunnel

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def frame(opcode: int, payload: bytes, fin: bool = True, mask: bool = False) -> bytes:
    """A server frame (unmasked unless `mask`)."""
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", first, length | (0x80 if mask else 0))
    elif length < 65536:
        head = struct.pack("!BBH", first, 126 | (0x80 if mask else 0), length)
    else:
        head = struct.pack("!BBQ", first, 127 | (0x80 if mask else 0), length)
    return head + (b"\0\0\0\0" if mask else b"") + payload


async def read_client_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One frame from the client, which must be masked; (opcode, unmasked payload)."""
    first, second = await reader.readexactly(2)
    assert second & 0x80, "a client frame must be masked"
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", await reader.readexactly(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", await reader.readexactly(8))[0]
    key = await reader.readexactly(4)
    data = await reader.readexactly(length)
    return first & 0x0F, bytes(b ^ key[i % 4] for i, b in enumerate(data))


async def trickle(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Write `data` one byte at a time (each its own segment: TCP_NODELAY is on)."""
    for index in range(len(data)):
        writer.write(data[index : index + 1])
        await writer.drain()
        await asyncio.sleep(0)


async def accept_upgrade(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> dict[str, str]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    lines = head.split("\r\n")
    assert lines[0].startswith("GET /api/v1/namespaces/ns/pods/web/portforward?ports=80 HTTP/1.1")
    fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    accept = base64.b64encode(hashlib.sha1(fields["sec-websocket-key"].encode() + GUID).digest()).decode()
    writer.write(
        (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n"
        ).encode()
    )
    return fields


def port_headers() -> bytes:
    return frame(2, b"\x00" + struct.pack("<H", 80)) + frame(2, b"\x01" + struct.pack("<H", 80))


async def with_server(script: Script, tmp_path: Path) -> tuple[asyncio.AbstractServer, KubeTarget]:
    server = await asyncio.start_server(script, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "raw", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                "users": [{"name": "raw", "user": {"token": "secret-token"}}],
                "contexts": [{"name": "raw", "context": {"cluster": "raw", "user": "raw"}}],
            }
        )
    )
    return server, KubeTarget("raw", "ns", str(kubeconfig))


async def relay_once(target: KubeTarget, send: bytes) -> tuple[bytes, BaseException | None]:
    """One local connection relayed through a tunnel to the raw server: (what the local client
    received, what `relay` raised)."""
    credentials = load_credentials(target)
    tunnel = await open_tunnel(credentials, "ns", "web", 80)
    outcome: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
    relays: list[asyncio.Task[None]] = []

    def opened(local: LocalConnection) -> None:
        async def run() -> None:
            try:
                await local.relay(tunnel, Counters(), None)
                outcome.set_result(None)
            except TunnelFailed as failed:
                outcome.set_result(failed)
            finally:
                local.close()

        relays.append(asyncio.ensure_future(run()))

    listener = await asyncio.get_running_loop().create_server(lambda: LocalConnection(opened), "127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.sockets[0].getsockname()[1])
    writer.write(send)
    try:
        received = await asyncio.wait_for(reader.read(), 20)
    except ConnectionResetError:  # closed with the client's bytes unread: nothing came back
        received = b""
    writer.close()
    failure = await asyncio.wait_for(outcome, 20)
    listener.close()
    return received, failure


async def test_every_frame_form_reaches_the_client_intact_and_pings_are_answered(tmp_path: Path) -> None:
    big, medium = bytes(range(256)) * 300, b"m" * 300  # 76,800 bytes (64-bit length), 300 (16-bit)
    seen: dict[str, object] = {}

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen["headers"] = await accept_upgrade(reader, writer)
        await trickle(writer, port_headers() + frame(2, b"\x00hello ", fin=False) + frame(9, b"hi"))
        await trickle(
            writer, frame(0, b"world", fin=True) + frame(1, b"a text", fin=False) + frame(0, b" message")
        )
        writer.write(frame(2, b"\x00" + big) + frame(2, b"\x00" + medium))
        seen["frames"] = {await read_client_frame(reader), await read_client_frame(reader)}
        writer.write(frame(8, struct.pack("!H", 1000)))
        seen["close"] = await read_client_frame(reader)
        writer.close()

    server, target = await with_server(script, tmp_path)
    async with server:
        received, failure = await relay_once(target, b"GET / HTTP/1.0\r\n\r\n")
    assert failure is None
    assert received == b"hello world" + big + medium
    assert seen["frames"] == {(10, b"hi"), (2, b"\x00GET / HTTP/1.0\r\n\r\n")}  # the pong, the data
    assert seen["close"] == (8, struct.pack("!H", 1000))
    headers = seen["headers"]
    assert isinstance(headers, dict)
    assert headers["authorization"] == "Bearer secret-token"
    assert headers["sec-websocket-protocol"] == "v4.channel.k8s.io"


async def test_the_error_channel_fails_the_tunnel_with_the_servers_words(tmp_path: Path) -> None:
    words = (
        "error forwarding port 80 to pod 0123abcd, uid : dial tcp4 127.0.0.1:80: connect: connection refused"
    )

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept_upgrade(reader, writer)
        await trickle(writer, port_headers() + frame(2, b"\x01" + words.encode()))
        await read_client_frame(reader)  # the client's data
        writer.close()

    server, target = await with_server(script, tmp_path)
    async with server:
        received, failure = await relay_once(target, b"hello")
    assert received == b""
    assert isinstance(failure, TunnelFailed) and str(failure) == words


async def test_a_masked_server_frame_is_a_protocol_error(tmp_path: Path) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept_upgrade(reader, writer)
        writer.write(port_headers() + frame(2, b"\x00data", mask=True))
        await reader.read()
        writer.close()

    server, target = await with_server(script, tmp_path)
    async with server:
        received, failure = await relay_once(target, b"hello")
    assert received == b""
    assert isinstance(failure, TunnelFailed) and "the server masked a frame" in str(failure)


async def test_a_refused_upgrade_names_the_status_and_the_servers_message(tmp_path: Path) -> None:
    status = {"kind": "Status", "status": "Failure", "message": 'pods "web" is forbidden: no', "code": 403}

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = json.dumps(status).encode()
        head = (
            f"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        await trickle(writer, head.encode() + body)
        writer.close()

    server, target = await with_server(script, tmp_path)
    async with server:
        with pytest.raises(TunnelFailed) as caught:
            await open_tunnel(load_credentials(target), "ns", "web", 80)
    assert (
        str(caught.value) == 'cannot open port-forward to pod web: 403 Forbidden: pods "web" is forbidden: no'
    )
