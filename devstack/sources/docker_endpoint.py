"""Where the user's Docker daemon is, found the way the `docker` CLI finds it.

The docker CLI (cli/command/cli.go `resolveContextName`) picks a context name: `DOCKER_HOST` set
means the default context; else `DOCKER_CONTEXT`; else `currentContext` in
`$DOCKER_CONFIG/config.json` (`~/.docker/config.json`); else `default`. The default context
talks to `DOCKER_HOST` (TLS from `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`) or the default socket;
a named context's endpoint is in `contexts/meta/<sha256(name)>/meta.json`
(`Endpoints.docker.Host`, `SkipTLSVerify`) with its TLS files in
`contexts/tls/<sha256(name)>/docker/`. So Colima, Docker Desktop, rootless Docker and OrbStack —
all of which set a context — are found where `docker` and kind find them.

`docker.from_env()` does not follow contexts (docker-py #3146); `docker_client` does.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.settings import Settings

DEFAULT_HOST = "npipe:////./pipe/docker_engine" if sys.platform == "win32" else "unix:///var/run/docker.sock"


class DockerContextError(Exception):
    """The docker context in use cannot be read (missing, or a broken meta.json)."""


@dataclass(frozen=True)
class DockerEndpoint:
    """One Docker daemon endpoint and why it was chosen.

    Attributes:
        host: `unix:///…`, `tcp://…`, `ssh://…` or `npipe://…`.
        source: Where the choice came from, in words (`DOCKER_HOST`, `docker context "colima"
            (current context in ~/.docker/config.json)`, `the default socket`).
        context: The docker context name (`default` for DOCKER_HOST and the default socket).
        tls_dir: A folder holding ca.pem / cert.pem / key.pem when the endpoint uses TLS.
        tls_verify: Verify the daemon's certificate.
    """

    host: str
    source: str
    context: str = "default"
    tls_dir: Path | None = None
    tls_verify: bool = True


def context_meta_path(config_dir: Path, name: str) -> Path:
    """`<config>/contexts/meta/<sha256(name)>/meta.json` (the docker CLI's context store)."""
    return config_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest() / "meta.json"


def resolve_endpoint(settings: Settings) -> DockerEndpoint:
    """The endpoint the `docker` CLI would use with these settings.

    Raises:
        DockerContextError: the chosen context has no (readable) metadata, as `docker` fails too.
    """
    config_dir = settings.docker_config_dir()
    if settings.docker_host:
        tls_dir = Path(settings.docker_cert_path or config_dir) if settings.docker_tls_verify else None
        return DockerEndpoint(settings.docker_host, "DOCKER_HOST", tls_dir=tls_dir)
    name, why = settings.docker_context, "DOCKER_CONTEXT"
    if not name:
        name = _current_context(config_dir)
        why = f"current context in {_shown(config_dir / 'config.json', settings.home)}"
    if not name or name == "default":
        return DockerEndpoint(
            DEFAULT_HOST, "the default socket" if not name else f"docker context default ({why})"
        )
    meta = context_meta_path(config_dir, name)
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DockerContextError(
            f'docker context "{name}" ({why}) not found: {_shown(meta, settings.home)} does not exist'
        ) from None
    except (OSError, ValueError) as err:
        raise DockerContextError(f'docker context "{name}" ({why}): cannot read {meta}: {err}') from None
    endpoint = ((data.get("Endpoints") or {}).get("docker") or {}) if isinstance(data, dict) else {}
    host = str(endpoint.get("Host") or "")
    if not host:
        raise DockerContextError(f'docker context "{name}" ({why}) has no docker endpoint in {meta}')
    tls_dir = meta.parent.parent.parent / "tls" / meta.parent.name / "docker"
    return DockerEndpoint(
        host,
        f'docker context "{name}" ({why})',
        context=name,
        tls_dir=tls_dir if tls_dir.is_dir() else None,
        tls_verify=not endpoint.get("SkipTLSVerify"),
    )


def docker_client(endpoint: DockerEndpoint, timeout: float = 10) -> Any:
    """A docker SDK client talking to `endpoint` (imports the SDK lazily)."""
    import docker

    tls: Any = False
    if endpoint.tls_dir is not None:
        from docker.tls import TLSConfig

        cert, key, ca = (endpoint.tls_dir / n for n in ("cert.pem", "key.pem", "ca.pem"))
        tls = TLSConfig(
            client_cert=(str(cert), str(key)) if cert.is_file() else None,
            ca_cert=str(ca) if ca.is_file() and endpoint.tls_verify else None,
            verify=endpoint.tls_verify and ca.is_file(),
        )
    return docker.DockerClient(base_url=endpoint.host, tls=tls, timeout=int(timeout))


def _current_context(config_dir: Path) -> str:
    try:
        data = json.loads((config_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str(data.get("currentContext") or "") if isinstance(data, dict) else ""


def _shown(path: Path, home: Path) -> str:
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)
