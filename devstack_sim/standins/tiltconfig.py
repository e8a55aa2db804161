"""Where clients find a running tilt stand-in (TILT.md §5.1): the `tilt-<port>` context in the
kubeconfig-format file `$TILT_CONFIG`, else `<TiltDevDir>/config` (written as JSON, which the
kubeconfig loader also reads; a YAML file written by a real Tilt is read too), and the HUD token
`<TiltDevDir>/token`. Kept free of the server's imports so client commands start fast.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from pathlib import Path
from typing import Any

from devstack_sim.fileio import write_text_atomic
from devstack_sim.standins.home import locked

DEFAULT_WEB_PORT = 10350
PREFIX = "/apis/tilt.dev/v1alpha1/"


def dev_dir() -> Path:
    """`GetTiltDevDir`: TILT_DEV_DIR, WMDAEMON_HOME, WINDMILL_DIR, ~/.windmill if it exists, ~/.tilt-dev."""
    for key in ("TILT_DEV_DIR", "WMDAEMON_HOME", "WINDMILL_DIR"):
        if os.environ.get(key):
            return Path(os.environ[key]).expanduser()
    windmill = Path.home() / ".windmill"
    return windmill if windmill.is_dir() else Path.home() / ".tilt-dev"


def config_path() -> Path:
    """The kubeconfig-format file holding the `tilt-*` contexts (`TILT_CONFIG` wins)."""
    return Path(os.environ["TILT_CONFIG"]) if os.environ.get("TILT_CONFIG") else dev_dir() / "config"


def api_server_name(web_port: int) -> str:
    """`DefaultAPIServerName`: `tilt-default` for 10350, else `tilt-<port>`."""
    return "tilt-default" if web_port == DEFAULT_WEB_PORT else f"tilt-{web_port}"


def web_token() -> str:
    """`<TiltDevDir>/token`, created on first use (a UUID)."""
    path = dev_dir() / "token"
    with locked(dev_dir() / ".token.lock"):
        if not path.is_file():
            write_text_atomic(path, str(uuid.uuid4()))
        return path.read_text(encoding="utf-8").strip()


def _read_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    try:
        loaded = json.loads(text)
    except ValueError:
        import yaml

        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError:
            return {}
    return loaded if isinstance(loaded, dict) else {}


def _without(config: dict[str, Any], name: str) -> dict[str, Any]:
    for section in ("clusters", "contexts", "users"):
        config[section] = [e for e in config.get(section) or [] if e.get("name") != name]
    return config


def add_entry(name: str, server: str, ca_pem: bytes, token: str) -> None:
    """Write (or replace) the context `name` → cluster/user `name` in the config file."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path.parent / ".tilt-config.lock"):
        config = _without(_read_config(path), name)
        config.setdefault("apiVersion", "v1")
        config.setdefault("kind", "Config")
        ca = base64.b64encode(ca_pem).decode()
        config["clusters"].append(
            {"name": name, "cluster": {"server": server, "certificate-authority-data": ca}}
        )
        config["contexts"].append({"name": name, "context": {"cluster": name, "user": name}})
        config["users"].append({"name": name, "user": {"token": token}})
        write_text_atomic(path, json.dumps(config, indent=2))


def remove_entry(name: str) -> None:
    """Remove the context `name` (and its cluster and user) from the config file."""
    path = config_path()
    if not path.is_file():
        return
    with locked(path.parent / ".tilt-config.lock"):
        write_text_atomic(path, json.dumps(_without(_read_config(path), name), indent=2))


def find_entry(name: str) -> dict[str, str] | None:
    """{server, ca, token} of context `name`, or None when no such Tilt is registered."""
    config = _read_config(config_path())

    def named(section: str) -> dict[str, Any]:
        return next((e for e in config.get(section) or [] if e.get("name") == name), {})

    context = named("contexts").get("context") or {}
    if not context:
        return None
    cluster: dict[str, Any] = next(
        (e for e in config.get("clusters") or [] if e.get("name") == context.get("cluster")), {}
    )
    user: dict[str, Any] = next(
        (e for e in config.get("users") or [] if e.get("name") == context.get("user")), {}
    )
    details, auth = cluster.get("cluster") or {}, user.get("user") or {}
    return {
        "server": str(details.get("server") or ""),
        "ca": base64.b64decode(str(details.get("certificate-authority-data") or "")).decode(),
        "token": str(auth.get("token") or ""),
    }
