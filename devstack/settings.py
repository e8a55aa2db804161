"""Every environment variable devstack reads, read once (by the CLI) into one frozen `Settings`.

Nothing else in devstack reads `os.environ`: the CLI builds `Settings.from_environ()` at start-up and
passes it (or what it holds: the child-process environment, the kubeconfig files, the state dir)
down. The README's "Environment" table documents each variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

DEFAULT_FRONTEND_PORT = 3000
DEFAULT_BACKEND_PORT = 8000


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        from devstack.errors import DevstackError
        from devstack.exitcodes import USAGE

        raise DevstackError(f"{name}={text[:40]!r}: expected a port 1-65535", exit_code=USAGE)
    return int(text)


def _first(environ: Mapping[str, str], *names: str) -> str:
    """The first non-empty of several spellings of one variable (Go reads `HTTPS_PROXY` first)."""
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return value
    return ""


def _absolute(value: str, fallback: Path) -> Path:
    return Path(value) if value and Path(value).is_absolute() else fallback


@dataclass(frozen=True)
class Settings:
    """What devstack takes from its environment.

    Attributes:
        environ: The environment child processes inherit (a copy, never mutated).
        sim_tools: `DEVSTACK_SIM_TOOLS=1` lets devstack run the simulator's stand-in programs
            (tests; `devstack demo` sets it for its own runs). Otherwise marked stand-ins are refused.
        demo_frontend_port: `DEVSTACK_DEMO_FRONTEND_PORT`, the demo's frontend port (default 3000).
        demo_backend_port: `DEVSTACK_DEMO_BACKEND_PORT`, the demo's backend port (default 8000).
        no_color: `NO_COLOR` is set (https://no-color.org): never colour.
        force_color: `FORCE_COLOR` is set: colour even when not on a terminal.
        home: `HOME` (the user's home folder).
        user: `USER` (else `LOGNAME`): `{user}` in a profile's `deploy.namespace`.
        state_dir: `$XDG_STATE_HOME/devstack` (first-run marker, crash log, forward markers).
        cache_dir: `$XDG_CACHE_HOME/devstack` (default `~/.cache/devstack`): the helm and kubectl
            devstack provides where they are missing (`sources/provision.py`).
        kubeconfig: `KUBECONFIG` as given (colon-separated files; "" means `~/.kube/config`).
        https_proxy: `HTTPS_PROXY` (or `https_proxy`): the proxy for the API server when its
            kubeconfig cluster has no `proxy-url` (loopback servers are never proxied, as in kubectl).
        no_proxy: `NO_PROXY` (or `no_proxy`): hosts, domains and CIDRs reached without the proxy.
        docker_host: `DOCKER_HOST`: the Docker endpoint, before any docker context.
        docker_context: `DOCKER_CONTEXT`: the docker context to use when DOCKER_HOST is unset.
        docker_config: `DOCKER_CONFIG`: the docker CLI's config folder (default `~/.docker`).
        docker_tls_verify: `DOCKER_TLS_VERIFY` is set: DOCKER_HOST speaks TLS and is verified.
        docker_cert_path: `DOCKER_CERT_PATH`: ca.pem, cert.pem and key.pem for DOCKER_HOST.
    """

    environ: Mapping[str, str] = field(default_factory=dict)
    sim_tools: bool = False
    demo_frontend_port: int = DEFAULT_FRONTEND_PORT
    demo_backend_port: int = DEFAULT_BACKEND_PORT
    no_color: bool = False
    force_color: bool = False
    home: Path = field(default_factory=Path.home)
    user: str = ""
    state_dir: Path = field(default_factory=lambda: Path.home() / ".local" / "state" / "devstack")
    cache_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "devstack")
    kubeconfig: str = ""
    https_proxy: str = ""
    no_proxy: str = ""
    docker_host: str = ""
    docker_context: str = ""
    docker_config: Path | None = None
    docker_tls_verify: bool = False
    docker_cert_path: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every variable (the process environment unless one is given)."""
        env = dict(os.environ if environ is None else environ)
        home = _absolute(env.get("HOME", ""), Path.home())
        return cls(
            environ=env,
            sim_tools=env.get("DEVSTACK_SIM_TOOLS") == "1",
            demo_frontend_port=_port(env, "DEVSTACK_DEMO_FRONTEND_PORT", DEFAULT_FRONTEND_PORT),
            demo_backend_port=_port(env, "DEVSTACK_DEMO_BACKEND_PORT", DEFAULT_BACKEND_PORT),
            no_color=bool(env.get("NO_COLOR")),
            force_color=bool(env.get("FORCE_COLOR")),
            home=home,
            user=_first(env, "USER", "LOGNAME"),
            state_dir=_absolute(env.get("XDG_STATE_HOME", ""), home / ".local" / "state") / "devstack",
            cache_dir=_absolute(env.get("XDG_CACHE_HOME", ""), home / ".cache") / "devstack",
            kubeconfig=env.get("KUBECONFIG", ""),
            https_proxy=_first(env, "HTTPS_PROXY", "https_proxy"),
            no_proxy=_first(env, "NO_PROXY", "no_proxy"),
            docker_host=env.get("DOCKER_HOST", "").strip(),
            docker_context=env.get("DOCKER_CONTEXT", "").strip(),
            docker_config=_absolute(env.get("DOCKER_CONFIG", ""), home / ".docker"),
            docker_tls_verify=bool(env.get("DOCKER_TLS_VERIFY")),
            docker_cert_path=env.get("DOCKER_CERT_PATH", ""),
        )

    def with_environ(self, **changes: str) -> Settings:
        """The same settings with some environment variables changed (re-read from the result)."""
        return replace(Settings.from_environ({**self.environ, **changes}))

    def docker_config_dir(self) -> Path:
        """The docker CLI's config folder: `$DOCKER_CONFIG`, else `~/.docker`."""
        return self.docker_config or self.home / ".docker"

    def kubeconfig_paths(self) -> tuple[Path, ...]:
        """The files kubectl would read: `$KUBECONFIG` (colon-separated) or `~/.kube/config`."""
        return kubeconfig_paths(self.kubeconfig, self.home)

    def colour(self, stream: TextIO) -> bool:
        """Colour on `stream`: only on a terminal, never with NO_COLOR, always with FORCE_COLOR."""
        if self.no_color:
            return False
        if self.force_color:
            return True
        return bool(getattr(stream, "isatty", lambda: False)())


def kubeconfig_paths(value: str, home: Path) -> tuple[Path, ...]:
    """The kubeconfig files a `KUBECONFIG` value names (`~/.kube/config` when empty).

    The one rule for where kubeconfigs are: the product's clients, its doctor and its child
    processes all resolve them through here.
    """
    paths = tuple(
        home / part[2:] if part.startswith("~/") else Path(part) for part in value.split(os.pathsep) if part
    )
    return paths or (home / ".kube" / "config",)
