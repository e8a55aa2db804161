"""Doctor check of the kube context's credential: will it work, and if not, what to do.

Reads the context's user and cluster entries (kubectl's merge of the kubeconfig files) and finds
what would make every request fail: an exec plugin missing from PATH, failing, or answering with
an expired credential; an `ExecCredential` API version clients no longer speak; a static token or
token file whose JWT `exp` has passed; an unreadable token file, client certificate, key or CA;
the `gcp`/`azure` auth providers kubectl removed. Each failure names the context, the user entry
and the fix. `insecure-skip-tls-verify` is a warning.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from devstack.core.model import CheckStatus, DoctorCheck
from devstack.core.shown import printable
from devstack.sources import processes
from devstack.sources.kubeconfig import ContextEntries, context_entries
from devstack.sources.tools import ToolEnv

EXEC_API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
PLUGIN_TIMEOUT = 30
KLOG_PREFIX = re.compile(r"^[IWEF]\d{4} [\d:.]+\s+\d+ [\w.-]+:\d+\] ")
KNOWN_PLUGINS = {
    "aws": "install the AWS CLI v2 (https://aws.amazon.com/cli/), then `aws eks update-kubeconfig`",
    "aws-iam-authenticator": "install aws-iam-authenticator (https://github.com/kubernetes-sigs/aws-iam-authenticator)",
    "gke-gcloud-auth-plugin": "`gcloud components install gke-gcloud-auth-plugin`",
    "kubelogin": "install kubelogin (https://azure.github.io/kubelogin/)",
    "kubectl-oidc_login": "`kubectl krew install oidc-login`",
}


class CredentialProblem(Exception):
    """Why the credential cannot work, and the fix."""

    def __init__(self, detail: str, fix: str, status: CheckStatus = CheckStatus.FAIL):
        super().__init__(detail)
        self.detail = detail
        self.fix = fix
        self.status = status


def check_credentials(context: str, tools: ToolEnv) -> DoctorCheck | None:
    """The credential of `context` (None when the context is not in the kubeconfig: see `check_context`)."""
    entries = context_entries(tools.kubeconfig_paths(), context)
    if entries is None:
        return None
    who = f"context {context}, user {entries.user_name or '(none)'}"
    data = (("context", context), ("user", entries.user_name))
    try:
        kind = _inspect(entries, tools)
    except CredentialProblem as problem:
        return DoctorCheck(
            "credentials",
            problem.status,
            f"{who}: {problem.detail}",
            fix=problem.fix,
            required=True,
            data=data,
        )
    if entries.cluster.get("insecure-skip-tls-verify"):
        return DoctorCheck(
            "credentials",
            CheckStatus.WARN,
            f"{who}: {kind}; the server's certificate is not verified (insecure-skip-tls-verify)",
            fix=f"set certificate-authority-data for cluster {entries.cluster_name} instead",
            data=data,
        )
    return DoctorCheck("credentials", CheckStatus.OK, f"{who}: {kind}", data=data)


def _inspect(entries: ContextEntries, tools: ToolEnv) -> str:
    """What kind of credential the user entry holds (raises CredentialProblem when it cannot work)."""
    user, base = entries.user, entries.source.parent if entries.source else Path.cwd()
    _check_files(entries, base)
    provider = user.get("auth-provider")
    if isinstance(provider, dict) and provider.get("name") in ("gcp", "azure"):
        name = provider["name"]
        plugin = "gke-gcloud-auth-plugin" if name == "gcp" else "kubelogin"
        raise CredentialProblem(
            f"auth-provider {name} was removed from kubectl 1.26 and the clients",
            f"switch the user to the {plugin} exec plugin ({KNOWN_PLUGINS[plugin]})",
        )
    if isinstance(user.get("exec"), dict):
        return _inspect_exec(user["exec"], entries, tools, base)
    if user.get("token"):
        _check_jwt(str(user["token"]), "token", entries)
        return "a bearer token"
    if user.get("tokenFile"):
        path = _path(user["tokenFile"], base)
        token = _read(path, "tokenFile", entries).strip()
        if not token:
            raise CredentialProblem(f"tokenFile {path} is empty", f"write the token into {path}")
        _check_jwt(token, f"the token in {path}", entries)
        return f"a token file ({path})"
    if user.get("client-certificate") or user.get("client-certificate-data"):
        return "a client certificate"
    if user.get("username"):
        return "a username and password"
    if not entries.user_name:
        raise CredentialProblem(
            "the context names no user, so requests are anonymous",
            f"add a user to context {entries.context} in {entries.source}",
        )
    return "no credential (anonymous requests)"


def _inspect_exec(spec: dict[str, Any], entries: ContextEntries, tools: ToolEnv, base: Path) -> str:
    command = str(spec.get("command") or "")
    version = str(spec.get("apiVersion") or "")
    hint = str(spec.get("installHint") or "") or KNOWN_PLUGINS.get(Path(command).name, "")
    if version not in EXEC_API_VERSIONS:
        raise CredentialProblem(
            f"exec plugin {command} speaks {version or 'no apiVersion'}; clients accept only "
            + " and ".join(EXEC_API_VERSIONS),
            f"set exec.apiVersion of user {entries.user_name} to client.authentication.k8s.io/v1 "
            "(and update the plugin if it cannot)",
        )
    found = _find_program(command, base, tools)
    if found is None:
        raise CredentialProblem(
            f"exec plugin {command!r} is not on PATH",
            hint or f"install {command} (the program user {entries.user_name}'s exec entry runs)",
        )
    status = _run_plugin(found, spec, version, tools, entries, hint)
    expiry = status.get("expirationTimestamp")
    if expiry and _parse_time(str(expiry)) <= datetime.datetime.now(datetime.UTC):
        raise CredentialProblem(
            f"exec plugin {command} returned a credential that expired at {expiry}",
            f"log in again so that {command} can issue a fresh credential",
        )
    until = f", valid until {expiry}" if expiry else ""
    return f"exec plugin {command} ({version.rsplit('/', 1)[-1]}{until})"


def _run_plugin(
    program: str, spec: dict[str, Any], version: str, tools: ToolEnv, entries: ContextEntries, hint: str
) -> dict[str, Any]:
    env = tools.child_env()
    for item in spec.get("env") or []:
        if isinstance(item, dict) and item.get("name"):
            env[str(item["name"])] = str(item.get("value") or "")
    env["KUBERNETES_EXEC_INFO"] = json.dumps(
        {"apiVersion": version, "kind": "ExecCredential", "spec": {"interactive": False}}
    )
    args = [program, *(str(a) for a in spec.get("args") or [])]
    try:
        done = processes.run(args, env=env, timeout=PLUGIN_TIMEOUT)
    except OSError as err:
        raise CredentialProblem(
            f"exec plugin {program} cannot run: {err}", hint or f"reinstall {program}"
        ) from None
    if done.timed_out:
        raise CredentialProblem(
            f"exec plugin {program} gave no credential within {PLUGIN_TIMEOUT}s (waiting for a login?)",
            f"run `{' '.join(args)}` yourself to log in",
        )
    if done.returncode != 0:
        lines = [KLOG_PREFIX.sub("", line).strip() for line in done.stderr.splitlines() if line.strip()]
        reason = printable((lines or [f"exit {done.returncode}"])[0], 300)
        raise CredentialProblem(
            f"exec plugin {program} failed: {reason}",
            f"run `{' '.join(args)}` yourself to see why (log in again?)",
        )
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        raise CredentialProblem(
            f"exec plugin {program} printed no ExecCredential JSON", hint or "update it"
        ) from None
    status = answer.get("status") if isinstance(answer, dict) else None
    if not isinstance(status, dict) or not (status.get("token") or status.get("clientCertificateData")):
        raise CredentialProblem(
            f"exec plugin {program} returned no token or certificate", hint or "update it"
        )
    return status


def _check_files(entries: ContextEntries, base: Path) -> None:
    for section, entry, keys in (
        ("user", entries.user, ("client-certificate", "client-key")),
        ("cluster", entries.cluster, ("certificate-authority",)),
    ):
        for key in keys:
            data = entry.get(f"{key}-data")
            if data:
                try:
                    base64.b64decode(str(data), validate=True)
                except (binascii.Error, ValueError):
                    raise CredentialProblem(
                        f"{key}-data of {section} entry is not base64",
                        f"copy {key}-data again from where the kubeconfig came from",
                    ) from None
            elif entry.get(key):
                _read(_path(entry[key], base), key, entries)


def _check_jwt(token: str, what: str, entries: ContextEntries) -> None:
    """A JWT whose `exp` has passed can never work (opaque tokens cannot be checked here)."""
    parts = token.split(".")
    if len(parts) != 3:
        return
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return
    expires = payload.get("exp") if isinstance(payload, dict) else None
    if not isinstance(expires, int | float):
        return
    when = datetime.datetime.fromtimestamp(expires, datetime.UTC)
    if when <= datetime.datetime.now(datetime.UTC):
        raise CredentialProblem(
            f"{what} expired at {when:%Y-%m-%dT%H:%M:%SZ}",
            f"get a new token (your cluster's get-credentials command) and update user {entries.user_name} "
            f"in {entries.source}",
        )


def _read(path: Path, key: str, entries: ContextEntries) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise CredentialProblem(
            f"{key} {path} cannot be read: {err.strerror or err}",
            f"fix the path or the permissions of {path} (named by {entries.source})",
        ) from None


def _find_program(command: str, base: Path, tools: ToolEnv) -> str | None:
    if os.sep in command:
        path = _path(command, base)
        return str(path) if os.access(path, os.X_OK) else None
    return shutil.which(command, path=tools.env.get("PATH", os.defpath))


def _path(value: object, base: Path) -> Path:
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else base / path


def _parse_time(text: str) -> datetime.datetime:
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.datetime.max.replace(tzinfo=datetime.UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
