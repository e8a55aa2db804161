"""SPDY/3.1 framing, enough for the server side of Kubernetes port-forward streams.

Frames (draft-mbelshe-httpbis-spdy-00): a control frame starts with the bit 1, version 3 and a
16-bit type; a data frame with a 31-bit stream id. Header blocks are name/value pairs with 32-bit
lengths, zlib-compressed with the protocol's preset dictionary in one compression context per
direction per connection (each block ends with a sync flush).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

SYN_STREAM = 1
SYN_REPLY = 2
RST_STREAM = 3
SETTINGS = 4
PING = 6
GOAWAY = 7
HEADERS = 8
WINDOW_UPDATE = 9

FLAG_FIN = 0x01
RST_PROTOCOL_ERROR = 1
RST_CANCEL = 5

_VERSION = 3
_MAX_DATA = 32 * 1024

# The preset dictionary of SPDY/3 header compression: length-prefixed words, then a raw tail.
_DICT_WORDS = (
    "options",
    "head",
    "post",
    "put",
    "delete",
    "trace",
    "accept",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "accept-ranges",
    "age",
    "allow",
    "authorization",
    "cache-control",
    "connection",
    "content-base",
    "content-encoding",
    "content-language",
    "content-length",
    "content-location",
    "content-md5",
    "content-range",
    "content-type",
    "date",
    "etag",
    "expect",
    "expires",
    "from",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "last-modified",
    "location",
    "max-forwards",
    "pragma",
    "proxy-authenticate",
    "proxy-authorization",
    "range",
    "referer",
    "retry-after",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "vary",
    "via",
    "warning",
    "www-authenticate",
    "method",
    "get",
    "status",
    "200 OK",
    "version",
    "HTTP/1.1",
    "url",
    "public",
    "set-cookie",
    "keep-alive",
    "origin",
)
_DICT_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request"
    "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented"
    "503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
    "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
    "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
    "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)


def _dictionary() -> bytes:
    words = b"".join(struct.pack(">I", len(word)) + word.encode() for word in _DICT_WORDS)
    return words + _DICT_TAIL.encode()


DICTIONARY = _dictionary()


@dataclass
class Frame:
    """One decoded frame: `kind` is a control type, or 0 for data."""

    kind: int
    flags: int
    stream_id: int = 0
    data: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    value: int = 0  # PING id, RST/GOAWAY status

    @property
    def fin(self) -> bool:
        """Whether the sender half-closed the stream with this frame."""
        return bool(self.flags & FLAG_FIN)


class ProtocolError(Exception):
    """The peer sent something this implementation cannot decode."""


class Reader:
    """Turns a byte stream into frames (feed it whatever arrives)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)

    def feed(self, data: bytes) -> list[Frame]:
        """Append bytes; returns every frame completed so far."""
        self._buffer += data
        frames = []
        while len(self._buffer) >= 8:
            length = int.from_bytes(self._buffer[5:8], "big")
            if len(self._buffer) < 8 + length:
                break
            head, payload = self._buffer[:8], self._buffer[8 : 8 + length]
            self._buffer = self._buffer[8 + length :]
            frames.append(self._decode(head, payload))
        return frames

    def _decode(self, head: bytes, payload: bytes) -> Frame:
        first, flags = struct.unpack(">IB", head[:5])
        if not first & 0x80000000:
            return Frame(0, flags, first & 0x7FFFFFFF, payload)
        version, kind = (first >> 16) & 0x7FFF, first & 0xFFFF
        if version != _VERSION:
            raise ProtocolError(f"unsupported SPDY version {version}")
        if kind == SYN_STREAM:
            return Frame(kind, flags, _id(payload), headers=self._headers(payload[10:]))
        if kind in (SYN_REPLY, HEADERS):
            return Frame(kind, flags, _id(payload), headers=self._headers(payload[4:]))
        if kind in (RST_STREAM, GOAWAY, WINDOW_UPDATE):
            return Frame(kind, flags, _id(payload), value=struct.unpack(">I", payload[4:8])[0])
        if kind == PING:
            return Frame(kind, flags, value=struct.unpack(">I", payload[:4])[0])
        return Frame(kind, flags, data=payload)

    def _headers(self, block: bytes) -> dict[str, str]:
        try:
            raw = self._inflate.decompress(block)
        except zlib.error as exc:
            raise ProtocolError(f"bad SPDY header block: {exc}") from None
        (count,) = struct.unpack(">I", raw[:4])
        offset, headers = 4, {}
        for _ in range(count):
            (size,) = struct.unpack(">I", raw[offset : offset + 4])
            name = raw[offset + 4 : offset + 4 + size].decode()
            offset += 4 + size
            (size,) = struct.unpack(">I", raw[offset : offset + 4])
            headers[name.lower()] = raw[offset + 4 : offset + 4 + size].decode()
            offset += 4 + size
        return headers


def _id(payload: bytes) -> int:
    return int(struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF)


class Writer:
    """Builds frames; owns the header compression context of one direction."""

    def __init__(self) -> None:
        self._deflate = zlib.compressobj(zdict=DICTIONARY)

    def _control(self, kind: int, flags: int, payload: bytes) -> bytes:
        return struct.pack(">HHI", 0x8000 | _VERSION, kind, (flags << 24) | len(payload)) + payload

    def _block(self, headers: dict[str, str]) -> bytes:
        raw = struct.pack(">I", len(headers))
        for name, value in headers.items():
            raw += struct.pack(">I", len(name)) + name.lower().encode()
            raw += struct.pack(">I", len(value.encode())) + value.encode()
        return self._deflate.compress(raw) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    def syn_reply(self, stream_id: int, headers: dict[str, str] | None = None) -> bytes:
        """SYN_REPLY accepting a stream."""
        return self._control(SYN_REPLY, 0, struct.pack(">I", stream_id) + self._block(headers or {}))

    def rst_stream(self, stream_id: int, status: int) -> bytes:
        """RST_STREAM aborting a stream."""
        return self._control(RST_STREAM, 0, struct.pack(">II", stream_id, status))

    def ping(self, ping_id: int) -> bytes:
        """PING (the answer echoes the id)."""
        return self._control(PING, 0, struct.pack(">I", ping_id))

    def goaway(self, last_stream_id: int) -> bytes:
        """GOAWAY ending the session."""
        return self._control(GOAWAY, 0, struct.pack(">II", last_stream_id, 0))

    @staticmethod
    def data(stream_id: int, payload: bytes, fin: bool = False) -> list[bytes]:
        """DATA frames carrying `payload` (split to 32 KiB), the last one with FIN when asked."""
        chunks = [payload[i : i + _MAX_DATA] for i in range(0, len(payload), _MAX_DATA)] or [b""]
        frames = []
        for i, chunk in enumerate(chunks):
            flags = FLAG_FIN if fin and i == len(chunks) - 1 else 0
            frames.append(struct.pack(">II", stream_id & 0x7FFFFFFF, (flags << 24) | len(chunk)) + chunk)
        return frames
