"""Container probes run for real: HTTP GET, TCP connect or a local command, on the mapped ports."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_USER_AGENT = "kube-probe/1.33"


@dataclass(frozen=True)
class ProbeResult:
    """One probe attempt: success, and the kubelet's message when it failed."""

    ok: bool
    message: str = ""


@dataclass(frozen=True)
class ProbeTarget:
    """Where a container's probes go: the pod IP for messages, real ports for connections."""

    pod_ip: str
    ports: Mapping[int, int]  # container port → real local port
    named_ports: Mapping[str, int]  # container port name → container port
    cwd: Path
    env: Mapping[str, str]

    def resolve(self, port: Any) -> int | None:
        """The container port a probe's `port` (number or name) designates."""
        if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
            return int(port)
        return self.named_ports.get(str(port))


async def run_probe(probe: dict[str, Any], target: ProbeTarget) -> ProbeResult:
    """Run one attempt of a probe (httpGet, tcpSocket, exec or grpc) within its timeout."""
    timeout = float(probe.get("timeoutSeconds") or 1)
    if "httpGet" in probe:
        return await _http(probe["httpGet"], target, timeout)
    if "tcpSocket" in probe:
        return await _tcp(probe["tcpSocket"].get("port"), target, timeout)
    if "grpc" in probe:
        return await _tcp(probe["grpc"].get("port"), target, timeout)
    if "exec" in probe:
        return await _exec(list(probe["exec"].get("command") or []), target, timeout)
    return ProbeResult(True)


async def _connect(
    container_port: int, target: ProbeTarget, timeout: float, tls: bool = False
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    real = target.ports.get(container_port)
    if real is None:
        raise ConnectionRefusedError
    context = None
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", real, ssl=context), timeout)


async def _http(get: dict[str, Any], target: ProbeTarget, timeout: float) -> ProbeResult:
    port = target.resolve(get.get("port"))
    scheme = str(get.get("scheme") or "HTTP").lower()
    path = str(get.get("path") or "/")
    if not path.startswith("/"):
        path = "/" + path
    url = f"{scheme}://{target.pod_ip}:{port if port is not None else get.get('port')}{path}"
    if port is None:
        return ProbeResult(False, f'Get "{url}": unknown port "{get.get("port")}"')
    headers = {"Host": f"{target.pod_ip}:{port}", "User-Agent": _USER_AGENT, "Accept": "*/*"}
    for header in get.get("httpHeaders") or []:
        headers[str(header.get("name"))] = str(header.get("value", ""))
    headers["Connection"] = "close"
    request = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    writer: asyncio.StreamWriter | None = None
    try:
        reader, writer = await _connect(port, target, timeout, tls=scheme == "https")
        writer.write(request.encode("latin-1"))
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout)
    except ConnectionRefusedError:
        return ProbeResult(
            False, f'Get "{url}": dial tcp {target.pod_ip}:{port}: connect: connection refused'
        )
    except TimeoutError:
        return ProbeResult(
            False, f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
        )
    except (OSError, ssl.SSLError) as exc:
        return ProbeResult(False, f'Get "{url}": {exc}')
    finally:
        if writer is not None:
            writer.close()
    parts = status_line.decode("latin-1").split()
    if len(parts) < 2 or not parts[1].isdigit():
        return ProbeResult(
            False, f'Get "{url}": net/http: HTTP/1.x transport connection broken: malformed HTTP response'
        )
    code = int(parts[1])
    if 200 <= code < 400:
        return ProbeResult(True)
    return ProbeResult(False, f"HTTP probe failed with statuscode: {code}")


async def _tcp(port_value: Any, target: ProbeTarget, timeout: float) -> ProbeResult:
    port = target.resolve(port_value)
    where = f"{target.pod_ip}:{port if port is not None else port_value}"
    if port is None:
        return ProbeResult(False, f"dial tcp {where}: unknown port")
    try:
        _, writer = await _connect(port, target, timeout)
    except ConnectionRefusedError:
        return ProbeResult(False, f"dial tcp {where}: connect: connection refused")
    except TimeoutError:
        return ProbeResult(False, f"dial tcp {where}: i/o timeout")
    except OSError as exc:
        return ProbeResult(False, f"dial tcp {where}: {exc}")
    writer.close()
    return ProbeResult(True)


async def _exec(command: list[str], target: ProbeTarget, timeout: float) -> ProbeResult:
    """Run the probe's command locally, in the image's folder with the container's env."""
    if not command:
        return ProbeResult(False, "exec probe has no command")
    try:
        proc = await asyncio.create_subprocess_exec(
            *command,
            cwd=str(target.cwd),
            env=dict(target.env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        return ProbeResult(False, f'exec: "{command[0]}": {exc.strerror}')
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        return ProbeResult(False, f"command timed out: {' '.join(command)!r} timed out after {timeout:g}s")
    finally:
        if proc.returncode is None:  # timed out or cancelled: never leave the probe process behind
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
    if proc.returncode == 0:
        return ProbeResult(True)
    return ProbeResult(False, output.decode("utf-8", "replace").strip())


class ProbeLoop:
    """Runs one probe periodically and reports when its thresholds flip the result."""

    def __init__(
        self,
        kind: str,
        probe: dict[str, Any],
        target: ProbeTarget,
        period_cap: float,
        on_result: Callable[[bool], None],
        on_failure: Callable[[str], None],
    ):
        self.kind = kind
        self._probe = probe
        self._target = target
        self._period = min(float(probe.get("periodSeconds") or 10), period_cap)
        self._delay = float(probe.get("initialDelaySeconds") or 0)
        self._successes_needed = int(probe.get("successThreshold") or 1)
        self._failures_allowed = int(probe.get("failureThreshold") or 3)
        self._on_result = on_result
        self._on_failure = on_failure

    async def run(self) -> None:
        """Probe until cancelled."""
        await asyncio.sleep(self._delay)
        successes = failures = 0
        while True:
            result = await run_probe(self._probe, self._target)
            if result.ok:
                successes, failures = successes + 1, 0
                if successes >= self._successes_needed:
                    self._on_result(True)
            else:
                successes, failures = 0, failures + 1
                self._on_failure(result.message)
                if failures >= self._failures_allowed:
                    self._on_result(False)
            await asyncio.sleep(self._period)
