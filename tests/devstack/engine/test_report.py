"""`devstack report` shows what helps and none of the secrets planted everywhere it looks.

One simulated stack (the demo environment, as in test_up.py) gets a secret of each kind in each
place the report reads: the deployment's env, the profile, a Secret, the pods' logs, the command
line of a process holding a forward port, the kubeconfig and devstack's own environment. The
report (markdown and --json) must show each place, redacted, and no planted value.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from helpers import demo_settings, wait_for

from devstack.cli.demo_stack import DemoEnvironment
from devstack.core.store import Store
from devstack.engine.context import EngineContext
from devstack.engine.up import UpRun
from devstack.exitcodes import OK
from devstack.profile import LoadedProfile, load_profile

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJwbGFudC1qd3QtMjMifQ.c2lnLXBsYW50LWp3dC0yMw"
ENV = {
    "API_TOKEN": "plant-env-apitoken-1",
    "DB_PASS": "plant-env-dbpass-2",
    "UPSTREAM": "redis://:plant-env-redisdsn-3@redis:6379/0",
    "SENTRY": "https://plantenvsentrykey4@o1.ingest.sentry.io/42",
    "CALLBACK": "https://hooks.example.com/cb?sig=plant-env-sig-5&n=1",
    "HEADERS": "Authorization: Bearer plant-env-bearer-6",
    "SETTINGS": '{"password": "plant-env-jsonpw-7", "debug": true}',
    "ID_DOCUMENT": JWT,
    "SSH_PASSPHRASE": "plant env passphrase eight",
}
SECRET_DATA = {"DATABASE_URL": "postgres://app:plant-secret-pw-9@db/app", "STRIPE": "plant-secret-stripe-10"}
DEVSTACK_ENV = {"GITHUB_TOKEN": "ghp_plantdevstackenv11abcdefghijklmno", "MY_DB_PASSWORD": "plant-denv-12"}
KUBECONFIG_TOKEN = "plant-kubeconfig-token-13"
LOG_REQUESTS = [
    "GET /api/hello?auth=plant-log-auth-14&sig=plant-log-sig-15 HTTP/1.1",
    "GET /x Authorization: Bearer plant-log-bearer-16 HTTP/1.1",
    'GET /x {"password": "plant-log-jsonpw-17"} HTTP/1.1',
    f"GET /x/{JWT} HTTP/1.1",
    "GET /x DB_PASS=plant-log-dbpass-18 passphrase: plant log phrase 19 HTTP/1.1",
]
COMMAND_LINE = [
    "--api-token=plant-cmd-token-20",
    "--password",
    "plant-cmd-pw-21",
    "https://deploy:plant-cmd-urlpw-22@example.com/hook",
]
PROFILE_DESCRIPTION = "demo; db at postgres://admin:plant-profile-pw-24@db/app"


def planted() -> list[str]:
    values = [*ENV.values(), *SECRET_DATA.values(), *DEVSTACK_ENV.values(), KUBECONFIG_TOKEN]
    values += ["plant-log-auth-14", "plant-log-sig-15", "plant-log-bearer-16", "plant-log-jsonpw-17"]
    values += ["plant-log-dbpass-18", "plant log phrase 19", "plant-cmd-token-20", "plant-cmd-pw-21"]
    values += ["plant-cmd-urlpw-22", "sig-plant-jwt-23", "plant-profile-pw-24", "plant-profile-auth-25"]
    values += ["plant-profile-urlpw-26", "eyJzdWIiOiJwbGFudC1qd3QtMjMifQ"]
    return [v for value in values for v in (value, *value.split("://")[1:2])]


@pytest.fixture
def planted_env() -> Iterator[DemoEnvironment]:
    with DemoEnvironment(demo_settings(), "healthy") as env:
        stack = env.loaded.root
        values_path = stack / "charts" / "jetscale" / "values-local.yaml"
        values = yaml.safe_load(values_path.read_text())
        values["backend"]["env"] = ENV
        values["backend"]["secret"] = {"create": True, "data": SECRET_DATA}
        values_path.write_text(yaml.safe_dump(values))
        profile = yaml.safe_load(env.loaded.path.read_text())
        backend = env.settings.demo_backend_port
        profile["description"] = PROFILE_DESCRIPTION
        profile["checks"]["http"].append(
            {
                "name": "with credentials",
                "url": f"http://probe:plant-profile-urlpw-26@localhost:{backend}/healthz"
                "?auth=plant-profile-auth-25",
            }
        )
        env.loaded.path.write_text(yaml.safe_dump(profile, sort_keys=False))
        env.loaded = LoadedProfile(load_profile(env.loaded.path), env.loaded.path, stack)
        yield env


def send_raw_lines(port: int, lines: list[str]) -> None:
    """Each line as the request line of its own HTTP request (the backend logs request lines)."""
    for line in lines:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(f"{line}\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
            while sock.recv(65536):
                pass


def hold_port(port: int) -> subprocess.Popen[bytes]:
    """A listener on `port` whose command line carries secrets (the doctor names port holders)."""
    code = (
        "import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
        f"s.bind(('127.0.0.1', {port})); s.listen(); print('ready', flush=True); time.sleep(600)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, *COMMAND_LINE], stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline() == b"ready\n"
    return holder


def plant_in_kubeconfig(kubeconfig: Path) -> list[str]:
    """Add a foreign context with a token; return every credential the kubeconfig holds."""
    config = yaml.safe_load(kubeconfig.read_text())
    config["clusters"].append({"name": "prod", "cluster": {"server": "https://127.0.0.2:1"}})
    config["users"].append({"name": "prod", "user": {"token": KUBECONFIG_TOKEN, "password": "kc-pw"}})
    config["contexts"].append({"name": "prod", "context": {"cluster": "prod", "user": "prod"}})
    kubeconfig.write_text(yaml.safe_dump(config))
    found = []
    for user in config["users"]:
        for key in ("token", "password", "client-key-data"):
            if user["user"].get(key):
                found.append(str(user["user"][key]))
    return found


def report(env: DemoEnvironment, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", "report", *args],
        capture_output=True,
        text=True,
        env={**env.tools.env, "DEVSTACK_SIM_TOOLS": "1", **DEVSTACK_ENV},
        cwd=env.loaded.root,
        timeout=300,
    )


@pytest.mark.slow
def test_the_report_shows_each_place_redacted_and_no_planted_secret(planted_env: DemoEnvironment) -> None:
    env = planted_env
    ctx = EngineContext(env.loaded, Store(), env.tools)
    run = UpRun(ctx)
    try:
        assert run.run() == OK, [s for s in ctx.store.state.steps if s.error]
        send_raw_lines(env.settings.demo_backend_port, LOG_REQUESTS)
    finally:
        run.stop()
    kube_secrets = plant_in_kubeconfig(Path(env.tools.env["KUBECONFIG"]))
    holder = hold_port(env.settings.demo_frontend_port)
    try:
        wait_for(lambda: _logged(env), what="the backend to log the planted requests")
        markdown = report(env)
        as_json = report(env, "--json")
    finally:
        holder.kill()
        holder.wait()
    assert markdown.returncode == OK, markdown.stderr
    assert as_json.returncode == OK, as_json.stderr
    document = json.loads(as_json.stdout)
    for output in (markdown.stdout + markdown.stderr, as_json.stdout + as_json.stderr):
        for secret in [*planted(), *kube_secrets]:
            assert secret not in output, f"planted secret {secret!r} appears in the report"
    text = markdown.stdout
    # Every place was read (so the absence of secrets means they were redacted, not skipped).
    assert "API_TOKEN=<redacted>" in text and "UPSTREAM=redis://:<redacted>@redis:6379/0" in text
    assert "CALLBACK=https://hooks.example.com/cb?sig=<redacted>&n=1" in text
    assert "DATABASE_URL=<redacted>" in text and "STRIPE=<redacted>" in text
    assert "--api-token=<redacted> --password <redacted> https://deploy:<redacted>@example.com" in text
    assert "postgres://admin:<redacted>@db/app" in text and "?auth=<redacted>" in text
    assert "GET /api/hello?auth=<redacted>&sig=<redacted>" in text
    assert "Authorization: <redacted>" in text and '"password": "<redacted>"' in text
    assert document["profile"]["description"] == "demo; db at postgres://admin:<redacted>@db/app"
    assert document["cluster"]["reachable"] is True
    assert document["markdown"].startswith(f"# devstack report: {env.loaded.profile.name}")


def _logged(env: DemoEnvironment) -> bool:
    done = subprocess.run(
        ["kubectl", "--context", env.loaded.profile.context, "-n", env.loaded.profile.deploy.namespace,
         "logs", "deployment/jetscale-backend", "--tail=50"],
        capture_output=True, text=True, env=env.tools.env, timeout=30,
    )  # fmt: skip
    return "plant-log-dbpass-18" in done.stdout
