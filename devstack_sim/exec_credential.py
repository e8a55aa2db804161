"""A kubeconfig exec credential plugin for simulated clusters (`python -m devstack_sim.exec_credential`).

What `aws eks get-token`, `gke-gcloud-auth-plugin` or `kubelogin` are to real clusters: the
client runs it, it asks the simulator's token service (`POST /admin/tokens`, authenticated with
the cluster's admin client certificate) for a short-lived token and prints an `ExecCredential`
(`client.authentication.k8s.io/v1` or `v1beta1`, whichever the client asked for in
`KUBERNETES_EXEC_INFO`) with `status.token` and `status.expirationTimestamp`.

Environment (set through the kubeconfig's `exec.env`):
    DEVSTACK_SIM_URL            the simulated API server (`https://127.0.0.1:PORT`)
    DEVSTACK_SIM_PKI            the simulator's `pki/` folder (ca.crt, admin.crt, admin.key)
    DEVSTACK_SIM_TOKEN_SECONDS  token lifetime (default 600)
    DEVSTACK_SIM_PLUGIN_LOG     a file that gets one line per run (tests count renewals)

The CA is verified; the host name is not (the plugin may reach a server whose certificate only
names a `tls-server-name`). Exit 1 with a message on stderr when the token service fails.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")


def requested_api_version(environ: dict[str, str]) -> str:
    """The ExecCredential apiVersion the client asked for (v1beta1 when it did not say)."""
    try:
        info = json.loads(environ.get("KUBERNETES_EXEC_INFO") or "{}")
    except ValueError:
        info = {}
    version = info.get("apiVersion") if isinstance(info, dict) else None
    return str(version) if version in API_VERSIONS else API_VERSIONS[1]


def fetch_token(url: str, pki: Path, seconds: float) -> dict[str, str]:
    """Ask the simulator's token service for a token valid `seconds`."""
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.check_hostname = False
    context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
    body = json.dumps({"user": "devstack-exec-user", "seconds": seconds}).encode()
    request = urllib.request.Request(
        url.rstrip("/") + "/admin/tokens",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        issued: dict[str, str] = json.loads(response.read())
    return issued


def main() -> int:
    """Print one ExecCredential; returns the exit code."""
    environ = dict(os.environ)
    url = environ.get("DEVSTACK_SIM_URL", "")
    pki = Path(environ.get("DEVSTACK_SIM_PKI", ""))
    if not url.startswith("https://") or not (pki / "admin.crt").is_file():
        print("devstack_sim.exec_credential: set DEVSTACK_SIM_URL and DEVSTACK_SIM_PKI", file=sys.stderr)
        return 1
    try:
        issued = fetch_token(url, pki, float(environ.get("DEVSTACK_SIM_TOKEN_SECONDS") or 600))
    except (OSError, urllib.error.URLError, ValueError) as err:
        print(f"devstack_sim.exec_credential: cannot get a token from {url}: {err}", file=sys.stderr)
        return 1
    log = environ.get("DEVSTACK_SIM_PLUGIN_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{time.time():.3f} {issued['expirationTimestamp']}\n")
    credential = {
        "apiVersion": requested_api_version(environ),
        "kind": "ExecCredential",
        "spec": {},
        "status": {"token": issued["token"], "expirationTimestamp": issued["expirationTimestamp"]},
    }
    print(json.dumps(credential))
    return 0


if __name__ == "__main__":
    sys.exit(main())
