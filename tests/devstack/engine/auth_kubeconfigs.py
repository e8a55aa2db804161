"""Kubeconfigs for one simulated cluster, one per way of authenticating (what real users have).

The cluster (`auth_stack` in the tests) serves a certificate that names only `api.devstack.test`,
so every kubeconfig that reaches it by IP must say `tls-server-name`; its static tokens come from
a `--token-auth-file`; its exec plugin is `devstack-sim-credential` on PATH (a wrapper around
`python -m devstack_sim.exec_credential`).
"""

from __future__ import annotations

import base64
import os
import stat
import sys
from pathlib import Path
from typing import Any

import yaml
from helpers import REPO

from devstack_sim.app import Simulator

SERVER_NAME = "api.devstack.test"
CONTEXT = "auth-ctx"
STATIC_TOKEN = "static-token-4f0c9e"
FILE_TOKEN = "file-token-8a1d33"
PLUGIN = "devstack-sim-credential"
KINDS = (
    "client-cert-data",
    "client-cert-files",
    "token",
    "token-file",
    "exec-v1",
    "exec-v1beta1",
    "insecure-skip-tls-verify",
    "proxy-url",
)


def token_file(folder: Path) -> Path:
    """A `--token-auth-file` with the two static tokens."""
    path = folder / "tokens.csv"
    path.write_text(
        f'{STATIC_TOKEN},static-user,uid-1,"devs,viewers"\n{FILE_TOKEN},file-user,uid-2\n', encoding="utf-8"
    )
    return path


def plugin_bin(folder: Path) -> Path:
    """A folder holding the `devstack-sim-credential` command (put it on PATH)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / PLUGIN
    script.write_text(
        f"#!/bin/sh\nPYTHONPATH={REPO}${{PYTHONPATH:+:$PYTHONPATH}} exec {sys.executable} "
        '-m devstack_sim.exec_credential "$@"\n',
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return folder


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def exec_entry(sim: Simulator, api_version: str, seconds: float, log: Path) -> dict[str, Any]:
    """The `exec` user entry of the simulator's credential plugin."""
    env = {
        "DEVSTACK_SIM_URL": sim.server.url,
        "DEVSTACK_SIM_PKI": str(sim.pki_dir),
        "DEVSTACK_SIM_TOKEN_SECONDS": str(seconds),
        "DEVSTACK_SIM_PLUGIN_LOG": str(log),
    }
    return {
        "apiVersion": f"client.authentication.k8s.io/{api_version}",
        "command": PLUGIN,
        "env": [{"name": k, "value": v} for k, v in env.items()],
        "interactiveMode": "Never",
        "provideClusterInfo": False,
        "installHint": "the test puts devstack-sim-credential on PATH",
    }


def write_kubeconfig(
    kind: str,
    sim: Simulator,
    folder: Path,
    *,
    proxy_url: str = "",
    token_seconds: float = 600,
    server: str | None = None,
) -> Path:
    """A kubeconfig (context `auth-ctx`) authenticating to `sim` the way `kind` says."""
    assert sim.certs is not None
    folder.mkdir(parents=True, exist_ok=True)
    cluster: dict[str, Any] = {
        "server": server or sim.server.url,
        "certificate-authority-data": _b64(sim.certs.ca_cert),
        "tls-server-name": SERVER_NAME,
    }
    user: dict[str, Any]
    if kind == "client-cert-data":
        user = {
            "client-certificate-data": _b64(sim.certs.client_cert),
            "client-key-data": _b64(sim.certs.client_key),
        }
    elif kind == "client-cert-files":
        (folder / "pki").mkdir(exist_ok=True)
        (folder / "pki" / "ca.crt").write_bytes(sim.certs.ca_cert)
        (folder / "pki" / "me.crt").write_bytes(sim.certs.client_cert)
        (folder / "pki" / "me.key").write_bytes(sim.certs.client_key)
        os.chmod(folder / "pki" / "me.key", 0o600)
        del cluster["certificate-authority-data"]
        cluster["certificate-authority"] = "pki/ca.crt"  # relative to the kubeconfig, as kubectl reads it
        user = {"client-certificate": "pki/me.crt", "client-key": "pki/me.key"}
    elif kind == "token":
        user = {"token": STATIC_TOKEN}
    elif kind == "token-file":
        (folder / "token").write_text(FILE_TOKEN + "\n", encoding="utf-8")
        user = {"tokenFile": str(folder / "token")}
    elif kind in ("exec-v1", "exec-v1beta1"):
        user = {"exec": exec_entry(sim, kind.split("-")[1], token_seconds, folder / "plugin.log")}
    elif kind == "insecure-skip-tls-verify":
        del cluster["certificate-authority-data"], cluster["tls-server-name"]
        cluster["insecure-skip-tls-verify"] = True
        user = {"token": STATIC_TOKEN}
    elif kind == "proxy-url":
        # Reached by its DNS name, which only the proxy resolves.
        del cluster["tls-server-name"]
        cluster["server"] = f"https://{SERVER_NAME}:{sim.port}"
        cluster["proxy-url"] = proxy_url
        user = {"token": STATIC_TOKEN}
    else:
        raise ValueError(kind)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "auth-cluster", "cluster": cluster}],
        "users": [{"name": f"user-{kind}", "user": user}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": "auth-cluster", "user": f"user-{kind}"}}],
        "current-context": CONTEXT,
    }
    path = folder / "kubeconfig"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    path.chmod(0o600)
    return path


def plugin_runs(folder: Path) -> int:
    """How many times the exec plugin of a kubeconfig in `folder` ran."""
    log = folder / "plugin.log"
    return len(log.read_text().splitlines()) if log.exists() else 0
