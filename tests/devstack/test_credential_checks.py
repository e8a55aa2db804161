"""The doctor's credential check: a credential that cannot work is a failure naming the kube context,
the user entry and the fix — an exec plugin missing from PATH, failing, or handing out expired
credentials; an expired token; an unreadable certificate; a removed auth provider."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.core.model import CheckStatus
from devstack.sources.credential_checks import check_credentials
from devstack.sources.tools import ToolEnv
from devstack_sim.background import BackgroundSimulator

CONTEXT = "shared-dev"


def kubeconfig(folder: Path, user: dict[str, Any], cluster: dict[str, Any] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "dev", "cluster": cluster or {"server": "https://127.0.0.1:6443"}}],
        "users": [{"name": "alice@dev", "user": user}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": "dev", "user": "alice@dev"}}],
        "current-context": CONTEXT,
    }
    path = folder / "config"
    path.write_text(yaml.safe_dump(config))
    return path


def tools_for(path: Path, extra_path: Path | None = None) -> ToolEnv:
    env = {**os.environ, "KUBECONFIG": str(path)}
    if extra_path is not None:
        env["PATH"] = f"{extra_path}{os.pathsep}{env['PATH']}"
    return ToolEnv(env)


def script(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return folder


def jwt(exp: float) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part({'sub': 'alice', 'exp': int(exp)})}.c2lnbmF0dXJl"


def exec_user(command: str, api_version: str = "v1", **extra: Any) -> dict[str, Any]:
    return {
        "exec": {
            "apiVersion": f"client.authentication.k8s.io/{api_version}",
            "command": command,
            "interactiveMode": "Never",
            **extra,
        }
    }


def assert_names_context_and_user(result: Any) -> None:
    assert result.status is CheckStatus.FAIL and result.required
    assert result.detail.startswith(f"context {CONTEXT}, user alice@dev: ")
    assert result.fix


def test_an_exec_plugin_missing_from_path_fails_with_its_install_hint(tmp_path: Path) -> None:
    user = exec_user("aws", args=["eks", "get-token"])
    user["exec"]["env"] = [{"name": "AWS_PROFILE", "value": "dev"}]
    path = kubeconfig(tmp_path / "kube", user)
    result = check_credentials(
        CONTEXT, ToolEnv({**os.environ, "KUBECONFIG": str(path), "PATH": "/nonexistent"})
    )
    assert_names_context_and_user(result)
    assert "exec plugin 'aws' is not on PATH" in result.detail
    assert "AWS CLI" in result.fix
    hinted = exec_user("corp-login", installHint="brew install corp/tap/corp-login")
    result = check_credentials(CONTEXT, tools_for(kubeconfig(tmp_path / "k2", hinted)))
    assert_names_context_and_user(result)
    assert result.fix == "brew install corp/tap/corp-login"


def test_a_failing_plugin_and_one_handing_out_expired_credentials_fail(tmp_path: Path) -> None:
    bin_dir = script(
        tmp_path / "bin",
        "corp-login",
        'echo "error: refresh token expired, run corp-login --login" >&2\nexit 1\n',
    )
    result = check_credentials(
        CONTEXT, tools_for(kubeconfig(tmp_path / "k1", exec_user("corp-login")), bin_dir)
    )
    assert_names_context_and_user(result)
    assert "refresh token expired" in result.detail and "corp-login" in result.fix
    stale = json.dumps(
        {
            "apiVersion": "client.authentication.k8s.io/v1",
            "kind": "ExecCredential",
            "status": {"token": "t", "expirationTimestamp": "2020-01-01T00:00:00Z"},
        }
    )
    bin_dir = script(tmp_path / "bin2", "corp-login", f"echo '{stale}'\n")
    result = check_credentials(
        CONTEXT, tools_for(kubeconfig(tmp_path / "k2", exec_user("corp-login")), bin_dir)
    )
    assert_names_context_and_user(result)
    assert "expired at 2020-01-01T00:00:00Z" in result.detail


def test_a_plugin_speaking_a_removed_api_version_fails(tmp_path: Path) -> None:
    result = check_credentials(CONTEXT, tools_for(kubeconfig(tmp_path, exec_user("aws", "v1alpha1"))))
    assert_names_context_and_user(result)
    assert "v1alpha1" in result.detail and "client.authentication.k8s.io/v1" in result.fix


def test_an_expired_token_fails_and_a_valid_one_passes(tmp_path: Path) -> None:
    result = check_credentials(
        CONTEXT, tools_for(kubeconfig(tmp_path / "a", {"token": jwt(time.time() - 3600)}))
    )
    assert_names_context_and_user(result)
    assert "token expired at" in result.detail
    result = check_credentials(
        CONTEXT, tools_for(kubeconfig(tmp_path / "b", {"token": jwt(time.time() + 3600)}))
    )
    assert result is not None and result.status is CheckStatus.OK
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "token").write_text(jwt(time.time() - 60) + "\n")
    result = check_credentials(CONTEXT, tools_for(kubeconfig(tmp_path / "c", {"tokenFile": "token"})))
    assert_names_context_and_user(result)
    assert f"the token in {tmp_path / 'c' / 'token'} expired" in result.detail


def test_unreadable_certificates_and_token_files_fail(tmp_path: Path) -> None:
    user = {"client-certificate": "pki/alice.crt", "client-key": "pki/alice.key"}
    result = check_credentials(CONTEXT, tools_for(kubeconfig(tmp_path / "a", user)))
    assert_names_context_and_user(result)
    assert f"client-certificate {tmp_path / 'a' / 'pki' / 'alice.crt'} cannot be read" in result.detail
    cluster = {"server": "https://127.0.0.1:6443", "certificate-authority": "/nonexistent/ca.crt"}
    result = check_credentials(CONTEXT, tools_for(kubeconfig(tmp_path / "b", {"token": "opaque"}, cluster)))
    assert_names_context_and_user(result)
    assert "certificate-authority /nonexistent/ca.crt cannot be read" in result.detail
    result = check_credentials(
        CONTEXT, tools_for(kubeconfig(tmp_path / "c", {"tokenFile": "/nonexistent/token"}))
    )
    assert_names_context_and_user(result)
    result = check_credentials(
        CONTEXT, tools_for(kubeconfig(tmp_path / "d", {"client-key-data": "not base64!"}))
    )
    assert_names_context_and_user(result)


def test_removed_auth_providers_fail_and_insecure_skip_verify_warns(tmp_path: Path) -> None:
    result = check_credentials(
        CONTEXT, tools_for(kubeconfig(tmp_path / "a", {"auth-provider": {"name": "gcp"}}))
    )
    assert_names_context_and_user(result)
    assert "gke-gcloud-auth-plugin" in result.fix
    cluster = {"server": "https://127.0.0.1:6443", "insecure-skip-tls-verify": True}
    result = check_credentials(CONTEXT, tools_for(kubeconfig(tmp_path / "b", {"token": "opaque"}, cluster)))
    assert result is not None and result.status is CheckStatus.WARN
    assert check_credentials("no-such-context", tools_for(kubeconfig(tmp_path / "c", {"token": "x"}))) is None


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[BackgroundSimulator]:
    started = BackgroundSimulator(
        "cred", tmp_path / "sim", tmp_path / "sim-kubeconfig", runtime=False
    ).start()
    try:
        yield started
    finally:
        started.stop()


def test_a_working_exec_plugin_is_run_and_its_expiry_shown(sim: BackgroundSimulator, tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent / "engine"))
    from auth_kubeconfigs import plugin_bin, write_kubeconfig

    path = write_kubeconfig("exec-v1", sim.simulator, tmp_path / "kube")
    config = yaml.safe_load(path.read_text())
    config["contexts"][0]["name"] = config["current-context"] = CONTEXT
    config["users"][0]["name"] = config["contexts"][0]["context"]["user"] = "alice@dev"
    path.write_text(yaml.safe_dump(config))
    result = check_credentials(CONTEXT, tools_for(path, plugin_bin(tmp_path / "bin")))
    assert result is not None and result.status is CheckStatus.OK, result and result.detail
    assert "exec plugin devstack-sim-credential (v1, valid until " in result.detail


def test_devstack_doctor_json_fails_a_profile_whose_credential_cannot_work(
    stack_copy: Path, tmp_path: Path
) -> None:
    profile = yaml.safe_load((stack_copy / "profiles" / "local-kind.yaml").read_text())
    profile["cluster"] = {"provider": "existing", "context": CONTEXT}
    profile["safety"] = {"allowed_contexts": [CONTEXT]}
    (stack_copy / "profiles" / "shared-dev.yaml").write_text(yaml.safe_dump(profile))
    path = kubeconfig(tmp_path / "kube", exec_user("kubelogin", args=["get-token"]))
    done = subprocess.run(
        [sys.executable, "-m", "devstack", "-p", "shared-dev", "doctor", "--json"],
        cwd=stack_copy,
        env={**os.environ, "KUBECONFIG": str(path), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    checks = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["credentials"]["status"] == "fail"
    assert checks["credentials"]["detail"] == (
        "context shared-dev, user alice@dev: exec plugin 'kubelogin' is not on PATH"
    )
    assert "https://azure.github.io/kubelogin/" in checks["credentials"]["fix"]
    assert done.returncode == 3
