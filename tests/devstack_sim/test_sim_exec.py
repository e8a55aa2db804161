"""Pod exec over WebSocket (`v5.channel.k8s.io` / `v4.channel.k8s.io`) on the simulator with real
container processes: the channels, stdin and its close, a pty with resize, exit codes in the status
channel, the API server's refusals, no process left behind — and the real kubectl as the judge."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import psutil
import pytest
from helpers import require
from sim_helpers import Api, client_ssl, kubectl, kubectl_available

from devstack_sim.app import Simulator
from devstack_sim.resources import PODS

pytestmark = pytest.mark.slow
V5, V4 = "v5.channel.k8s.io", "v4.channel.k8s.io"


@pytest.fixture
async def session(process_sim: Simulator) -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(ssl=client_ssl(process_sim))
    async with aiohttp.ClientSession(connector=connector) as client:
        yield client


async def run_pod(process_sim: Simulator, name: str, image: str = "test/sleep", running: bool = True) -> None:
    pod = {
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": image}]},
    }
    process_sim.store.create(PODS, pod)
    for _ in range(200):
        obj = process_sim.store.get(PODS, "default", name) or {}
        state = ((obj.get("status") or {}).get("containerStatuses") or [{}])[0].get("state") or {}
        if (
            ("running" in state)
            if running
            else ("waiting" in state and state["waiting"].get("reason") == "CrashLoopBackOff")
        ):
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"pod {name} never got to {'running' if running else 'CrashLoopBackOff'}")


def exec_url(process_sim: Simulator, pod: str, command: list[str], **flags: str) -> str:
    query = [("command", part) for part in command] + list(flags.items())
    return f"{process_sim.server.url}/api/v1/namespaces/default/pods/{pod}/exec?{urlencode(query)}"


class Session:
    """What one exec sent back: bytes per channel and the status."""

    def __init__(self) -> None:
        self.channels: dict[int, bytes] = {}
        self.status: dict[str, Any] | None = None

    def text(self, channel: int) -> str:
        return self.channels.get(channel, b"").decode()


async def collect(ws: aiohttp.ClientWebSocketResponse) -> Session:
    got = Session()
    async for message in ws:
        if message.type != aiohttp.WSMsgType.BINARY or not message.data:
            continue
        channel, payload = message.data[0], message.data[1:]
        if channel == 3:
            got.status = json.loads(payload)
        else:
            got.channels[channel] = got.channels.get(channel, b"") + payload
    return got


async def test_v5_streams_stdout_and_stderr_apart_and_the_exit_code_in_the_status(
    process_sim: Simulator, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    await run_pod(process_sim, "web")
    script = "echo out; echo err >&2; echo $GREETING $POD_NAME; pwd; exit 3"
    url = exec_url(process_sim, "web", ["sh", "-c", script], container="c", stdout="true", stderr="true")
    async with session.ws_connect(url, protocols=(V5, V4)) as ws:
        assert ws.protocol == V5
        got = await collect(ws)
    assert got.text(1) == f"out\nhi web\n{tmp_path / 'work'}\n"  # the container's env and folder
    assert got.text(2) == "err\n"
    assert got.status == {
        "metadata": {},
        "status": "Failure",
        "message": "command terminated with non-zero exit code: command terminated with exit code 3",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": "3"}]},
    }


async def test_v5_closes_stdin_and_v4_is_served_to_clients_that_only_speak_it(
    process_sim: Simulator, session: aiohttp.ClientSession
) -> None:
    await run_pod(process_sim, "web")
    url = exec_url(process_sim, "web", ["cat"], stdin="true", stdout="true", stderr="true")
    async with session.ws_connect(url, protocols=(V5,)) as ws:
        await ws.send_bytes(b"\x00hello stdin\n")
        await ws.send_bytes(bytes([255, 0]))  # v5: no more stdin → cat ends
        got = await collect(ws)
    assert got.text(1) == "hello stdin\n"
    assert got.status == {"metadata": {}, "status": "Success"}

    url = exec_url(process_sim, "web", ["sh", "-c", "exit 7"], stdout="true")
    async with session.ws_connect(url, protocols=(V4,)) as ws:
        assert ws.protocol == V4
        got = await collect(ws)
    assert got.status is not None and got.status["details"]["causes"][0]["message"] == "7"


async def test_a_tty_session_gets_a_terminal_of_the_size_the_client_sends(
    process_sim: Simulator, session: aiohttp.ClientSession
) -> None:
    await run_pod(process_sim, "web")
    url = exec_url(
        process_sim, "web", ["sh", "-c", "read go; tty; stty size"], stdin="true", stdout="true", tty="true"
    )
    async with session.ws_connect(url, protocols=(V5,)) as ws:
        await ws.send_bytes(b"\x04" + json.dumps({"Width": 100, "Height": 30}).encode())
        await ws.send_bytes(b"\x00go\r")
        got = await collect(ws)
    lines = got.text(1).replace("\r", "").splitlines()
    assert lines[0] == "go"  # the terminal echoes
    assert lines[1].startswith("/dev/pts/")
    assert lines[2] == "30 100"
    assert 2 not in got.channels  # a terminal has one output stream
    assert got.status == {"metadata": {}, "status": "Success"}


async def test_the_api_servers_refusals_answer_the_request_itself(process_sim: Simulator) -> None:
    await run_pod(process_sim, "web")
    connector = aiohttp.TCPConnector(ssl=client_ssl(process_sim))
    async with aiohttp.ClientSession(connector=connector) as client:
        api = Api(client, process_sim.server.url)
        base = "/api/v1/namespaces/default/pods"
        cases = [
            ("nope", {"command": "true", "stdout": "true"}, 404, 'pods "nope" not found'),
            (
                "web",
                {"command": "true", "container": "zz", "stdout": "true"},
                400,
                "container zz is not valid for pod web",
            ),
            ("web", {"stdout": "true"}, 400, "you must specify at least 1 command"),
            ("web", {"command": "true"}, 400, "you must specify at least 1 of stdin, stdout, stderr"),
            (
                "web",
                {"command": "true", "stdout": "true"},
                400,
                "unable to upgrade connection",
            ),  # no WebSocket
        ]
        for pod, query, code, message in cases:
            status, body = await api.call("GET", f"{base}/{pod}/exec", **query)
            assert (status, body["kind"], body["code"]) == (code, "Status", code), body
            assert message in body["message"], body


async def test_a_container_that_is_not_running_or_a_program_that_cannot_start_fail_in_the_stream(
    process_sim: Simulator, session: aiohttp.ClientSession
) -> None:
    await run_pod(process_sim, "crasher", "test/crash", running=False)
    async with session.ws_connect(
        exec_url(process_sim, "crasher", ["true"], stdout="true"), protocols=(V5,)
    ) as ws:
        got = await collect(ws)
    assert got.status is not None and got.status["reason"] == "InternalError"
    assert (
        got.status["message"]
        == 'Internal error occurred: unable to upgrade connection: container not found ("c")'
    )

    await run_pod(process_sim, "web")
    async with session.ws_connect(
        exec_url(process_sim, "web", ["no-such-program"], stdout="true"), protocols=(V5,)
    ) as ws:
        got = await collect(ws)
    assert 'exec: "no-such-program": executable file not found in $PATH' in got.text(1)
    assert (
        got.status is not None and got.status["details"]["causes"][0]["message"] == "126"
    )  # as runc reports it


async def test_an_exec_ends_with_its_client_and_with_its_container(
    process_sim: Simulator, session: aiohttp.ClientSession
) -> None:
    await run_pod(process_sim, "web")
    url = exec_url(process_sim, "web", ["sh", "-c", "echo $$; exec sleep 1000"], stdout="true")
    ws = await session.ws_connect(url, protocols=(V5,))
    message = await ws.receive()
    pid = int(message.data[1:].decode())
    assert psutil.pid_exists(pid)
    await ws.close()  # the client goes away: the command goes too
    for _ in range(100):
        if _gone(pid):
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the exec's process outlived its client")

    async with session.ws_connect(url, protocols=(V5,)) as ws:
        message = await ws.receive()
        pid = int(message.data[1:].decode())
        process_sim.store.delete(PODS, "default", "web", grace=True)  # the container stops: its sessions end
        got = await asyncio.wait_for(collect(ws), 20)
    assert got.status is not None and got.status["details"]["causes"][0]["message"] == "137"
    assert _gone(pid)


def _gone(pid: int) -> bool:
    """The process has ended (reaped, or a zombie); it may end while being looked at."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def test_kubectl_exec_prints_hi_and_exits_3_and_passes_stdin(process_sim: Simulator) -> None:
    require(kubectl_available(), "kubectl")
    await run_pod(process_sim, "web")
    done = await kubectl(process_sim, "exec", "web", "--", "sh", "-c", "echo hi; exit 3")
    assert (done.code, done.out) == (3, "hi\n")
    assert "command terminated with exit code 3" in done.err
    piped = await kubectl(
        process_sim, "exec", "-i", "web", "--", "sh", "-c", "cat; echo done >&2", stdin="from stdin\n"
    )
    assert (piped.code, piped.out, piped.err) == (0, "from stdin\n", "done\n")
    wrong = await kubectl(process_sim, "exec", "web", "-c", "zz", "--", "true")
    assert wrong.code == 1 and "container zz is not valid for pod web" in wrong.err
