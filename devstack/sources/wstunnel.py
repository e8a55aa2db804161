"""One port-forward WebSocket to the API server as an asyncio protocol (`v4.channel.k8s.io`).

Every binary message starts with a channel byte; for the single port requested, channel 0 carries
data and channel 1 errors, and the server's first message on each is the port number (2 bytes,
little-endian). One WebSocket serves one TCP connection.

The frames are read and written here, in the protocol's callbacks: a chunk the server sends is
written to the local connection as it arrives (a slice of what was read, not a copy; frames are not
gathered into messages first), and what the local connection sends goes out as one masked frame at
once. No task switch per chunk: relaying a request and its answer costs a few function calls.
Opening one (TLS, an `http://` CONNECT proxy, credentials, a 401) is `wsopen.open_tunnel`'s.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import random
import struct
import time
from typing import Any

from devstack.sources.tunnel import Counters

PROTOCOL = "v4.channel.k8s.io"
CLOSE_TIMEOUT = 5.0
PENDING_LIMIT = 1 << 20  # bytes from the pod held for a local connection not attached yet
_ERROR_LIMIT = 64 * 1024
_HEAD_LIMIT = 64 * 1024
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_CONTINUATION, _TEXT, _BINARY, _CLOSE, _PING, _PONG = 0, 1, 2, 8, 9, 10
_PROXY, _UPGRADE, _REFUSED, _OPEN, _CLOSED = "proxy", "upgrade", "refused", "open", "closed"


class Tunnel(asyncio.Protocol):
    """The WebSocket of one forwarded connection; `attach` gives it the local connection's transport.

    `finished` resolves when the WebSocket's connection is gone; `answered` says whether the pod
    sent any byte, `error` holds the text of the error channel.
    """

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.transport: Any = None
        self.counters = Counters()
        self.answered = False
        self.error = ""
        self.finished: asyncio.Future[None] = loop.create_future()
        self._phase = _PROXY
        self._head = bytearray()
        self._response: asyncio.Future[tuple[int, str]] = loop.create_future()
        self._key = ""
        self._refusal = (0, "", 0)
        self._local: Any = None
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._held = False  # reading paused: PENDING_LIMIT reached before a local connection came
        self._sent_close = False
        self._close_timer: asyncio.TimerHandle | None = None
        # frame reader state
        self._header = bytearray()
        self._in_payload = False
        self._remaining = 0
        self._opcode = 0
        self._fin = True
        self._control = bytearray()
        self._channel: int | None = None  # of the message being read (None before its first byte)
        self._skip = False
        self._text = False  # the message being read is a text message (ignored)
        self._ports_seen = [False, False]

    # ------------------------------------------------------------------ state
    @property
    def usable(self) -> bool:
        """Open and not closing: a new local connection may use it."""
        return self._phase == _OPEN and not self._sent_close and self._local is None

    def attach(self, local: Any) -> None:
        """Relay to and from `local` (an asyncio transport); what the pod already sent goes first."""
        self._local = local
        pending, self._pending, self._pending_size = self._pending, [], 0
        for chunk in pending:
            local.write(chunk)
        if self._held and not self.transport.is_closing():
            self._held = False
            self.transport.resume_reading()

    def detach(self) -> None:
        """Stop writing to the local connection (it is gone)."""
        self._local = None

    # ------------------------------------------------------------------ sending
    def send(self, data: bytes | bytearray | memoryview) -> None:
        """One binary frame on channel 0 (masked, as a client's frames must be)."""
        if self._phase != _OPEN or self._sent_close or self.transport.is_closing():
            return
        self.counters.sent += len(data)
        self.counters.last_active = time.monotonic()
        self.transport.write(_frame(_BINARY, b"\x00" + bytes(data)))

    def close(self) -> None:
        """Send the close frame (1000); the connection ends when the server answers (or soon after)."""
        if self.transport is None or self._phase == _CLOSED:
            return
        if self._phase != _OPEN:
            self.abort()
            return
        if not self._sent_close and not self.transport.is_closing():
            self._sent_close = True
            self.transport.write(_frame(_CLOSE, struct.pack("!H", 1000)))
        if self._close_timer is None:
            self._close_timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self.abort)

    def abort(self) -> None:
        """Drop the connection at once."""
        if self.transport is not None:
            self.transport.abort()
        elif not self.finished.done():
            self.finished.set_result(None)

    # ------------------------------------------------------------------ flow control
    def pause_writing(self) -> None:
        if self._local is not None:
            self._local.pause_reading()

    def resume_writing(self) -> None:
        if self._local is not None and not self._local.is_closing():
            self._local.resume_reading()

    # ------------------------------------------------------------------ asyncio callbacks
    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self._phase == _REFUSED:
            self._end_refusal()
        self._phase = _CLOSED
        if self._close_timer is not None:
            self._close_timer.cancel()
        if not self._response.done():
            self._response.set_exception(ConnectionError(str(exc) if exc else "connection closed"))
        if not self.finished.done():
            self.finished.set_result(None)

    def eof_received(self) -> bool:
        return False

    def data_received(self, data: bytes) -> None:
        if self._phase == _OPEN:
            self._read_frames(data)
        elif self._phase in (_PROXY, _UPGRADE):
            self._read_head(data)
        elif self._phase == _REFUSED:
            self._read_refusal(data)

    # ------------------------------------------------------------------ handshake
    def request(self, head: bytes) -> None:
        """Write a request head; its response resolves `response()`."""
        self._head.clear()
        self.transport.write(head)

    def upgrade(self, host: str, path: str, headers: dict[str, str]) -> None:
        """Ask for the WebSocket."""
        self._phase = _UPGRADE
        self._response = asyncio.get_running_loop().create_future()
        self._key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {self._key}",
            "Sec-WebSocket-Version: 13",
            f"Sec-WebSocket-Protocol: {PROTOCOL}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        self.request(("\r\n".join(lines) + "\r\n\r\n").encode())

    async def response(self) -> tuple[int, str]:
        """The status and reason (with the `Status` message of a refusal) of the last request."""
        return await self._response

    def _read_head(self, data: bytes) -> None:
        self._head += data
        end = self._head.find(b"\r\n\r\n")
        if end < 0:
            if len(self._head) > _HEAD_LIMIT:
                self._fail_head("response head too long")
            return
        head, rest = bytes(self._head[:end]), bytes(self._head[end + 4 :])
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            self._fail_head(f"not an HTTP response: {status_line[:80]!r}")
            return
        status, reason = int(parts[1]), (parts[2] if len(parts) > 2 else "")
        fields = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        if self._phase == _PROXY:
            self._response.set_result((status, reason))
            return
        if status != 101:
            self._refused(status, reason, fields, rest)
            return
        accept = base64.b64encode(hashlib.sha1(self._key.encode() + _GUID).digest()).decode()
        if fields.get("sec-websocket-accept") != accept:
            self._fail_head("the server's Sec-WebSocket-Accept does not match the key")
            return
        self._phase = _OPEN
        self._head = bytearray()
        self._response.set_result((101, reason))
        if rest:
            self._read_frames(rest)

    def _refused(self, status: int, reason: str, fields: dict[str, str], body: bytes) -> None:
        """A refused upgrade: its body (a `Status`) is read to its `Content-Length` when short."""
        length = fields.get("content-length", "")
        self._refusal = (status, reason, int(length) if length.isdigit() else 0)
        self._phase = _REFUSED
        self._head = bytearray(body)
        self._read_refusal(b"")

    def _read_refusal(self, data: bytes) -> None:
        length = self._refusal[2]
        self._head += data
        if len(self._head) < length <= _HEAD_LIMIT and not self.transport.is_closing():
            return
        self._end_refusal()

    def _end_refusal(self) -> None:
        status, reason, _ = self._refusal
        try:
            message = str(json.loads(bytes(self._head)).get("message", ""))
        except (ValueError, AttributeError):
            message = ""
        if not self._response.done():
            self._response.set_result((status, f"{reason}: {message}" if message else reason))
        self.transport.close()

    def _fail_head(self, why: str) -> None:
        if not self._response.done():
            self._response.set_exception(ValueError(why))
        self.transport.abort()

    # ------------------------------------------------------------------ frames from the server
    def _read_frames(self, data: bytes) -> None:
        view = memoryview(data)
        pos, end = 0, len(data)
        while pos < end:
            if not self._in_payload:
                pos = self._read_header(data, pos)
                if not self._in_payload:
                    if pos < 0:
                        return
                    continue
                if self._remaining == 0:
                    self._frame_done()
                continue
            take = min(self._remaining, end - pos)
            self._remaining -= take
            self._payload(view[pos : pos + take])
            pos += take
            if self._remaining == 0:
                self._frame_done()

    def _read_header(self, data: bytes, pos: int) -> int:
        """Gather the next frame header from `data[pos:]`; returns where its payload starts
        (-1 after a protocol error)."""
        header = self._header
        if len(header) < 2:
            need = 2 - len(header)
            header += data[pos : pos + need]
            pos += min(need, len(data) - pos)
            if len(header) < 2:
                return pos
        size = 2 + {126: 2, 127: 8}.get(header[1] & 0x7F, 0) + (4 if header[1] & 0x80 else 0)
        if len(header) < size:
            need = size - len(header)
            header += data[pos : pos + need]
            pos += min(need, len(data) - pos)
            if len(header) < size:
                return pos
        if header[1] & 0x80:
            self._protocol_error("the server masked a frame")
            return -1
        length = header[1] & 0x7F
        if length == 126:
            length = int.from_bytes(header[2:4], "big")
        elif length == 127:
            length = int.from_bytes(header[2:10], "big")
        self._fin, self._opcode = bool(header[0] & 0x80), header[0] & 0x0F
        header.clear()
        if self._opcode in (_TEXT, _BINARY):  # a message starts (continuations keep its kind)
            self._text = self._opcode == _TEXT
        if self._opcode >= _CLOSE:
            if length > 125 or not self._fin:
                self._protocol_error("a control frame longer than 125 bytes or fragmented")
                return -1
            self._control.clear()
        self._remaining = length
        self._in_payload = True
        return pos

    def _payload(self, chunk: memoryview) -> None:
        opcode = self._opcode
        if opcode >= _CLOSE:
            self._control += chunk
            return
        if self._text or not chunk:
            return
        if self._channel is None:  # the message's first byte names its channel
            channel = self._channel = chunk[0]
            chunk = chunk[1:]
            self._skip = channel in (0, 1) and not self._ports_seen[channel]
            if self._skip:
                self._ports_seen[channel] = True
        if self._skip or not chunk:
            return
        if self._channel == 0:
            self._deliver(chunk)
        elif self._channel == 1 and len(self.error) < _ERROR_LIMIT:
            self.error += bytes(chunk).decode(errors="replace")

    def _frame_done(self) -> None:
        self._in_payload = False
        opcode = self._opcode
        if opcode == _PING:
            if not self._sent_close:
                self.transport.write(_frame(_PONG, bytes(self._control)))
        elif opcode == _CLOSE:
            self.close()
            self.transport.close()
        elif opcode < _CLOSE and self._fin:
            if self._channel == 1 and self.error.strip():
                self.error = self.error.strip()
                self.close()
            self._channel = None

    def _deliver(self, chunk: memoryview) -> None:
        self.answered = True
        self.counters.received += len(chunk)
        self.counters.last_active = time.monotonic()
        if self._local is not None:
            self._local.write(chunk)
            return
        self._pending.append(bytes(chunk))  # a spare's early bytes (a server that speaks first)
        self._pending_size += len(chunk)
        if self._pending_size > PENDING_LIMIT and not self._held:
            self._held = True
            self.transport.pause_reading()

    def _protocol_error(self, why: str) -> None:
        self.error = f"WebSocket protocol error: {why}"
        self.transport.abort()


def _frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked client frame."""
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    key = random.getrandbits(32).to_bytes(4, "little")
    keys = int.from_bytes(key * (length // 4 + 1), "little") & ((1 << (8 * length)) - 1)
    masked = (int.from_bytes(payload, "little") ^ keys).to_bytes(length, "little")
    return head + key + masked
