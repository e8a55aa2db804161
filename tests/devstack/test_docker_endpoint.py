"""Docker where the user's Docker is: DOCKER_HOST, DOCKER_CONTEXT, the current docker context, the
default socket — as the docker CLI resolves them — against the real daemon, reached through a
unix-socket relay on a non-default path that only a docker context names."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.core.model import CheckStatus
from devstack.settings import Settings
from devstack.sources.docker_endpoint import (
    DEFAULT_HOST,
    DockerContextError,
    context_meta_path,
    resolve_endpoint,
)
from devstack.sources.doctor import check_docker
from devstack.sources.nodes import list_nodes

REAL_SOCKET = "/var/run/docker.sock"


class SocketRelay:
    """Listens on a unix socket and relays every connection to the real Docker socket."""

    def __init__(self, path: Path):
        self.path = path
        self.connections = 0
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen(16)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(REAL_SOCKET)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()

    def close(self) -> None:
        self._server.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def write_context(home: Path, name: str, host: str, current: bool = True) -> Path:
    """What `docker context create NAME --docker host=HOST` (+ `docker context use`) writes."""
    config_dir = home / ".docker"
    meta = context_meta_path(config_dir, name)
    meta.parent.mkdir(parents=True)
    meta.write_text(
        json.dumps(
            {"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}}
        )
    )
    if current:
        (config_dir / "config.json").write_text(json.dumps({"auths": {}, "currentContext": name}))
    return meta


def settings(home: Path, **env: str) -> Settings:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    return Settings.from_environ({**base, "HOME": str(home), **env})


@pytest.fixture
def relay(docker_daemon: None, tmp_path: Path) -> Iterator[SocketRelay]:
    if not Path(REAL_SOCKET).exists():
        pytest.fail(f"the Docker daemon answers but not on {REAL_SOCKET}")
    started = SocketRelay(_short_socket_path(tmp_path))
    try:
        yield started
    finally:
        started.close()
        started.path.unlink(missing_ok=True)
        started.path.parent.rmdir()


def _short_socket_path(tmp_path: Path) -> Path:
    # unix socket paths are limited to ~107 bytes; pytest's tmp paths can be longer
    folder = Path("/tmp") / f"ds-{hashlib.sha1(str(tmp_path).encode()).hexdigest()[:10]}"
    folder.mkdir(exist_ok=True)
    return folder / "docker.sock"


def test_the_cli_order_docker_host_then_docker_context_then_current_context_then_the_socket(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    assert resolve_endpoint(settings(home)).host == DEFAULT_HOST
    assert resolve_endpoint(settings(home)).source == "the default socket"
    write_context(home, "colima", "unix:///colima/docker.sock")
    write_context(home, "desktop-linux", "unix:///desktop/docker.sock", current=False)
    found = resolve_endpoint(settings(home))
    assert (found.host, found.context) == ("unix:///colima/docker.sock", "colima")
    assert found.source == 'docker context "colima" (current context in ~/.docker/config.json)'
    found = resolve_endpoint(settings(home, DOCKER_CONTEXT="desktop-linux"))
    assert (found.host, found.source) == (
        "unix:///desktop/docker.sock",
        'docker context "desktop-linux" (DOCKER_CONTEXT)',
    )
    found = resolve_endpoint(
        settings(home, DOCKER_CONTEXT="desktop-linux", DOCKER_HOST="tcp://127.0.0.1:2375")
    )
    assert (found.host, found.source) == ("tcp://127.0.0.1:2375", "DOCKER_HOST")
    moved = tmp_path / "elsewhere"
    (home / ".docker").rename(moved)
    found = resolve_endpoint(settings(home, DOCKER_CONFIG=str(moved)))
    assert found.host == "unix:///colima/docker.sock"


def test_a_context_without_metadata_fails_as_the_docker_cli_does(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with pytest.raises(DockerContextError, match='docker context "gone" \\(DOCKER_CONTEXT\\) not found'):
        resolve_endpoint(settings(home, DOCKER_CONTEXT="gone"))
    result = check_docker(settings(home, DOCKER_CONTEXT="gone"))
    assert result.status is CheckStatus.FAIL and "docker context use" in result.fix


def test_the_doctor_and_node_listing_reach_docker_through_the_current_context(
    relay: SocketRelay, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    write_context(home, "devstack-relay", f"unix://{relay.path}")
    found = settings(home)
    result = check_docker(found)
    assert result.status in (CheckStatus.OK, CheckStatus.WARN), result.detail
    assert result.fact("endpoint") == f"unix://{relay.path}"
    assert (
        result.fact("endpoint_source")
        == 'docker context "devstack-relay" (current context in ~/.docker/config.json)'
    )
    assert f"at unix://{relay.path}" in result.detail
    assert relay.connections >= 1
    before = relay.connections
    assert list_nodes("no-such-cluster-here", found) == []
    assert relay.connections > before


def test_a_context_pointing_at_a_stopped_daemon_is_not_hidden_by_the_default_socket(
    docker_daemon: None, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    write_context(home, "colima", f"unix://{tmp_path}/colima-is-stopped.sock")
    result = check_docker(settings(home))
    assert result.status is CheckStatus.FAIL
    assert f"unix://{tmp_path}/colima-is-stopped.sock" in result.detail
    assert 'docker context "colima"' in result.detail
